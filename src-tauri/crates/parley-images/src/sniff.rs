//! Format detection from content.
//!
//! File names lie (a `.png` that is a PDF, a `.jpg` that is a HEIC from a phone), so the format
//! comes from the first bytes only. Formats Parley knows but does not convert are recognised here
//! too, so that the user hears "HEIC is not supported" rather than "not an image".

use image::ImageFormat;

use crate::ImageError;

/// How far into a text file we look for `<svg` after an XML prolog, comments or a doctype.
const SVG_SNIFF_BYTES: usize = 4096;

/// The format of `bytes`, or why it cannot be converted.
pub(crate) fn sniff(bytes: &[u8]) -> Result<ImageFormat, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if let Some(format) = iso_media_image(bytes) {
        return Err(ImageError::unsupported(format));
    }
    if bytes.starts_with(&[0xFF, 0x0A]) || bytes.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return Err(ImageError::unsupported("JPEG XL"));
    }
    if bytes.starts_with(b"8BPS") {
        return Err(ImageError::unsupported("Photoshop (PSD)"));
    }
    if is_svg(bytes) {
        return Err(ImageError::unsupported("SVG"));
    }
    match image::guess_format(bytes) {
        Ok(
            format @ (ImageFormat::Png
            | ImageFormat::Jpeg
            | ImageFormat::Gif
            | ImageFormat::WebP
            | ImageFormat::Bmp
            | ImageFormat::Tiff
            | ImageFormat::Ico
            | ImageFormat::Pnm
            | ImageFormat::Qoi),
        ) => Ok(format),
        // Signatures `image` knows but whose decoders this crate leaves out (HDR and EXR are
        // floating-point formats for graphics work, DDS is a GPU texture format).
        Ok(format) => Err(ImageError::unsupported(crate::error::format_name(format))),
        Err(_) => Err(ImageError::NotAnImage),
    }
}

/// HEIC/HEIF and AVIF: ISO base media files (`....ftyp<brand>`) whose major or compatible brands
/// name an image format. Other `ftyp` files (MP4, MOV videos) are simply not images.
fn iso_media_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let box_len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = box_len.clamp(16, 256).min(bytes.len());
    // Major brand at 8..12, minor version at 12..16, compatible brands from 16 on.
    let brands = std::iter::once(&bytes[8..12]).chain(bytes[16..end].chunks_exact(4));
    let mut heif = false;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Some("AVIF"),
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs"
            | b"mif1" | b"msf1" | b"mif2" => heif = true,
            _ => {}
        }
    }
    heif.then_some("HEIC")
}

/// SVG: text that starts with `<svg`, or with an XML prolog, comment or doctype followed by an
/// `<svg` element early in the file.
fn is_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SVG_SNIFF_BYTES)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let text = &head[start..];
    if starts_with_ignore_case(text, b"<svg") {
        return true;
    }
    let prolog = [b"<?xml".as_slice(), b"<!--", b"<!doctype"];
    prolog.iter().any(|p| starts_with_ignore_case(text, p))
        && text
            .windows(4)
            .any(|window| window.eq_ignore_ascii_case(b"<svg"))
}

fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_signatures() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n0000").ok(), Some(ImageFormat::Png));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).ok(),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(sniff(b"GIF89a").ok(), Some(ImageFormat::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").ok(), Some(ImageFormat::WebP));
        assert_eq!(sniff(b"BM00").ok(), Some(ImageFormat::Bmp));
        assert_eq!(sniff(b"II*\0").ok(), Some(ImageFormat::Tiff));
    }

    #[test]
    fn heic_and_avif_brands() {
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert_eq!(sniff(heic), Err(ImageError::unsupported("HEIC")));
        let heif = b"\0\0\0\x18ftypmif1\0\0\0\0mif1miaf";
        assert_eq!(sniff(heif), Err(ImageError::unsupported("HEIC")));
        let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
        assert_eq!(sniff(avif), Err(ImageError::unsupported("AVIF")));
        let avif_compatible = b"\0\0\0\x1cftypmif1\0\0\0\0mif1avifmiaf";
        assert_eq!(sniff(avif_compatible), Err(ImageError::unsupported("AVIF")));
        let video = b"\0\0\0\x18ftypisom\0\0\0\0isomavc1";
        assert_eq!(sniff(video), Err(ImageError::NotAnImage));
    }

    #[test]
    fn svg_in_its_spellings() {
        for svg in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'/>"[..],
            b"\xEF\xBB\xBF  \n<SVG/>",
            b"<?xml version=\"1.0\"?>\n<!-- drawn -->\n<svg width=\"10\"/>",
            b"<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<svg/>",
        ] {
            assert_eq!(sniff(svg), Err(ImageError::unsupported("SVG")), "{svg:?}");
        }
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><note/>"),
            Err(ImageError::NotAnImage)
        );
    }

    #[test]
    fn other_files_are_not_images() {
        assert_eq!(sniff(b""), Err(ImageError::Empty));
        assert_eq!(sniff(b"%PDF-1.7\n"), Err(ImageError::NotAnImage));
        assert_eq!(sniff(b"hello, world\n"), Err(ImageError::NotAnImage));
        assert_eq!(sniff(b"PK\x03\x04"), Err(ImageError::NotAnImage));
    }

    #[test]
    fn formats_without_a_decoder_are_unsupported() {
        assert_eq!(sniff(b"#?RADIANCE\n"), Err(ImageError::unsupported("HDR")));
        assert_eq!(
            sniff(&[0xFF, 0x0A, 0, 0]),
            Err(ImageError::unsupported("JPEG XL"))
        );
    }
}
