//! Decoding in two steps: the header first (size and orientation, refused above the pixel
//! limit before anything is allocated for pixels), then the pixels, at reduced scale when the
//! format allows it and the caller needs far fewer pixels than the file has.
//!
//! JPEGs that are to be shrunk at least twofold are decoded with `jpeg-decoder`, whose inverse
//! DCT can produce 1/2, 1/4 or 1/8 of the size directly (what Pillow's `Image.draft` does with
//! libjpeg): for a 24-megapixel photo sent at 1.15 megapixels that skips most of the IDCT,
//! upsampling and colour conversion, and the full-size buffer (72 MB) is never allocated. Full
//! size JPEGs, and the kinds `jpeg-decoder` cannot scale (CMYK, 16-bit), go to the `image`
//! crate's `zune-jpeg`, which is faster at full size. Everything else goes through the `image`
//! crate with [`image::Limits`] set, a second fence behind the pixel limit.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::pixels::{Layout, Pixels};
use crate::scan::Scan;
use crate::{ImageError, MAX_DECODE_BYTES, MAX_PIXELS};

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
    Jpeg(&'a [u8]),
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
    // The decoders read only the header here. They get their limits once the size is known to
    // be acceptable, so that a bomb is reported with the size it claims.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
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

impl Header<'_> {
    /// Decodes the pixels (not yet oriented), at least `min_width` x `min_height` (in stored
    /// orientation) when the format can decode at reduced scale, else at full size.
    pub(crate) fn decode(self, min_width: u32, min_height: u32) -> Result<Pixels, ImageError> {
        let (width, height) = (self.width, self.height);
        match self.source {
            Source::Jpeg(bytes) => {
                let denominator = [8, 4, 2]
                    .into_iter()
                    .find(|&d| width.div_ceil(d) >= min_width && height.div_ceil(d) >= min_height);
                if let Some(denominator) = denominator
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
            Source::Other(format, decoder) => {
                let image = DynamicImage::from_decoder(decoder)
                    .map_err(|error| ImageError::from_decoding(error, format, width, height))?;
                Ok(Pixels::from_dynamic(image))
            }
        }
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
