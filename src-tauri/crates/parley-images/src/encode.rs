//! Encoders, and the loop that brings an encoding under the API's size limit.
//!
//! Encoders write pixels only: `jpeg-encoder` writes a JFIF header and the `image` crate's PNG
//! encoder writes `IHDR`/`IDAT`/`IEND`; neither is given any metadata, so nothing from the source
//! file (EXIF, GPS, XMP, ICC, comments) can reach the output.

use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};

use crate::pixels::{Layout, Pixels};
use crate::{EncodedImage, ImageError, MAX_BASE64_LEN, MediaType};

/// JPEG quality for photos: visually lossless for a model looking at a photo, about a tenth of
/// the PNG size.
pub(crate) const JPEG_QUALITY: u8 = 85;
/// JPEG quality for thumbnails, which are only ever shown small.
pub(crate) const THUMBNAIL_QUALITY: u8 = 80;
/// Quality steps go down to this before the image is made smaller instead: below it JPEG
/// artefacts hurt more than fewer pixels do.
const LOWEST_STEPPED_QUALITY: u8 = 65;
/// Encode attempts before giving up with [`ImageError::TooLarge`]; each downscale at least
/// divides the pixel count by 1.2, so this is far more than any real image needs.
const MAX_ATTEMPTS: usize = 24;

/// The length of the base64 (standard, padded) encoding of `len` bytes.
pub fn base64_len(len: usize) -> usize {
    len.div_ceil(3).saturating_mul(4)
}

/// True when `len` bytes of image data make a base64 string the API accepts.
pub(crate) fn fits(len: usize) -> bool {
    base64_len(len) < MAX_BASE64_LEN
}

/// The largest byte count that [`fits`]: 3,932,157 bytes for a 5,242,880-byte base64 limit.
fn max_bytes() -> usize {
    (MAX_BASE64_LEN - 1) / 4 * 3
}

fn dimension(value: u32) -> Result<u16, ImageError> {
    u16::try_from(value).map_err(|_| ImageError::corrupt("the image is too wide for JPEG"))
}

/// Baseline JPEG, 4:2:0 below quality 90 (as cameras and libjpeg do), alpha flattened on white.
pub(crate) fn jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, ImageError> {
    let pixels = pixels.flattened();
    let colour = match pixels.layout {
        Layout::Gray => jpeg_encoder::ColorType::Luma,
        Layout::Rgb | Layout::Rgba => jpeg_encoder::ColorType::Rgb,
    };
    // A JPEG of a photo is rarely above 2 bits per pixel at these qualities.
    let mut out = Vec::with_capacity(pixels.data.len() / 6);
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(
            &pixels.data,
            dimension(pixels.width)?,
            dimension(pixels.height)?,
            colour,
        )
        .map_err(|error| ImageError::corrupt(format!("JPEG encoding: {error}")))?;
    Ok(out)
}

/// PNG with adaptive filtering and zlib-level-6-like compression (`Default`): screenshots shrink
/// well with it, and it costs a fraction of the resize.
pub(crate) fn png(pixels: &Pixels) -> Result<Vec<u8>, ImageError> {
    let colour = match pixels.layout {
        Layout::Gray => image::ExtendedColorType::L8,
        Layout::Rgb => image::ExtendedColorType::Rgb8,
        Layout::Rgba => image::ExtendedColorType::Rgba8,
    };
    let mut out = Vec::with_capacity(pixels.data.len() / 4);
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(&pixels.data, pixels.width, pixels.height, colour)
        .map_err(|error| ImageError::corrupt(format!("PNG encoding: {error}")))?;
    Ok(out)
}

/// The output format chosen for an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Png,
    Jpeg,
}

/// Encodes `pixels` as `kind`, then, while the base64 would not fit under [`MAX_BASE64_LEN`]:
/// an opaque PNG becomes a JPEG; a JPEG a little too large loses quality in steps of 10 down to
/// 65; anything else is scaled down by the square root of how far over it is (with a margin).
/// Returns the encoding and the pixels it encodes (for the thumbnail).
pub(crate) fn within_limit(
    mut pixels: Pixels,
    mut kind: Kind,
) -> Result<(EncodedImage, Pixels), ImageError> {
    let mut quality = JPEG_QUALITY;
    for _ in 0..MAX_ATTEMPTS {
        let bytes = match kind {
            Kind::Png => png(&pixels)?,
            Kind::Jpeg => jpeg(&pixels, quality)?,
        };
        if fits(bytes.len()) {
            let media_type = match kind {
                Kind::Png => MediaType::Png,
                Kind::Jpeg => MediaType::Jpeg,
            };
            let image = EncodedImage {
                media_type,
                bytes,
                width: pixels.width,
                height: pixels.height,
            };
            return Ok((image, pixels));
        }
        let ratio = max_bytes() as f64 / bytes.len() as f64;
        match kind {
            Kind::Png if !pixels.has_alpha() => {
                kind = Kind::Jpeg;
                continue;
            }
            Kind::Jpeg if quality > LOWEST_STEPPED_QUALITY && ratio > 0.5 => {
                quality -= 10;
                continue;
            }
            _ => {}
        }
        if pixels.width <= 1 && pixels.height <= 1 {
            break;
        }
        let factor = (ratio.sqrt() * 0.9).clamp(0.25, 0.9);
        let width = ((f64::from(pixels.width) * factor) as u32).max(1);
        let height = ((f64::from(pixels.height) * factor) as u32).max(1);
        pixels = pixels.resized(width, height)?;
    }
    Err(ImageError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_length() {
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(1), 4);
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(4), 8);
        assert!(fits(max_bytes()));
        assert!(!fits(max_bytes() + 1));
        assert_eq!(max_bytes(), 3_932_157);
    }
}
