//! Turns whatever image a user drops, pastes or picks into something the Claude Messages API
//! accepts, and that leaks nothing: upright, without metadata, small enough, in an API format.
//!
//! The pipeline, and why each step is there:
//!
//! 1. **Sniff** the format from the first bytes ([`sniff`](crate::sniff)), never the file name: a
//!    `.jpg` from a phone is often HEIC, a `.png` may be a PDF.
//! 2. **Scan** the structure of JPEG/PNG/GIF/WebP files ([`scan`](crate::scan)) for metadata
//!    (EXIF, GPS, XMP, ICC, text) and truncation.
//! 3. **Read the header** and refuse more than [`MAX_PIXELS`] before any pixel buffer exists:
//!    a 100 kB PNG can claim 100,000 x 100,000 pixels (40 GB decoded).
//! 4. **Decode**, at reduced scale when the image shrinks at least twofold: DCT scaling for
//!    JPEGs, block averaging while the rows arrive for the others ([`reduce`](crate::reduce)).
//!    Files too large to hold ([`MAX_IN_MEMORY_BYTES`]) are decoded from the file as it is read;
//!    the limit on what is decoded is the pixel count, not the file size.
//! 5. **Keep** the original bytes when the file is already in bounds, in an API format and free
//!    of metadata: nothing to gain from re-encoding, and it stays byte-identical.
//! 6. Otherwise **resize** (Catmull-Rom, SIMD), **orient** per EXIF, and **encode** fresh: PNG for
//!    transparency and graphics, JPEG for photos; fresh encodings carry no metadata.
//! 7. **Fit**: lower the JPEG quality or the size until the base64 is under the API's 5 MB.
//!
//! All of it is synchronous and CPU-bound (tens to hundreds of milliseconds for a camera photo):
//! callers run [`prepare`] on a blocking thread (`tokio::task::spawn_blocking`), a few at a time.

mod decode;
mod encode;
mod error;
mod pixels;
mod reduce;
mod scan;
mod sniff;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use image::ImageFormat;
use sha2::{Digest, Sha256};

pub use encode::base64_len;
pub use error::ImageError;

use crate::encode::Kind;
use crate::pixels::Pixels;

/// The API's limit on the base64 string of one image: 5 MiB. The encoding is always strictly
/// shorter (see [`base64_len`]).
pub const MAX_BASE64_LEN: usize = 5_242_880;
/// The most pixels a header may claim: 100 megapixels (a 12,000 x 8,000 scan, twice a 50 MP
/// camera). More is either a decompression bomb or far beyond what the API can use, and decoding
/// it would take gigabytes. There is no separate limit per side: a 60,000 x 200 panorama strip is
/// cheap to decode and resize, and the area is what costs memory.
pub const MAX_PIXELS: u64 = 100_000_000;
/// The most a decoder may allocate at once ([`image::Limits::max_alloc`]), and the largest
/// decode buffer made: 100 megapixels of 16-bit RGBA, with room to spare. A second fence for
/// decoders whose allocations the header does not predict.
pub const MAX_DECODE_BYTES: u64 = 1 << 30;
/// The most image data held in memory as it is: a paste larger than this is refused before it
/// is copied, and a file larger than this is not read whole but decoded from the file as it is
/// read (so a noisy 192 MB PNG or an uncompressed 8000 x 8000 TIFF costs its decoded pixels,
/// not its size twice). Files have no size limit of their own: the pixel count decides.
pub const MAX_IN_MEMORY_BYTES: u64 = 64 * 1024 * 1024;
/// Default bound on the long edge, as the API documentation recommends: larger images are
/// scaled down by the API anyway, costing upload time for nothing.
pub const MAX_LONG_EDGE: u32 = 1568;
/// Default bound on the pixel count (about 1,600 tokens).
pub const MAX_AREA: u64 = 1_150_000;
/// The API's hard limit on either side, which is all that `full_resolution` keeps.
pub const MAX_LONG_EDGE_FULL: u32 = 8000;
/// Long edge of thumbnails.
pub const THUMBNAIL_EDGE: u32 = 256;

/// How to prepare an image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Keep up to the API's hard limits (8000 px long edge, 5 MB) instead of the recommended
    /// 1568 px and 1.15 megapixels.
    pub full_resolution: bool,
}

/// The image formats the API accepts, the only ones this crate outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl MediaType {
    /// The MIME type, as the API's `media_type` wants it.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Gif => "image/gif",
            MediaType::Webp => "image/webp",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Gif => "gif",
            MediaType::Webp => "webp",
        }
    }

    /// The API format of `bytes`, from their signature alone (no decoding, no validation).
    pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
        image::guess_format(bytes)
            .ok()
            .and_then(MediaType::from_format)
    }

    fn from_format(format: ImageFormat) -> Option<MediaType> {
        match format {
            ImageFormat::Jpeg => Some(MediaType::Jpeg),
            ImageFormat::Png => Some(MediaType::Png),
            ImageFormat::Gif => Some(MediaType::Gif),
            ImageFormat::WebP => Some(MediaType::Webp),
            _ => None,
        }
    }
}

/// Encoded image data with its format and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedImage {
    pub media_type: MediaType,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// An image ready to send, with what the UI shows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedImage {
    /// What is sent to the API; its base64 is always shorter than [`MAX_BASE64_LEN`].
    pub image: EncodedImage,
    /// Width of the file's image, after EXIF orientation.
    pub original_width: u32,
    /// Height of the file's image, after EXIF orientation.
    pub original_height: u32,
    /// Lowercase hex SHA-256 of `image.bytes`: the image's identity from now on.
    pub sha256: String,
    /// Long edge <= [`THUMBNAIL_EDGE`]; JPEG, or PNG when the image has transparency.
    pub thumbnail: EncodedImage,
}

/// The API's estimate of the input tokens an image costs: `width * height / 750`, rounded up.
pub fn estimated_tokens(width: u32, height: u32) -> u32 {
    let tokens = (u64::from(width) * u64::from(height)).div_ceil(750);
    u32::try_from(tokens).unwrap_or(u32::MAX)
}

/// The size an image of `width` x `height` (upright) is sent at: the same when it is within
/// bounds, else scaled down keeping the aspect ratio until the long edge and the area fit.
pub fn target_size(width: u32, height: u32, options: &EncodeOptions) -> (u32, u32) {
    let (max_edge, max_area) = if options.full_resolution {
        (MAX_LONG_EDGE_FULL, u64::MAX)
    } else {
        (MAX_LONG_EDGE, MAX_AREA)
    };
    let area = u64::from(width) * u64::from(height);
    if width <= max_edge && height <= max_edge && area <= max_area {
        return (width, height);
    }
    let long = f64::from(width.max(height));
    let scale = (f64::from(max_edge) / long).min((max_area as f64 / area as f64).sqrt());
    // The epsilon keeps 3000 * (1568 / 3000) at 1568 rather than 1567.9999 -> 1567.
    let mut w = ((f64::from(width) * scale + 1e-6) as u32).clamp(1, max_edge);
    let mut h = ((f64::from(height) * scale + 1e-6) as u32).clamp(1, max_edge);
    // Rounding can leave the product a pixel row over the area bound.
    while u64::from(w) * u64::from(h) > max_area {
        if w >= h {
            w -= 1;
        } else {
            h -= 1;
        }
    }
    (w, h)
}

fn thumbnail_size(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= THUMBNAIL_EDGE {
        return (width, height);
    }
    let scale = f64::from(THUMBNAIL_EDGE) / f64::from(long);
    let w = ((f64::from(width) * scale).round() as u32).clamp(1, THUMBNAIL_EDGE);
    let h = ((f64::from(height) * scale).round() as u32).clamp(1, THUMBNAIL_EDGE);
    (w, h)
}

/// Prepares the image in `bytes` for the API. See the crate documentation for the steps.
/// Refuses more than [`MAX_IN_MEMORY_BYTES`] before looking at them.
///
/// Synchronous and CPU-bound; run it on a blocking thread. A decoder panic on hostile input is
/// caught and reported as [`ImageError::Corrupt`].
pub fn prepare(bytes: &[u8], options: &EncodeOptions) -> Result<PreparedImage, ImageError> {
    check_input_len(bytes.len() as u64)?;
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    catch_panics(|| prepare_bytes(bytes, options))
}

/// Refuses image data handed over in memory (a paste, an IPC body) that is larger than
/// [`MAX_IN_MEMORY_BYTES`]: callers check the length before they copy the data.
pub fn check_input_len(len: u64) -> Result<(), ImageError> {
    if len > MAX_IN_MEMORY_BYTES {
        return Err(ImageError::InputTooLarge {
            megabytes: len.div_ceil(1_000_000),
        });
    }
    Ok(())
}

/// The size of the regular file at `path`, or why it is not one to read: a folder, a device
/// such as `/dev/zero` (endless data), a FIFO (a read would block until someone writes) or a
/// socket is refused from its metadata, without being opened.
pub fn check_regular_file(path: &Path) -> Result<u64, ImageError> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(ImageError::NotAFile);
    }
    Ok(metadata.len())
}

/// Prepares the image file at `path`. Only regular files are read ([`check_regular_file`]).
/// Files up to [`MAX_IN_MEMORY_BYTES`] are read whole (and sent unchanged when they qualify);
/// larger ones are decoded from the file as it is read, with memory bounded by the pixels kept
/// rather than by the file size.
pub fn prepare_file(path: &Path, options: &EncodeOptions) -> Result<PreparedImage, ImageError> {
    check_regular_file(path)?;
    let file = File::open(path)?;
    // Checked again on what was opened: the path may have been swapped since.
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(ImageError::NotAFile);
    }
    let len = metadata.len();
    if len == 0 {
        return Err(ImageError::Empty);
    }
    if len > MAX_IN_MEMORY_BYTES {
        return catch_panics(|| prepare_streamed(file, len, options));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` bounds a file that grows while it is read.
    file.take(MAX_IN_MEMORY_BYTES + 1).read_to_end(&mut bytes)?;
    prepare(&bytes, options)
}

fn catch_panics(
    prepare: impl FnOnce() -> Result<PreparedImage, ImageError>,
) -> Result<PreparedImage, ImageError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(prepare))
        .unwrap_or_else(|_| Err(ImageError::corrupt("the decoder failed on this data")))
}

/// The width and height of the image in `bytes` as stored (before any EXIF orientation), from
/// its header alone: for images already prepared (which carry no orientation), without decoding
/// them. Refuses what [`prepare`] refuses before decoding (not an image, unsupported, truncated
/// structure, over [`MAX_PIXELS`]).
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), ImageError> {
    let format = sniff::sniff(bytes)?;
    let scan = scan::scan(format, bytes)?;
    let header = decode::header(bytes, format, &scan)?;
    Ok((header.width, header.height))
}

fn prepare_bytes(bytes: &[u8], options: &EncodeOptions) -> Result<PreparedImage, ImageError> {
    let format = sniff::sniff(bytes)?;
    let scan = scan::scan(format, bytes)?;
    let header = decode::header(bytes, format, &scan)?;
    // Clean implies no EXIF, hence no orientation to apply.
    let original = MediaType::from_format(format)
        .filter(|_| scan.clean && encode::fits(bytes.len()))
        .map(|media_type| (media_type, bytes));
    prepare_decoded(header, original, options)
}

/// A file too large to hold: sniffed from its first bytes, then decoded as it is read. Such a
/// file is far over the API's limit, so it is always re-encoded.
fn prepare_streamed(
    file: File,
    len: u64,
    options: &EncodeOptions,
) -> Result<PreparedImage, ImageError> {
    let mut stream = BufReader::with_capacity(1 << 16, file);
    let format = sniff::sniff(stream.fill_buf()?)?;
    let header = decode::header_streamed(Box::new(stream), format, len)?;
    prepare_decoded(header, None, options)
}

/// Decodes, and either keeps `original` (when given and the image needs no resizing) or
/// re-encodes.
fn prepare_decoded(
    header: decode::Header<'_>,
    original: Option<(MediaType, &[u8])>,
    options: &EncodeOptions,
) -> Result<PreparedImage, ImageError> {
    let orientation = header.orientation;
    let swaps = decode::swaps_sides(orientation);
    let upright = |(w, h): (u32, u32)| if swaps { (h, w) } else { (w, h) };
    let (original_width, original_height) = upright((header.width, header.height));
    let target = target_size(original_width, original_height, options);
    let kept = original.filter(|_| target == (original_width, original_height));
    // Kept images are decoded only for their thumbnail (and to prove they decode).
    let needed = if kept.is_some() {
        thumbnail_size(original_width, original_height)
    } else {
        target
    };
    let (need_w, need_h) = upright(needed);
    let decoded = header.decode(need_w, need_h)?;

    let (image, shown) = match kept {
        Some((media_type, bytes)) => {
            let image = EncodedImage {
                media_type,
                bytes: bytes.to_vec(),
                width: original_width,
                height: original_height,
            };
            (image, decoded.oriented(orientation)?)
        }
        None => {
            let kind = if decoded.has_alpha() || decoded.looks_like_graphic() {
                Kind::Png
            } else {
                Kind::Jpeg
            };
            let (target_w, target_h) = upright(target);
            let resized = if (decoded.width, decoded.height) == (target_w, target_h) {
                decoded
            } else {
                decoded.resized(target_w, target_h)?
            };
            encode::within_limit(resized.oriented(orientation)?, kind)?
        }
    };
    let thumbnail = thumbnail(&shown)?;
    let sha256 = hex_sha256(&image.bytes);
    Ok(PreparedImage {
        image,
        original_width,
        original_height,
        sha256,
        thumbnail,
    })
}

fn thumbnail(pixels: &Pixels) -> Result<EncodedImage, ImageError> {
    let (width, height) = thumbnail_size(pixels.width, pixels.height);
    let small = pixels.resized(width, height)?;
    let (media_type, bytes) = if small.has_alpha() {
        (MediaType::Png, encode::png(&small)?)
    } else {
        (
            MediaType::Jpeg,
            encode::jpeg(&small, encode::THUMBNAIL_QUALITY)?,
        )
    };
    Ok(EncodedImage {
        media_type,
        bytes,
        width,
        height,
    })
}

fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_up() {
        assert_eq!(estimated_tokens(0, 0), 0);
        assert_eq!(estimated_tokens(1, 1), 1);
        assert_eq!(estimated_tokens(750, 1), 1);
        assert_eq!(estimated_tokens(751, 1), 2);
        assert_eq!(estimated_tokens(1000, 1000), 1334);
        assert_eq!(estimated_tokens(1092, 1092), 1590);
    }

    #[test]
    fn target_sizes() {
        let default = EncodeOptions::default();
        let full = EncodeOptions {
            full_resolution: true,
        };
        assert_eq!(target_size(800, 600, &default), (800, 600));
        assert_eq!(target_size(1568, 700, &default), (1568, 700));
        assert_eq!(target_size(6000, 4000, &default), (1313, 875));
        assert_eq!(target_size(4000, 3000, &default), (1238, 928));
        assert_eq!(target_size(3000, 300, &default), (1568, 156));
        assert_eq!(target_size(100_000, 10, &default), (1568, 1));
        assert_eq!(target_size(6000, 4000, &full), (6000, 4000));
        assert_eq!(target_size(12_000, 3000, &full), (8000, 2000));
        for (w, h) in [(1569, 1569), (5000, 7), (4032, 3024), (1072, 1073)] {
            let (tw, th) = target_size(w, h, &default);
            assert!(tw.max(th) <= MAX_LONG_EDGE && u64::from(tw) * u64::from(th) <= MAX_AREA);
        }
    }

    #[test]
    fn sha256_hex() {
        assert_eq!(
            hex_sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
