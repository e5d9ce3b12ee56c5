#!/usr/bin/python3
"""Pillow doing the job `parley_images::prepare` does, for the benchmark in run.sh.

Same steps, same bounds, same encoder settings as parley-images:
open, read the size, `Image.draft` (DCT scaling for JPEG), EXIF transpose, `thumbnail` to a long
edge <= 1568 px and <= 1,150,000 pixels (Pillow's default: bicubic after a reducing box step),
PNG for transparency or few colours (the same sampled colour rule), else JPEG quality 85
(4:2:0), base64 of the result, SHA-256, and a 256 px thumbnail.

Usage: pillow_prepare.py FILE [REPETITIONS]
Prints one line: `median_ms=<ms> bytes=<encoded bytes> base64=<base64 length> type=<jpeg|png>
size=<w>x<h>`.
"""

import base64
import hashlib
import io
import math
import statistics
import sys
import time

from PIL import Image, ImageOps

MAX_LONG_EDGE = 1568
MAX_PIXELS = 1_150_000
THUMBNAIL_EDGE = 256
SAMPLE_SIDE = 256  # parley-images samples at most 256 x 256 pixels for the colour rule


def target_size(width, height):
    """The same arithmetic as parley-images' `target_size`."""
    scale = min(1.0, MAX_LONG_EDGE / max(width, height), math.sqrt(MAX_PIXELS / (width * height)))
    if scale >= 1.0:
        return width, height
    w = min(max(1, int(width * scale + 1e-6)), MAX_LONG_EDGE)
    h = min(max(1, int(height * scale + 1e-6)), MAX_LONG_EDGE)
    while w * h > MAX_PIXELS:
        if w >= h:
            w -= 1
        else:
            h -= 1
    return w, h


def few_colours(image):
    """<= 256 distinct colours on a nearest-neighbour sample, or 16 colours cover half of it."""
    w, h = image.size
    sample = image.resize((min(w, SAMPLE_SIDE), min(h, SAMPLE_SIDE)), Image.NEAREST)
    colours = sample.getcolors(sample.width * sample.height)
    if len(colours) <= 256:
        return True
    top = sorted((count for count, _ in colours), reverse=True)[:16]
    return sum(top) * 2 >= sample.width * sample.height


def encode(image, as_png):
    buffer = io.BytesIO()
    if as_png:
        image.save(buffer, "PNG")
    else:
        image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def prepare(path):
    image = Image.open(path)
    width, height = image.size
    target = target_size(width, height)
    image.draft("RGB", target)
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if has_alpha else "RGB")
    as_png = has_alpha or few_colours(image)
    # exif_transpose swaps the sides; the target follows the oriented image.
    target = target_size(*image.size)
    image.thumbnail(target)
    data = encode(image, as_png)
    encoded = base64.b64encode(data)
    digest = hashlib.sha256(data).hexdigest()
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    thumb_bytes = encode(thumb, as_png)
    return data, encoded, digest, thumb_bytes, image.size, as_png


def main():
    path = sys.argv[1]
    repetitions = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    times = []
    result = None
    for _ in range(repetitions):
        start = time.perf_counter()
        result = prepare(path)
        times.append((time.perf_counter() - start) * 1000.0)
    data, encoded, _, _, size, as_png = result
    print(
        f"median_ms={statistics.median(times):.1f} bytes={len(data)} base64={len(encoded)} "
        f"type={'png' if as_png else 'jpeg'} size={size[0]}x{size[1]}"
    )


if __name__ == "__main__":
    main()
