//! Fixtures made in code: photos (gradients plus noise), screenshots (flat colours and strokes),
//! transparent images, and JPEGs with a hand-built EXIF block (orientation, camera make, GPS).
#![allow(dead_code)]

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// A fast deterministic generator (xorshift64*): fixtures are the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn fill(&mut self, buffer: &mut [u8]) {
        for chunk in buffer.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Photo-like: smooth gradients with noise, so that it has thousands of colours.
pub fn photo(width: u32, height: u32) -> RgbImage {
    photo_with_noise(width, height, 8)
}

/// Like [`photo`], with noise of up to `255 / divisor` (the same on all channels).
pub fn photo_with_noise(width: u32, height: u32, divisor: u8) -> RgbImage {
    let mut noise = vec![0u8; (width * height) as usize];
    Rng(0x1234_5678).fill(&mut noise);
    RgbImage::from_fn(width, height, |x, y| {
        let n = noise[(y * width + x) as usize] / divisor;
        Rgb([
            ((x * 200 / width) as u8).saturating_add(n),
            ((y * 200 / height) as u8).saturating_add(n),
            (((x + y) * 100 / (width + height)) as u8).saturating_add(n),
        ])
    })
}

/// Pure RGB noise: the worst case for every encoder.
pub fn noise(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut data = vec![0u8; (width as usize) * (height as usize) * 3];
    Rng(seed).fill(&mut data);
    RgbImage::from_raw(width, height, data).unwrap_or_else(|| RgbImage::new(1, 1))
}

/// Screenshot-like: flat panels and rows of dark strokes on a light background.
pub fn screenshot(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if y < height / 12 {
            Rgb([40, 44, 52])
        } else if x < width / 5 {
            Rgb([236, 238, 242])
        } else if (y % 24) < 14 && (x % 11) < 3 && (x / 90) % 4 != 3 {
            Rgb([30, 30, 35])
        } else {
            Rgb([250, 250, 252])
        }
    })
}

/// An RGBA image: an opaque photo-like square with a fully transparent disc in the middle.
pub fn with_hole(width: u32, height: u32) -> RgbaImage {
    let base = photo(width, height);
    RgbaImage::from_fn(width, height, |x, y| {
        let dx = f64::from(x) - f64::from(width) / 2.0;
        let dy = f64::from(y) - f64::from(height) / 2.0;
        let inside = (dx * dx + dy * dy).sqrt() < f64::from(width.min(height)) / 4.0;
        let Rgb([r, g, b]) = *base.get_pixel(x, y);
        Rgba([r, g, b, if inside { 0 } else { 255 }])
    })
}

/// Encodes with the `image` crate's encoder for `format`.
pub fn encode(image: impl Into<DynamicImage>, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let image: DynamicImage = image.into();
    let image = if format == ImageFormat::Jpeg {
        DynamicImage::ImageRgb8(image.to_rgb8())
    } else {
        image
    };
    if let Err(error) = image.write_to(&mut out, format) {
        panic!("encoding a {format:?} fixture: {error}");
    }
    out.into_inner()
}

/// A JPEG (JFIF, nothing else) of an RGB image at `quality`.
pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    let (w, h) = (image.width() as u16, image.height() as u16);
    if let Err(error) = encoder.encode(image.as_raw(), w, h, jpeg_encoder::ColorType::Rgb) {
        panic!("encoding a JPEG fixture: {error}");
    }
    out
}

/// The camera make written into fixture EXIF blocks, to look for in outputs.
pub const CAMERA_MAKE: &[u8] = b"ParleyTestCam";
/// Latitude 52 deg 22' 12.34" as three EXIF rationals (big endian): a fingerprint of the GPS IFD.
pub const LATITUDE: [u32; 6] = [52, 1, 22, 1, 1234, 100];

/// A big-endian EXIF (TIFF) block: IFD0 with Make, Orientation (if any) and a GPS IFD pointer;
/// the GPS IFD with latitude/longitude and their references. Starts at the TIFF header, as it
/// follows `Exif\0\0` in a JPEG APP1 segment.
pub fn exif_block(orientation: Option<u16>, gps: bool) -> Vec<u8> {
    // Each entry: tag, type, count, value-or-offset (4 bytes).
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    let mut entries: Vec<(u16, u16, u32, [u8; 4])> = Vec::new();
    let make_len = CAMERA_MAKE.len() as u32 + 1;
    entries.push((0x010F, ASCII, make_len, [0; 4])); // offset patched below
    if let Some(value) = orientation {
        let v = value.to_be_bytes();
        entries.push((0x0112, SHORT, 1, [v[0], v[1], 0, 0]));
    }
    if gps {
        entries.push((0x8825, LONG, 1, [0; 4])); // offset patched below
    }
    let ifd0_at = 8u32;
    let ifd0_len = 2 + 12 * entries.len() as u32 + 4;
    let make_at = ifd0_at + ifd0_len;
    let gps_at = make_at + make_len + (make_len & 1);
    let gps_entries = 4u32;
    let gps_len = 2 + 12 * gps_entries + 4;
    let latitude_at = gps_at + gps_len;
    let longitude_at = latitude_at + 24;

    let mut out = b"MM\0\x2a".to_vec();
    out.extend_from_slice(&ifd0_at.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for (tag, kind, count, mut value) in entries {
        if tag == 0x010F {
            value = make_at.to_be_bytes();
        }
        if tag == 0x8825 {
            value = gps_at.to_be_bytes();
        }
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value);
    }
    out.extend_from_slice(&0u32.to_be_bytes()); // no IFD1
    out.extend_from_slice(CAMERA_MAKE);
    out.push(0);
    if make_len & 1 == 1 {
        out.push(0);
    }
    if gps {
        out.extend_from_slice(&(gps_entries as u16).to_be_bytes());
        let gps_fields: [(u16, u16, u32, [u8; 4]); 4] = [
            (0x0001, ASCII, 2, *b"N\0\0\0"),
            (0x0002, RATIONAL, 3, latitude_at.to_be_bytes()),
            (0x0003, ASCII, 2, *b"E\0\0\0"),
            (0x0004, RATIONAL, 3, longitude_at.to_be_bytes()),
        ];
        for (tag, kind, count, value) in gps_fields {
            out.extend_from_slice(&tag.to_be_bytes());
            out.extend_from_slice(&kind.to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
            out.extend_from_slice(&value);
        }
        out.extend_from_slice(&0u32.to_be_bytes());
        for value in LATITUDE {
            out.extend_from_slice(&value.to_be_bytes());
        }
        for value in [4u32, 1, 53, 1, 5678, 100] {
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
    out
}

/// Inserts `payload` as a segment with `marker` right after the SOI of `jpeg`.
pub fn with_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    let length = u16::try_from(payload.len() + 2).unwrap_or(u16::MAX);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A JPEG of `image` with an APP1 `Exif` segment holding `orientation` and, if `gps`, a GPS IFD.
pub fn jpeg_with_exif(image: &RgbImage, orientation: Option<u16>, gps: bool) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(exif_block(orientation, gps));
    with_segment(&jpeg(image, 90), 0xE1, &payload)
}

/// A PNG chunk with its CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in kind.iter().chain(data) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}

/// Inserts `chunk` into `png` right after `IHDR`.
pub fn png_with_chunk(png: &[u8], chunk: &[u8]) -> Vec<u8> {
    let after_ihdr = 8 + 25;
    let mut out = png[..after_ihdr].to_vec();
    out.extend_from_slice(chunk);
    out.extend_from_slice(&png[after_ihdr..]);
    out
}

/// The PNG chunk types in `png`, in order.
pub fn png_chunk_types(png: &[u8]) -> Vec<String> {
    let mut types = Vec::new();
    let mut pos = 8;
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes([png[pos], png[pos + 1], png[pos + 2], png[pos + 3]]);
        types.push(String::from_utf8_lossy(&png[pos + 4..pos + 8]).into_owned());
        pos += 12 + len as usize;
    }
    types
}

/// The marker codes of a JPEG's segments before its first scan.
pub fn jpeg_markers(jpeg: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let marker = jpeg[pos + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
        pos += 2 + len;
    }
    markers
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The bytes of the latitude rationals as the fixture EXIF block stores them.
pub fn latitude_bytes() -> Vec<u8> {
    LATITUDE.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// Decodes image bytes (any format) for checks.
pub fn decode(bytes: &[u8]) -> DynamicImage {
    match image::load_from_memory(bytes) {
        Ok(image) => image,
        Err(error) => panic!("output does not decode: {error}"),
    }
}

/// Mean colour of the `size` x `size` square at (x, y) of an RGB image.
pub fn mean(image: &RgbImage, x: u32, y: u32, size: u32) -> [f64; 3] {
    let mut sum = [0f64; 3];
    for py in y..y + size {
        for px in x..x + size {
            let Rgb(c) = *image.get_pixel(px, py);
            for i in 0..3 {
                sum[i] += f64::from(c[i]);
            }
        }
    }
    let n = f64::from(size * size);
    sum.map(|s| s / n)
}

/// A hand-made PNG whose IHDR claims `width` x `height`, with one tiny IDAT: a decompression
/// bomb's header (the real thing would hold a few hundred kB of zlib zeros).
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    // zlib stream of a few zero bytes (stored block), far too short for the claimed size.
    png.extend(png_chunk(
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0, 0, 0, 0, 0, 0x04, 0x00, 0x01,
        ],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

/// A baseline JPEG header (tables from a real 8x8 JPEG) whose frame claims `width` x `height`.
pub fn jpeg_bomb(width: u16, height: u16) -> Vec<u8> {
    let mut real = jpeg(&photo(8, 8), 90);
    // Patch the SOF0 size fields.
    let mut pos = 2;
    while pos + 4 <= real.len() {
        let marker = real[pos + 1];
        let len = u16::from_be_bytes([real[pos + 2], real[pos + 3]]) as usize;
        if marker == 0xC0 {
            real[pos + 5..pos + 7].copy_from_slice(&height.to_be_bytes());
            real[pos + 7..pos + 9].copy_from_slice(&width.to_be_bytes());
            break;
        }
        pos += 2 + len;
    }
    real
}

/// A GIF whose logical screen and first frame claim 65535 x 65535.
pub fn gif_bomb() -> Vec<u8> {
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0, 0]); // screen, global table of 2
    gif.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0]);
    gif.extend_from_slice(&[2, 2, 0x4C, 0x01, 0, 0x3B]);
    gif
}

/// A BMP header claiming 50,000 x 50,000 24-bit pixels, with no pixel data.
pub fn bmp_bomb() -> Vec<u8> {
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&(54u32 + 16).to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&50_000i32.to_le_bytes());
    bmp.extend_from_slice(&50_000i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    bmp.extend_from_slice(&[0; 16]);
    bmp
}

/// A lossless WebP (`VP8L`) whose header claims 16383 x 16383 (the format's largest): 268
/// megapixels.
pub fn webp_bomb() -> Vec<u8> {
    let side = 16_383u32 - 1;
    // Signature 0x2F, then width-1 and height-1 in 14 bits each, alpha hint, version 0.
    let bits = side | (side << 14);
    let mut chunk = b"VP8L".to_vec();
    chunk.extend_from_slice(&9u32.to_le_bytes());
    chunk.push(0x2F);
    chunk.extend_from_slice(&bits.to_le_bytes());
    chunk.extend_from_slice(&[0, 0, 0, 0, 0]); // a stub of a bitstream, and padding
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&(4 + chunk.len() as u32).to_le_bytes());
    webp.extend_from_slice(b"WEBP");
    webp.extend(chunk);
    webp
}
