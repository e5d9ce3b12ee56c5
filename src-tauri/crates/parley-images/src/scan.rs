//! Structure scanners for the four API formats: do the bytes carry anything besides pixels?
//!
//! An image is sent byte-for-byte only when it carries no metadata at all (no EXIF, GPS, XMP,
//! ICC profile, comments, text chunks, timestamps, maker notes or trailing data), because
//! re-encoding is the only way this crate *guarantees* none of that leaves the machine. So the
//! scanners are conservative: anything they do not positively know to be harmless makes the image
//! "not clean", which only costs a re-encode. They also catch truncation that lenient decoders
//! would paper over (a JPEG without its end marker, a PNG without `IEND`), and find the EXIF
//! block so that the orientation is read the same way whichever JPEG decoder runs.

use image::ImageFormat;

use crate::ImageError;

/// What a scan found.
#[derive(Debug, Default)]
pub(crate) struct Scan<'a> {
    /// True when the file holds nothing but what is needed to draw it.
    pub clean: bool,
    /// The EXIF block, from its TIFF header on (JPEG APP1, PNG `eXIf`, WebP `EXIF`).
    pub exif: Option<&'a [u8]>,
    /// Width and height from a JPEG's frame header.
    pub jpeg_size: Option<(u32, u32)>,
}

/// Scans `bytes` of `format`. Formats the API does not take are never sent as they are, so they
/// are only reported as not clean.
pub(crate) fn scan(format: ImageFormat, bytes: &[u8]) -> Result<Scan<'_>, ImageError> {
    match format {
        ImageFormat::Jpeg => scan_jpeg(bytes),
        ImageFormat::Png => scan_png(bytes),
        ImageFormat::Gif => Ok(scan_gif(bytes)),
        ImageFormat::WebP => scan_webp(bytes),
        _ => Ok(Scan::default()),
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]) as usize)
}

fn be32(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

fn le32(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

fn truncated() -> ImageError {
    ImageError::corrupt("the data ends early")
}

/// JPEG: walks every marker segment, skipping entropy-coded data, up to `EOI`.
///
/// Clean means: only `APP0` JFIF, quantisation and Huffman tables, restart intervals, a baseline
/// or progressive Huffman frame (`SOF0`-`SOF2`), scans, and nothing after `EOI`. `APP1` (EXIF,
/// XMP), `APP2` (ICC, MPF), `APP13` (IPTC), `APP14` (Adobe), comments, and lossless, hierarchical
/// or arithmetic-coded frames are all reasons to re-encode.
fn scan_jpeg(bytes: &[u8]) -> Result<Scan<'_>, ImageError> {
    let mut scan = Scan {
        clean: true,
        ..Scan::default()
    };
    let mut pos = 2; // after SOI
    loop {
        // Expect a marker; stray bytes between segments are tolerated by decoders but not clean.
        match bytes.get(pos) {
            None => return Err(truncated()),
            Some(0xFF) => {}
            Some(_) => {
                scan.clean = false;
                pos += memchr::memchr(0xFF, &bytes[pos..]).ok_or_else(truncated)?;
            }
        }
        // Fill bytes: any number of 0xFF before the marker code.
        while bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos + 1).ok_or_else(truncated)?;
        match marker {
            0xD9 => {
                // EOI: anything after it (a second image, a video, a maker trailer) is not pixels.
                if pos + 2 != bytes.len() {
                    scan.clean = false;
                }
                return Ok(scan);
            }
            0x01 | 0xD0..=0xD8 => {
                // TEM, RSTn, SOI: no length. Only sensible inside a scan or at the start.
                scan.clean = false;
                pos += 2;
                continue;
            }
            _ => {}
        }
        let length = be16(bytes, pos + 2).ok_or_else(truncated)?;
        if length < 2 {
            return Err(ImageError::corrupt("a JPEG segment has an invalid length"));
        }
        let end = pos + 2 + length;
        let payload = bytes.get(pos + 4..end).ok_or_else(truncated)?;
        match marker {
            0xE0 if payload.starts_with(b"JFIF\0") => {}
            0xE1 => {
                scan.clean = false;
                if scan.exif.is_none() {
                    scan.exif = payload.strip_prefix(b"Exif\0\0");
                }
            }
            0xC0..=0xC2 => {
                if payload.len() >= 5 {
                    let height = be16(payload, 1).unwrap_or(0) as u32;
                    let width = be16(payload, 3).unwrap_or(0) as u32;
                    scan.jpeg_size.get_or_insert((width, height));
                }
            }
            0xC4 | 0xDB | 0xDD => {}
            0xDA => {
                // Start of scan: skip the header, then the entropy-coded data up to the next
                // marker that is neither a stuffed 0xFF00 nor a restart marker.
                let mut at = end;
                loop {
                    at += memchr::memchr(0xFF, bytes.get(at..).ok_or_else(truncated)?)
                        .ok_or_else(truncated)?;
                    match bytes.get(at + 1) {
                        None => return Err(truncated()),
                        Some(0x00 | 0xD0..=0xD7) => at += 2,
                        Some(0xFF) => at += 1,
                        Some(_) => break,
                    }
                }
                pos = at;
                continue;
            }
            // Everything else: other APPn, COM, DNL, hierarchical/lossless/arithmetic frames,
            // extensions.
            _ => scan.clean = false,
        }
        pos = end;
    }
}

/// PNG chunks that only describe how to draw the pixels.
const PNG_PLAIN_CHUNKS: [&[u8; 4]; 13] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"pHYs",
    b"bKGD", b"acTL", b"fcTL",
];

/// PNG: walks the chunks up to `IEND`. Clean means only the chunks in [`PNG_PLAIN_CHUNKS`] (and
/// APNG frame data), nothing after `IEND`. `eXIf`, `iCCP`, `tEXt`/`zTXt`/`iTXt` (where XMP and
/// screenshot tools put their notes), `tIME` and private chunks are reasons to re-encode.
fn scan_png(bytes: &[u8]) -> Result<Scan<'_>, ImageError> {
    let mut scan = Scan {
        clean: true,
        ..Scan::default()
    };
    let mut pos = 8;
    loop {
        let length = be32(bytes, pos).ok_or_else(truncated)?;
        let kind = bytes.get(pos + 4..pos + 8).ok_or_else(truncated)?;
        let end = pos
            .checked_add(12)
            .and_then(|p| p.checked_add(length))
            .ok_or_else(truncated)?;
        let data = bytes.get(pos + 8..end - 4).ok_or_else(truncated)?;
        if end > bytes.len() {
            return Err(truncated());
        }
        match kind {
            b"IEND" => {
                if end != bytes.len() {
                    scan.clean = false;
                }
                return Ok(scan);
            }
            b"eXIf" => {
                scan.clean = false;
                scan.exif.get_or_insert(data);
            }
            b"fdAT" => {}
            kind if PNG_PLAIN_CHUNKS
                .iter()
                .any(|plain| plain.as_slice() == kind) => {}
            _ => scan.clean = false,
        }
        pos = end;
    }
}

/// GIF: walks the blocks up to the trailer. Clean means only image descriptors, graphic control
/// extensions and the NETSCAPE/ANIMEXTS looping extension; comments, plain-text extensions, XMP
/// and other application extensions, or anything after the trailer, are reasons to re-encode.
/// A structure problem only marks the file not clean: the decoder decides whether it is damaged.
fn scan_gif(bytes: &[u8]) -> Scan<'static> {
    Scan {
        clean: gif_is_clean(bytes).unwrap_or(false),
        ..Scan::default()
    }
}

fn gif_is_clean(bytes: &[u8]) -> Option<bool> {
    fn colour_table(flags: u8) -> usize {
        if flags & 0x80 != 0 {
            3 << ((flags & 7) + 1)
        } else {
            0
        }
    }
    fn skip_sub_blocks(bytes: &[u8], mut pos: usize) -> Option<usize> {
        loop {
            let n = *bytes.get(pos)? as usize;
            pos += 1 + n;
            if n == 0 {
                return Some(pos);
            }
        }
    }
    let mut clean = true;
    let mut pos = 13 + colour_table(*bytes.get(10)?);
    loop {
        match *bytes.get(pos)? {
            0x21 => {
                let label = *bytes.get(pos + 1)?;
                pos += 2;
                match label {
                    0xF9 => {}
                    0xFF => {
                        let id = bytes.get(pos + 1..pos + 12)?;
                        if id != b"NETSCAPE2.0" && id != b"ANIMEXTS1.0" {
                            clean = false;
                        }
                    }
                    _ => clean = false,
                }
                pos = skip_sub_blocks(bytes, pos)?;
            }
            0x2C => {
                let flags = *bytes.get(pos + 9)?;
                pos += 10 + colour_table(flags) + 1; // descriptor, local table, LZW code size
                pos = skip_sub_blocks(bytes, pos)?;
            }
            0x3B => return Some(clean && pos + 1 == bytes.len()),
            _ => return Some(false),
        }
    }
}

/// WebP: walks the RIFF chunks. Clean means only `VP8 `, `VP8L`, `VP8X`, `ALPH`, `ANIM` and
/// `ANMF`; `EXIF`, `XMP `, `ICCP`, unknown chunks or bytes after the RIFF container are reasons to
/// re-encode.
fn scan_webp(bytes: &[u8]) -> Result<Scan<'_>, ImageError> {
    let mut scan = Scan {
        clean: true,
        ..Scan::default()
    };
    let riff_end = le32(bytes, 4)
        .and_then(|size| size.checked_add(8))
        .ok_or_else(truncated)?;
    if riff_end > bytes.len() {
        return Err(truncated());
    }
    if riff_end < bytes.len() {
        scan.clean = false;
    }
    let mut pos = 12;
    while pos + 8 <= riff_end {
        let kind = &bytes[pos..pos + 4];
        let size = le32(bytes, pos + 4).ok_or_else(truncated)?;
        let data = bytes
            .get(pos + 8..pos.saturating_add(8).saturating_add(size))
            .filter(|_| pos + 8 + size <= riff_end)
            .ok_or_else(truncated)?;
        match kind {
            b"VP8 " | b"VP8L" | b"VP8X" | b"ALPH" | b"ANIM" | b"ANMF" => {}
            b"EXIF" => {
                scan.clean = false;
                // Some writers keep the JPEG-style "Exif\0\0" prefix.
                scan.exif
                    .get_or_insert(data.strip_prefix(b"Exif\0\0").unwrap_or(data));
            }
            _ => scan.clean = false,
        }
        pos += 8 + size + (size & 1);
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_segments() {
        let jfif = b"\xFF\xD8\xFF\xE0\x00\x07JFIF\0\xFF\xC0\x00\x0B\x08\x00\x10\x00\x20\x01\x01\x11\x00\xFF\xDA\x00\x02\x12\xFF\x00\x34\xFF\xD0\x56\xFF\xD9";
        let scan = scan_jpeg(jfif).unwrap();
        assert!(scan.clean);
        assert_eq!(scan.jpeg_size, Some((32, 16)));

        let mut trailing = jfif.to_vec();
        trailing.extend_from_slice(b"MOTION PHOTO");
        assert!(!scan_jpeg(&trailing).unwrap().clean);

        let truncated = &jfif[..jfif.len() - 2];
        assert!(matches!(
            scan_jpeg(truncated),
            Err(ImageError::Corrupt { .. })
        ));

        let comment = b"\xFF\xD8\xFF\xFE\x00\x04hi\xFF\xD9";
        assert!(!scan_jpeg(comment).unwrap().clean);

        let exif = b"\xFF\xD8\xFF\xE1\x00\x0CExif\0\0II*\0\xFF\xD9";
        let scan = scan_jpeg(exif).unwrap();
        assert!(!scan.clean);
        assert_eq!(scan.exif, Some(&b"II*\0"[..]));
    }

    #[test]
    fn png_chunks() {
        fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
            let mut out = (data.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            out.extend_from_slice(&[0; 4]); // CRC, not checked by the scanner
            out
        }
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        let mut clean = png.clone();
        clean.extend(chunk(b"IEND", &[]));
        assert!(scan_png(&clean).unwrap().clean);

        assert!(matches!(scan_png(&png), Err(ImageError::Corrupt { .. })));

        let mut text = png.clone();
        text.extend(chunk(b"tEXt", b"Software\0tool"));
        text.extend(chunk(b"IEND", &[]));
        assert!(!scan_png(&text).unwrap().clean);

        let mut exif = png;
        exif.extend(chunk(b"eXIf", b"MM\0*"));
        exif.extend(chunk(b"IEND", &[]));
        let scan = scan_png(&exif).unwrap();
        assert!(!scan.clean);
        assert_eq!(scan.exif, Some(&b"MM\0*"[..]));
    }
}
