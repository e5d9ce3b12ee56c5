//! Decoding in two steps: the header first (size and orientation, refused above the pixel
//! limit before anything is allocated for pixels), then the pixels, at reduced scale when the
//! format allows it and the caller needs far fewer pixels than the file has.
//!
//! JPEGs that are to be shrunk at least twofold are decoded with `jpeg-decoder`, whose inverse
//! DCT can produce 1/2, 1/4 or 1/8 of the size directly (what Pillow's `Image.draft` does with
//! libjpeg): for a 24-megapixel photo sent at 1.15 megapixels that skips most of the IDCT,
//! upsampling and colour conversion, and the full-size buffer (72 MB) is never allocated. Full
//! size JPEGs, and the kinds `jpeg-decoder` cannot scale (CMYK, 16-bit), go to the `image`
//! crate's `zune-jpeg`, which is faster at full size (it needs the whole file in memory). JPEGs
//! read from a file too large to hold ([`crate::MAX_IN_MEMORY_BYTES`]) are decoded by
//! `jpeg-decoder` alone, which reads as it goes.
//!
//! PNGs are decoded row by row with the `png` crate, 16-bit narrowed to 8 as each row arrives,
//! and shrunk on the fly ([`crate::reduce`]) when far fewer pixels are needed: a 192 MB noisy
//! 8000 x 8000 PNG never exists decoded at full size. TIFFs stored in strips of 8- or 16-bit
//! grey, RGB or RGBA samples are read the same way, one strip at a time with the `tiff` crate;
//! the other TIFFs (tiles, separate planes, CMYK, YCbCr, palettes, floating point) are rare and
//! go the general way, as does grey with alpha, which `tiff` 0.11 does not tell apart from other
//! "multiband" images (and the `image` crate then refuses). Everything else goes through the `image` crate with
//! [`image::Limits`] set, a second fence behind the pixel limit, into exactly one buffer of the
//! decoder's own layout, which is then narrowed in place or reduced.
//!
//! Every decoder reads from a `BufRead + Seek` source: the bytes of a paste or a small file, or
//! the file itself.

use std::io::{BufRead, Cursor, Seek, SeekFrom};

use image::metadata::Orientation;
use image::{ColorType, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::pixels::{Layout, Pixels};
use crate::reduce::{self, Depth, Reducer};
use crate::scan::Scan;
use crate::{ImageError, MAX_DECODE_BYTES, MAX_PIXELS};

/// What decoders read from: the bytes in memory, or a buffered file.
pub(crate) trait Input: BufRead + Seek {}

impl<T: BufRead + Seek> Input for T {}

type Stream<'a> = Box<dyn Input + 'a>;

/// An image whose header has been read and accepted.
pub(crate) struct Header<'a> {
    /// Width as stored (before orientation).
    pub width: u32,
    /// Height as stored (before orientation).
    pub height: u32,
    pub orientation: Orientation,
    source: Source<'a>,
}

enum Source<'a> {
    /// A JPEG in memory.
    Jpeg(&'a [u8]),
    /// A JPEG read from its file by `jpeg-decoder`, header already read.
    JpegStream(Box<jpeg_decoder::Decoder<Stream<'a>>>),
    /// A PNG, header read, rows to come.
    Png(Box<png::Reader<Stream<'a>>>),
    /// A TIFF in strips of a sample layout the [`Reducer`] takes, header read.
    Tiff(Box<TiffStrips<'a>>),
    Other(ImageFormat, Box<dyn ImageDecoder + 'a>),
}

/// True when the orientation turns the image a quarter, so width and height swap.
pub(crate) fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

fn check_size(width: u32, height: u32) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::corrupt("the header gives a size of zero"));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels { width, height });
    }
    Ok(())
}

/// Reads the header of `bytes` (already sniffed as `format` and scanned).
pub(crate) fn header<'a>(
    bytes: &'a [u8],
    format: ImageFormat,
    scan: &Scan<'_>,
) -> Result<Header<'a>, ImageError> {
    if let (ImageFormat::Jpeg, Some((width, height))) = (format, scan.jpeg_size) {
        check_size(width, height)?;
        let orientation = scan
            .exif
            .and_then(Orientation::from_exif_chunk)
            .unwrap_or(Orientation::NoTransforms);
        return Ok(Header {
            width,
            height,
            orientation,
            source: Source::Jpeg(bytes),
        });
    }
    header_of(Box::new(Cursor::new(bytes)), format)
}

/// Reads the header of an image of `format` from its file (`len` bytes, more than
/// [`crate::MAX_IN_MEMORY_BYTES`]), positioned at its start.
pub(crate) fn header_streamed<'a>(
    stream: Stream<'a>,
    format: ImageFormat,
    len: u64,
) -> Result<Header<'a>, ImageError> {
    if format != ImageFormat::Jpeg {
        return header_of(stream, format);
    }
    let mut decoder = jpeg_decoder::Decoder::new(stream);
    decoder.read_info().map_err(jpeg_error)?;
    let info = decoder
        .info()
        .ok_or_else(|| ImageError::corrupt("the JPEG has no frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_size(width, height)?;
    if !matches!(
        info.pixel_format,
        jpeg_decoder::PixelFormat::L8 | jpeg_decoder::PixelFormat::RGB24
    ) {
        // CMYK needs Adobe's inversion rules and 16-bit needs narrowing: only zune-jpeg does
        // both, and it wants the whole file in memory.
        return Err(ImageError::JpegTooLargeToRead {
            megabytes: len.div_ceil(1_000_000),
        });
    }
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    Ok(Header {
        width,
        height,
        orientation,
        source: Source::JpegStream(Box::new(decoder)),
    })
}

fn header_of<'a>(stream: Stream<'a>, format: ImageFormat) -> Result<Header<'a>, ImageError> {
    let stream = match format {
        ImageFormat::Png => return png_header(stream),
        ImageFormat::Tiff => match tiff_header(stream)? {
            Ok(header) => return Ok(header),
            Err(stream) => stream,
        },
        _ => stream,
    };
    // The decoders read only the header here. They get their limits once the size is known to
    // be acceptable, so that a bomb is reported with the size it claims.
    let mut reader = ImageReader::with_format(stream, format);
    reader.no_limits();
    let mut decoder = reader
        .into_decoder()
        .map_err(|error| ImageError::from_decoding(error, format, 0, 0))?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    decoder
        .set_limits(limits())
        .map_err(|error| ImageError::from_decoding(error, format, width, height))?;
    // A broken EXIF block is no reason to refuse the pixels: it only loses the orientation.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    Ok(Header {
        width,
        height,
        orientation,
        source: Source::Other(format, Box::new(decoder)),
    })
}

fn png_header(stream: Stream<'_>) -> Result<Header<'_>, ImageError> {
    let mut decoder = png::Decoder::new(stream);
    // Palettes and low bit depths expanded, 16 bits narrowed to 8, row by row.
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    decoder.set_limits(png::Limits {
        bytes: usize::try_from(MAX_DECODE_BYTES).unwrap_or(usize::MAX),
    });
    // Metadata is dropped anyway; not even read into memory.
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let reader = decoder
        .read_info()
        .map_err(|error| png_error(error, 0, 0))?;
    let info = reader.info();
    let (width, height) = (info.width, info.height);
    check_size(width, height)?;
    let orientation = info
        .exif_metadata
        .as_deref()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    Ok(Header {
        width,
        height,
        orientation,
        source: Source::Png(Box::new(reader)),
    })
}

impl Header<'_> {
    /// Decodes the pixels (not yet oriented), at least `min_width` x `min_height` (in stored
    /// orientation) when the format can decode at reduced scale, else at full size.
    pub(crate) fn decode(self, min_width: u32, min_height: u32) -> Result<Pixels, ImageError> {
        let (width, height) = (self.width, self.height);
        let denominator = |choices: &[u32]| {
            choices
                .iter()
                .copied()
                .find(|&d| width.div_ceil(d) >= min_width && height.div_ceil(d) >= min_height)
        };
        match self.source {
            Source::Jpeg(bytes) => {
                if let Some(denominator) = denominator(&[8, 4, 2])
                    && let Some(pixels) = decode_jpeg_scaled(bytes, width, height, denominator)
                {
                    return Ok(pixels);
                }
                let failed =
                    |error| ImageError::from_decoding(error, ImageFormat::Jpeg, width, height);
                let mut decoder =
                    image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes)).map_err(failed)?;
                decoder.set_limits(limits()).map_err(failed)?;
                let image = DynamicImage::from_decoder(decoder).map_err(failed)?;
                Ok(Pixels::from_dynamic(image))
            }
            Source::JpegStream(mut decoder) => {
                let denominator = denominator(&[8, 4, 2]).unwrap_or(1);
                decoder.set_max_decoding_buffer_size(
                    usize::try_from(MAX_DECODE_BYTES).unwrap_or(usize::MAX),
                );
                let requested = |side: u32| u16::try_from(side.div_ceil(denominator));
                let (Ok(w), Ok(h)) = (requested(width), requested(height)) else {
                    return Err(ImageError::corrupt("the JPEG is too large"));
                };
                let (out_width, out_height) = decoder.scale(w, h).map_err(jpeg_error)?;
                let data = decoder.decode().map_err(jpeg_error)?;
                let layout = match decoder.info().map(|info| info.pixel_format) {
                    Some(jpeg_decoder::PixelFormat::L8) => Layout::Gray,
                    _ => Layout::Rgb,
                };
                let (out_width, out_height) = (u32::from(out_width), u32::from(out_height));
                if data.len() != out_width as usize * out_height as usize * layout.channels() {
                    return Err(ImageError::corrupt("decoded pixels do not match the size"));
                }
                Ok(Pixels::new(out_width, out_height, layout, data))
            }
            Source::Png(reader) => decode_png(*reader, min_width, min_height),
            Source::Tiff(strips) => strips.decode(min_width, min_height),
            Source::Other(format, decoder) => {
                decode_other(format, decoder, width, height, min_width, min_height)
            }
        }
    }
}

/// A PNG, row by row into a [`Reducer`]; interlaced ones (whose rows come in seven passes) into
/// one full-size 8-bit buffer first.
fn decode_png(
    mut reader: png::Reader<Stream<'_>>,
    min_width: u32,
    min_height: u32,
) -> Result<Pixels, ImageError> {
    let (width, height) = (reader.info().width, reader.info().height);
    let failed = |error| png_error(error, width, height);
    let (colour, depth) = reader.output_color_type();
    if depth != png::BitDepth::Eight {
        return Err(ImageError::unsupported("some PNG"));
    }
    let factor = reduce::factor(width, height, min_width, min_height);
    let mut reducer = Reducer::new(width, height, colour.samples(), Depth::Eight, factor)?;
    if reader.info().interlaced {
        let size = reader
            .output_buffer_size()
            .filter(|&size| size as u64 <= MAX_DECODE_BYTES)
            .ok_or(ImageError::DecodeTooLarge { width, height })?;
        let mut buffer = Vec::new();
        buffer
            .try_reserve_exact(size)
            .map_err(|_| ImageError::DecodeTooLarge { width, height })?;
        buffer.resize(size, 0);
        let frame = reader.next_frame(&mut buffer).map_err(failed)?;
        for row in buffer.chunks_exact(frame.line_size) {
            reducer.push(row)?;
        }
    } else {
        while let Some(row) = reader.next_row().map_err(failed)? {
            reducer.push(row.data())?;
        }
    }
    // Reads on to IEND: a file cut after its pixel data is still a damaged file.
    reader.finish().map_err(failed)?;
    reducer.finish()
}

/// A TIFF whose strips the `tiff` crate decodes one at a time, in a layout the [`Reducer`] takes.
pub(crate) struct TiffStrips<'a> {
    decoder: tiff::decoder::Decoder<Stream<'a>>,
    width: u32,
    height: u32,
    channels: usize,
    depth: Depth,
}

/// Reads the header of a TIFF. Gives the stream back, rewound, when the image is not one
/// [`TiffStrips`] reads: the `image` crate then decodes it (and has the last word on it). Errors
/// are those the `image` crate's decoder gives for the same header.
fn tiff_header(stream: Stream<'_>) -> Result<Result<Header<'_>, Stream<'_>>, ImageError> {
    let mut decoder =
        tiff::decoder::Decoder::new(stream).map_err(|error| tiff_error(error, 0, 0))?;
    let (width, height) = decoder
        .dimensions()
        .map_err(|error| tiff_error(error, 0, 0))?;
    let Some((channels, depth)) = strip_layout(&mut decoder) else {
        // The decoder cannot hand the stream back, but it can swap it for an empty one.
        let mut stream: Stream<'_> =
            std::mem::replace(decoder.inner(), Box::new(Cursor::new(&[][..])));
        stream.seek(SeekFrom::Start(0))?;
        return Ok(Err(stream));
    };
    check_size(width, height)?;
    let mut limits = tiff::decoder::Limits::default();
    let max = usize::try_from(MAX_DECODE_BYTES).unwrap_or(usize::MAX);
    limits.decoding_buffer_size = max;
    // A strip is read through a buffer of its compressed size only when its compression needs
    // one; an uncompressed single-strip image is one strip of the image's size.
    limits.intermediate_buffer_size = max;
    let mut decoder = decoder.with_limits(limits);
    // As the `image` crate reads it: a broken tag only loses the orientation.
    let orientation = decoder
        .find_tag(tiff::tags::Tag::Orientation)
        .ok()
        .flatten()
        .and_then(|value| value.into_u16().ok())
        .and_then(|value| Orientation::from_exif(value.min(255) as u8))
        .unwrap_or(Orientation::NoTransforms);
    Ok(Ok(Header {
        width,
        height,
        orientation,
        source: Source::Tiff(Box::new(TiffStrips {
            decoder,
            width,
            height,
            channels,
            depth,
        })),
    }))
}

/// The channels and depth of a TIFF's strips when they are unsigned 8- or 16-bit grey, grey and
/// alpha, RGB or RGBA samples stored together (not in separate planes); `None` for the rest.
fn strip_layout(decoder: &mut tiff::decoder::Decoder<Stream<'_>>) -> Option<(usize, Depth)> {
    use tiff::ColorType;
    use tiff::tags::Tag;
    if decoder.get_chunk_type() != tiff::decoder::ChunkType::Strip {
        return None;
    }
    let (channels, bits) = match decoder.colortype().ok()? {
        ColorType::Gray(bits) => (1, bits),
        ColorType::GrayA(bits) => (2, bits),
        ColorType::RGB(bits) => (3, bits),
        ColorType::RGBA(bits) => (4, bits),
        _ => return None,
    };
    let depth = match bits {
        8 => Depth::Eight,
        16 => Depth::SixteenNative,
        _ => return None,
    };
    // 1 is unsigned integers, the default; 1 is samples stored together, the default.
    let formats = decoder
        .find_tag_unsigned_vec::<u16>(Tag::SampleFormat)
        .ok()?
        .unwrap_or_default();
    let planar = decoder
        .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
        .ok()?
        .unwrap_or(1);
    (formats.iter().all(|&format| format == 1) && planar == 1).then_some((channels, depth))
}

impl TiffStrips<'_> {
    /// Decodes strip by strip into a [`Reducer`]: what is held is one strip and the reduced image.
    fn decode(mut self, min_width: u32, min_height: u32) -> Result<Pixels, ImageError> {
        let (width, height) = (self.width, self.height);
        let failed = |error| tiff_error(error, width, height);
        let factor = reduce::factor(width, height, min_width, min_height);
        let mut reducer = Reducer::new(width, height, self.channels, self.depth, factor)?;
        let row_len = reducer.row_len();
        let rows_per_strip = self.decoder.chunk_dimensions().1.clamp(1, height);
        let strip_len = row_len as u64 * u64::from(rows_per_strip);
        if strip_len > MAX_DECODE_BYTES {
            return Err(ImageError::DecodeTooLarge { width, height });
        }
        let mut strip = Vec::new();
        strip
            .try_reserve_exact(strip_len as usize)
            .map_err(|_| ImageError::DecodeTooLarge { width, height })?;
        for (index, top) in (0..height).step_by(rows_per_strip as usize).enumerate() {
            let index = u32::try_from(index).map_err(|_| ImageError::corrupt("too many strips"))?;
            let rows = (height - top).min(rows_per_strip);
            strip.resize(row_len * rows as usize, 0);
            self.decoder
                .read_chunk_bytes(index, &mut strip)
                .map_err(failed)?;
            for row in strip.chunks_exact(row_len) {
                reducer.push(row)?;
            }
        }
        drop(strip);
        reducer.finish()
    }
}

/// Maps a `tiff` crate error the way the `image` crate's TIFF decoder does, so that both ways
/// of decoding a TIFF report the same damage in the same words.
fn tiff_error(error: tiff::TiffError, width: u32, height: u32) -> ImageError {
    use image::error::{
        DecodingError, LimitError, LimitErrorKind, UnsupportedError, UnsupportedErrorKind,
    };
    let error = match error {
        tiff::TiffError::IoError(io) => image::ImageError::IoError(io),
        tiff::TiffError::UnsupportedError(what) => {
            image::ImageError::Unsupported(UnsupportedError::from_format_and_kind(
                ImageFormat::Tiff.into(),
                UnsupportedErrorKind::GenericFeature(what.to_string()),
            ))
        }
        tiff::TiffError::LimitsExceeded => {
            image::ImageError::Limits(LimitError::from_kind(LimitErrorKind::InsufficientMemory))
        }
        other => image::ImageError::Decoding(DecodingError::new(ImageFormat::Tiff.into(), other)),
    };
    ImageError::from_decoding(error, ImageFormat::Tiff, width, height)
}

/// Any other format through the `image` crate: one buffer in the decoder's layout, narrowed to
/// 8 bits in place, or reduced row by row when far fewer pixels are needed.
fn decode_other(
    format: ImageFormat,
    decoder: Box<dyn ImageDecoder + '_>,
    width: u32,
    height: u32,
    min_width: u32,
    min_height: u32,
) -> Result<Pixels, ImageError> {
    let failed = |error| ImageError::from_decoding(error, format, width, height);
    let (channels, depth) = match decoder.color_type() {
        ColorType::L8 => (1, Depth::Eight),
        ColorType::La8 => (2, Depth::Eight),
        ColorType::Rgb8 => (3, Depth::Eight),
        ColorType::Rgba8 => (4, Depth::Eight),
        ColorType::L16 => (1, Depth::SixteenNative),
        ColorType::La16 => (2, Depth::SixteenNative),
        ColorType::Rgb16 => (3, Depth::SixteenNative),
        ColorType::Rgba16 => (4, Depth::SixteenNative),
        // Floating point (TIFF, rare): the `image` crate converts it.
        _ => {
            let image = DynamicImage::from_decoder(decoder).map_err(failed)?;
            return Ok(Pixels::from_dynamic(image));
        }
    };
    let total = decoder.total_bytes();
    if total > MAX_DECODE_BYTES {
        return Err(ImageError::DecodeTooLarge { width, height });
    }
    let mut buffer = Vec::new();
    buffer
        .try_reserve_exact(total as usize)
        .map_err(|_| ImageError::DecodeTooLarge { width, height })?;
    buffer.resize(total as usize, 0);
    decoder.read_image(&mut buffer).map_err(failed)?;
    let factor = reduce::factor(width, height, min_width, min_height);
    let layout = match channels {
        1 => Some(Layout::Gray),
        3 => Some(Layout::Rgb),
        4 => Some(Layout::Rgba),
        _ => None,
    };
    if let (1, Some(layout)) = (factor, layout) {
        let data = match depth {
            Depth::Eight => buffer,
            Depth::SixteenNative => reduce::narrow_in_place(buffer),
        };
        return Ok(Pixels::new(width, height, layout, data).without_opaque_alpha());
    }
    let mut reducer = Reducer::new(width, height, channels, depth, factor)?;
    let row_len = reducer.row_len();
    for row in buffer.chunks_exact(row_len) {
        reducer.push(row)?;
    }
    drop(buffer);
    reducer.finish()
}

fn png_error(error: png::DecodingError, width: u32, height: u32) -> ImageError {
    match error {
        png::DecodingError::IoError(io) => io_error(io),
        png::DecodingError::LimitsExceeded => ImageError::DecodeTooLarge { width, height },
        other => ImageError::corrupt(other.to_string()),
    }
}

fn jpeg_error(error: jpeg_decoder::Error) -> ImageError {
    match error {
        jpeg_decoder::Error::Io(io) => io_error(io),
        jpeg_decoder::Error::Unsupported(_) => ImageError::unsupported("some JPEG"),
        other => ImageError::corrupt(other.to_string()),
    }
}

/// The end of the data where more was due is damage; anything else the file system said is a
/// read error.
fn io_error(error: std::io::Error) -> ImageError {
    if error.kind() == std::io::ErrorKind::UnexpectedEof {
        ImageError::corrupt("the data ends early")
    } else if error.raw_os_error().is_some() {
        ImageError::from(error)
    } else {
        ImageError::corrupt(error.to_string())
    }
}

/// Decodes a JPEG at 1/`denominator` scale with `jpeg-decoder`'s scaled IDCT. `None` when this
/// decoder cannot do it (a colour model it does not scale, an unsupported coding process, or any
/// error): the caller then decodes at full size with `zune-jpeg`, whose verdict on damaged data
/// is the one reported.
fn decode_jpeg_scaled(bytes: &[u8], width: u32, height: u32, denominator: u32) -> Option<Pixels> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(usize::try_from(MAX_DECODE_BYTES).ok()?);
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    let layout = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Layout::Gray,
        jpeg_decoder::PixelFormat::RGB24 => Layout::Rgb,
        // CMYK needs Adobe's inversion rules and 16-bit needs narrowing: zune-jpeg does both.
        jpeg_decoder::PixelFormat::L16 | jpeg_decoder::PixelFormat::CMYK32 => return None,
    };
    if (u32::from(info.width), u32::from(info.height)) != (width, height) {
        return None;
    }
    let requested_width = u16::try_from(width.div_ceil(denominator)).ok()?;
    let requested_height = u16::try_from(height.div_ceil(denominator)).ok()?;
    let (out_width, out_height) = decoder.scale(requested_width, requested_height).ok()?;
    let data = decoder.decode().ok()?;
    let (out_width, out_height) = (u32::from(out_width), u32::from(out_height));
    let expected = out_width as usize * out_height as usize * layout.channels();
    (data.len() == expected).then(|| Pixels::new(out_width, out_height, layout, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TIFF written by hand: `width` x `height`, `channels` samples of `bits` (8 or 16) per
    /// pixel (an extra alpha sample for 2 and 4), `rows_per_strip` rows per strip, uncompressed,
    /// in either byte order, with an orientation tag. The samples are a pattern that differs
    /// per pixel and channel.
    fn tiff(
        (width, height): (u32, u32),
        channels: u16,
        bits: u16,
        rows_per_strip: u32,
        big_endian: bool,
        orientation: u16,
    ) -> Vec<u8> {
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let strips = height.div_ceil(rows_per_strip);
        let row_len = width * u32::from(channels) * u32::from(bits / 8);
        let alpha = channels == 2 || channels == 4;
        let entries: u16 = 11 + u16::from(alpha);
        let bits_at = 8 + 2 + 12 * u32::from(entries) + 4;
        let offsets_at = bits_at + 2 * u32::from(channels);
        let counts_at = offsets_at + 4 * strips;
        let data_at = counts_at + 4 * strips;
        let photometric = if channels <= 2 { 1 } else { 2 };
        // (tag, type: 3 SHORT or 4 LONG, count, value or offset)
        let mut tags: Vec<(u16, u16, u32, u32)> = vec![
            (256, 4, 1, width),
            (257, 4, 1, height),
            (
                258,
                3,
                u32::from(channels),
                if channels == 1 {
                    u32::from(bits)
                } else {
                    bits_at
                },
            ),
            (259, 3, 1, 1),
            (262, 3, 1, photometric),
            (273, 4, strips, offsets_at),
            (274, 3, 1, u32::from(orientation)),
            (277, 3, 1, u32::from(channels)),
            (278, 4, 1, rows_per_strip),
            (279, 4, strips, counts_at),
            (284, 3, 1, 1),
        ];
        if alpha {
            tags.push((338, 3, 1, 2));
        }
        let mut out = if big_endian {
            b"MM\0*".to_vec()
        } else {
            b"II*\0".to_vec()
        };
        out.extend_from_slice(&u32b(8));
        out.extend_from_slice(&u16b(entries));
        for (tag, kind, count, value) in tags {
            out.extend_from_slice(&u16b(tag));
            out.extend_from_slice(&u16b(kind));
            out.extend_from_slice(&u32b(count));
            if kind == 3 && count == 1 {
                // A single SHORT sits in the first two bytes of the field, in either order.
                out.extend_from_slice(&u16b(value as u16));
                out.extend_from_slice(&[0, 0]);
            } else if kind == 3 && count == 2 {
                out.extend_from_slice(&u16b(bits));
                out.extend_from_slice(&u16b(bits));
            } else {
                out.extend_from_slice(&u32b(value));
            }
        }
        out.extend_from_slice(&u32b(0));
        for _ in 0..channels {
            out.extend_from_slice(&u16b(bits));
        }
        for strip in 0..strips {
            out.extend_from_slice(&u32b(data_at + strip * rows_per_strip * row_len));
        }
        for strip in 0..strips {
            let rows = (height - strip * rows_per_strip).min(rows_per_strip);
            out.extend_from_slice(&u32b(rows * row_len));
        }
        assert_eq!(out.len() as u32, data_at);
        let samples = width * height * u32::from(channels);
        for i in 0..samples {
            let value = i.wrapping_mul(2_654_435_761) >> 7;
            if bits == 8 {
                out.push(value as u8);
            } else {
                out.extend_from_slice(&u16b(value as u16));
            }
        }
        out
    }

    fn stream(bytes: &[u8]) -> Stream<'_> {
        Box::new(Cursor::new(bytes))
    }

    /// The way every TIFF was decoded before strips: the `image` crate's decoder, one buffer.
    fn via_image(bytes: &[u8], min: (u32, u32)) -> Result<Pixels, ImageError> {
        let mut reader = ImageReader::with_format(stream(bytes), ImageFormat::Tiff);
        reader.no_limits();
        let decoder = reader
            .into_decoder()
            .map_err(|error| ImageError::from_decoding(error, ImageFormat::Tiff, 0, 0))?;
        let (width, height) = decoder.dimensions();
        decode_other(
            ImageFormat::Tiff,
            Box::new(decoder),
            width,
            height,
            min.0,
            min.1,
        )
    }

    fn via_strips(bytes: &[u8], min: (u32, u32)) -> Result<Pixels, ImageError> {
        let header = header_of(stream(bytes), ImageFormat::Tiff)?;
        assert!(
            matches!(header.source, Source::Tiff(_)),
            "a TIFF in strips is read strip by strip"
        );
        header.decode(min.0, min.1)
    }

    #[test]
    fn tiff_strips_decode_like_the_image_crate_in_every_layout() {
        let size = (37, 23);
        for channels in 1..=4 {
            for bits in [8, 16] {
                for (rows_per_strip, big_endian) in [(1, false), (5, true), (64, false)] {
                    let case = format!("{channels} x {bits} bits, {rows_per_strip} rows/strip");
                    let bytes = tiff(size, channels, bits, rows_per_strip, big_endian, 1);
                    // Full size, and shrunk while read (factor 3).
                    if channels == 2 {
                        // `tiff` 0.11 reads grey with alpha as "multiband", which the `image`
                        // crate refuses: both ways refuse it alike.
                        let refused = Some(ImageError::unsupported("some TIFF"));
                        assert_eq!(via_image(&bytes, size).err(), refused, "{case}");
                        let header = header_of(stream(&bytes), ImageFormat::Tiff);
                        assert_eq!(header.err(), refused, "{case}");
                        continue;
                    }
                    for min in [size, (6, 3)] {
                        let old = via_image(&bytes, min);
                        let new = via_strips(&bytes, min);
                        let (old, new) = match (old, new) {
                            (Ok(old), Ok(new)) => (old, new),
                            (old, new) => panic!("{case}: {:?} {:?}", old.err(), new.err()),
                        };
                        assert_eq!(
                            (new.width, new.height, new.layout),
                            (old.width, old.height, old.layout),
                            "{case}"
                        );
                        assert!(new.data == old.data, "{case}: the pixels differ");
                    }
                }
            }
        }
    }

    #[test]
    fn tiff_orientation_tag_is_honoured_when_read_by_strips() {
        let bytes = tiff((8, 4), 3, 8, 2, false, 6);
        let header = header_of(stream(&bytes), ImageFormat::Tiff).unwrap();
        assert!(matches!(header.source, Source::Tiff(_)));
        assert_eq!(header.orientation, Orientation::Rotate90);
    }

    #[test]
    fn truncated_tiff_strips_give_the_image_crates_error() {
        let bytes = tiff((40, 30), 3, 16, 4, false, 1);
        let cut = &bytes[..bytes.len() - bytes.len() / 4];
        let old = via_image(cut, (40, 30)).err();
        let new = via_strips(cut, (40, 30)).err();
        assert!(
            matches!(new, Some(ImageError::Corrupt { .. })),
            "a cut TIFF is damaged: {new:?}"
        );
        assert_eq!(new, old, "the same words for the same damage");
    }

    #[test]
    fn other_tiffs_fall_back_to_the_image_crate() {
        // Floating point samples: not a strip layout the reducer takes.
        let image = DynamicImage::ImageRgb32F(image::Rgb32FImage::from_pixel(
            9,
            7,
            image::Rgb([0.25, 0.5, 1.0]),
        ));
        let mut bytes = Cursor::new(Vec::new());
        image.write_to(&mut bytes, ImageFormat::Tiff).unwrap();
        let bytes = bytes.into_inner();
        let header = header_of(stream(&bytes), ImageFormat::Tiff).unwrap();
        assert!(matches!(header.source, Source::Other(..)));
        let pixels = header.decode(9, 7).unwrap();
        assert_eq!((pixels.width, pixels.height), (9, 7));
    }
}
