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
//! 8000 x 8000 PNG never exists decoded at full size. Everything else goes through the `image`
//! crate with [`image::Limits`] set, a second fence behind the pixel limit, into exactly one
//! buffer of the decoder's own layout, which is then narrowed in place or reduced.
//!
//! Every decoder reads from a `BufRead + Seek` source: the bytes of a paste or a small file, or
//! the file itself.

use std::io::{BufRead, Cursor, Seek};

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
    if format == ImageFormat::Png {
        return png_header(stream);
    }
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
