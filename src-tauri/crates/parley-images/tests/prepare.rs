//! `prepare` end to end, on fixtures generated here.

mod support;

use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage};
use parley_images::{
    EncodeOptions, ImageError, MAX_AREA, MAX_BASE64_LEN, MAX_LONG_EDGE, MAX_LONG_EDGE_FULL,
    MediaType, PreparedImage, THUMBNAIL_EDGE, base64_len, dimensions, prepare, prepare_file,
};
use sha2::{Digest, Sha256};
use support::*;

const DEFAULT: EncodeOptions = EncodeOptions {
    full_resolution: false,
};
const FULL: EncodeOptions = EncodeOptions {
    full_resolution: true,
};

fn ok(bytes: &[u8], options: &EncodeOptions) -> PreparedImage {
    match prepare(bytes, options) {
        Ok(prepared) => {
            check_invariants(&prepared, options);
            prepared
        }
        Err(error) => panic!("prepare failed: {error} ({})", error.kind()),
    }
}

fn err(bytes: &[u8]) -> ImageError {
    match prepare(bytes, &DEFAULT) {
        Ok(prepared) => panic!("expected an error, got {:?}", prepared.image.media_type),
        Err(error) => error,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What holds for every prepared image: bounds, base64 limit, hash, decodable output of the
/// stated type and size, a small thumbnail, and no metadata.
fn check_invariants(prepared: &PreparedImage, options: &EncodeOptions) {
    let image = &prepared.image;
    let (w, h) = (image.width, image.height);
    if options.full_resolution {
        assert!(w.max(h) <= MAX_LONG_EDGE_FULL, "{w}x{h}");
    } else {
        assert!(w.max(h) <= MAX_LONG_EDGE, "{w}x{h}");
        assert!(u64::from(w) * u64::from(h) <= MAX_AREA, "{w}x{h}");
    }
    assert!(base64_len(image.bytes.len()) < MAX_BASE64_LEN);
    assert_eq!(prepared.sha256, sha256_hex(&image.bytes));
    assert_eq!(prepared.sha256.len(), 64);
    let format = image::guess_format(&image.bytes).ok();
    let expected = match image.media_type {
        MediaType::Jpeg => ImageFormat::Jpeg,
        MediaType::Png => ImageFormat::Png,
        MediaType::Gif => ImageFormat::Gif,
        MediaType::Webp => ImageFormat::WebP,
    };
    assert_eq!(format, Some(expected));
    assert_eq!(decode(&image.bytes).dimensions(), (w, h));
    assert_eq!(dimensions(&image.bytes), Ok((w, h)));

    let thumbnail = &prepared.thumbnail;
    assert!(thumbnail.width.max(thumbnail.height) <= THUMBNAIL_EDGE);
    assert!(matches!(
        thumbnail.media_type,
        MediaType::Jpeg | MediaType::Png
    ));
    assert_eq!(
        decode(&thumbnail.bytes).dimensions(),
        (thumbnail.width, thumbnail.height)
    );
    // Same aspect ratio as the image, within a pixel of rounding.
    let ratio = f64::from(w) / f64::from(h);
    let thumb_ratio = f64::from(thumbnail.width) / f64::from(thumbnail.height);
    assert!(
        (ratio - thumb_ratio).abs() / ratio < 0.05 || thumbnail.width.min(thumbnail.height) < 20
    );
    for bytes in [&image.bytes, &thumbnail.bytes] {
        assert_no_metadata(bytes);
    }
}

fn assert_no_metadata(bytes: &[u8]) {
    for needle in [
        &b"Exif\0"[..],
        b"ICC_PROFILE",
        b"http://ns.adobe.com/xap",
        b"Photoshop 3.0",
        CAMERA_MAKE,
        &latitude_bytes(),
    ] {
        assert!(!contains(bytes, needle), "output holds {needle:?}");
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let markers = jpeg_markers(bytes);
        assert!(
            markers
                .iter()
                .all(|m| !(0xE1..=0xEF).contains(m) && *m != 0xFE),
            "JPEG segments {markers:x?}"
        );
    }
    if bytes.starts_with(b"\x89PNG") {
        for kind in png_chunk_types(bytes) {
            assert!(
                !["eXIf", "iCCP", "tEXt", "zTXt", "iTXt", "tIME"].contains(&kind.as_str()),
                "PNG chunk {kind}"
            );
        }
    }
}

#[test]
fn each_input_format_gives_the_right_output_type() {
    let photo_big = photo(2000, 1500);
    let shot_big = screenshot(2000, 1500);
    let cases: Vec<(&str, Vec<u8>, MediaType)> = vec![
        ("JPEG photo", jpeg(&photo_big, 90), MediaType::Jpeg),
        (
            "PNG screenshot",
            encode(shot_big.clone(), ImageFormat::Png),
            MediaType::Png,
        ),
        (
            "PNG photo",
            encode(photo_big.clone(), ImageFormat::Png),
            MediaType::Jpeg,
        ),
        (
            "GIF large",
            encode(screenshot(1800, 1000), ImageFormat::Gif),
            MediaType::Png,
        ),
        (
            "WebP photo",
            encode(photo_big.clone(), ImageFormat::WebP),
            MediaType::Jpeg,
        ),
        (
            "WebP screenshot",
            encode(shot_big.clone(), ImageFormat::WebP),
            MediaType::Png,
        ),
        (
            "BMP photo",
            encode(photo_big.clone(), ImageFormat::Bmp),
            MediaType::Jpeg,
        ),
        (
            "BMP screenshot small",
            encode(screenshot(300, 200), ImageFormat::Bmp),
            MediaType::Png,
        ),
        (
            "TIFF photo",
            encode(photo_big.clone(), ImageFormat::Tiff),
            MediaType::Jpeg,
        ),
        (
            "TIFF screenshot",
            encode(shot_big, ImageFormat::Tiff),
            MediaType::Png,
        ),
        (
            "ICO",
            encode(
                DynamicImage::ImageRgb8(photo(64, 64)).to_rgba8(),
                ImageFormat::Ico,
            ),
            MediaType::Jpeg,
        ),
        (
            "PNM",
            encode(photo(300, 200), ImageFormat::Pnm),
            MediaType::Jpeg,
        ),
    ];
    for (name, bytes, expected) in cases {
        let prepared = ok(&bytes, &DEFAULT);
        assert_eq!(prepared.image.media_type, expected, "{name}");
        assert_eq!(prepared.thumbnail.media_type, MediaType::Jpeg, "{name}");
    }
}

#[test]
fn small_clean_images_in_api_formats_are_kept_byte_for_byte() {
    let cases = [
        ("PNG", encode(screenshot(640, 480), ImageFormat::Png)),
        ("JPEG", jpeg(&photo(800, 600), 90)),
        ("GIF", encode(screenshot(320, 200), ImageFormat::Gif)),
        ("WebP", encode(photo(400, 300), ImageFormat::WebP)),
        // Exactly at the default bounds: long edge 1568, 1568 * 733 <= 1.15 MP.
        (
            "PNG at the bound",
            encode(screenshot(1568, 733), ImageFormat::Png),
        ),
    ];
    for (name, bytes) in cases {
        let prepared = ok(&bytes, &DEFAULT);
        assert_eq!(prepared.sha256, sha256_hex(&bytes), "{name}");
        assert_eq!(prepared.image.bytes, bytes, "{name}");
        let (w, h) = decode(&bytes).dimensions();
        assert_eq!((prepared.image.width, prepared.image.height), (w, h));
        assert_eq!((prepared.original_width, prepared.original_height), (w, h));
    }
}

/// A JPEG written with `jpeg-encoder` options (progressive, restart markers, greyscale).
fn jpeg_with(
    image: &RgbImage,
    configure: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
    grey: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    configure(&mut encoder);
    let (w, h) = (image.width() as u16, image.height() as u16);
    let result = if grey {
        let luma = DynamicImage::ImageRgb8(image.clone()).to_luma8();
        encoder.encode(luma.as_raw(), w, h, jpeg_encoder::ColorType::Luma)
    } else {
        encoder.encode(image.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
    };
    assert!(result.is_ok());
    out
}

#[test]
fn jpeg_variants_decode_at_reduced_and_full_scale() {
    for (w, h) in [(3000, 2000), (700, 500)] {
        let image = photo(w, h);
        let cases = [
            (
                "progressive",
                jpeg_with(&image, |e| e.set_progressive(true), false),
            ),
            (
                "restart markers",
                jpeg_with(&image, |e| e.set_restart_interval(4), false),
            ),
            ("greyscale", jpeg_with(&image, |_| {}, true)),
        ];
        for (name, bytes) in cases {
            let prepared = ok(&bytes, &DEFAULT);
            assert_eq!(prepared.image.media_type, MediaType::Jpeg, "{name}");
            assert_eq!(
                (prepared.original_width, prepared.original_height),
                (w, h),
                "{name}"
            );
            // Small clean ones are kept as they are; the markers and scans are no metadata.
            assert_eq!(prepared.image.bytes == bytes, w < 1568, "{name} {w}");
            // The picture survives: the gradient still runs dark to light, left to right.
            let out = decode(&prepared.image.bytes).to_rgb8();
            let (ow, oh) = out.dimensions();
            let left = mean(&out, 2, oh / 2, 8);
            let right = mean(&out, ow - 10, oh / 2, 8);
            assert!(
                right[0] > left[0] + 100.0 || name == "greyscale",
                "{name}: {left:?} {right:?}"
            );
        }
    }
}

#[test]
fn an_animated_gif_within_bounds_is_kept() {
    let mut bytes = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut bytes);
        if let Err(error) = encoder.set_repeat(image::codecs::gif::Repeat::Infinite) {
            panic!("{error}");
        }
        let frames = (0..3u8).map(|i| {
            let frame = image::RgbaImage::from_pixel(60, 40, image::Rgba([i * 80, 0, 0, 255]));
            image::Frame::new(frame)
        });
        if let Err(error) = encoder.encode_frames(frames) {
            panic!("{error}");
        }
    }
    let prepared = ok(&bytes, &DEFAULT);
    assert_eq!(prepared.image.media_type, MediaType::Gif);
    assert_eq!(prepared.image.bytes, bytes);
}

#[test]
fn images_with_metadata_are_re_encoded_without_it() {
    let png = encode(screenshot(400, 300), ImageFormat::Png);
    let with_text = png_with_chunk(&png, &png_chunk(b"tEXt", b"Author\0Someone"));
    let with_icc = png_with_chunk(&png, &png_chunk(b"iCCP", b"profile\0\0\x78\x01"));
    let with_time = png_with_chunk(&png, &png_chunk(b"tIME", &[7, 0xE8, 1, 2, 3, 4, 5]));
    let jpeg_plain = jpeg(&photo(400, 300), 90);
    let jpeg_comment = with_segment(&jpeg_plain, 0xFE, b"shot on a Tuesday");
    let jpeg_icc = with_segment(&jpeg_plain, 0xE2, b"ICC_PROFILE\0\x01\x01fake");
    let jpeg_xmp = with_segment(&jpeg_plain, 0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>");
    let mut jpeg_trailer = jpeg_plain.clone();
    jpeg_trailer.extend_from_slice(b"a hidden trailer");
    for (name, bytes) in [
        ("PNG tEXt", with_text),
        ("PNG iCCP", with_icc),
        ("PNG tIME", with_time),
        ("JPEG COM", jpeg_comment),
        ("JPEG ICC", jpeg_icc),
        ("JPEG XMP", jpeg_xmp),
        ("JPEG trailer", jpeg_trailer),
    ] {
        let prepared = ok(&bytes, &DEFAULT);
        assert_ne!(prepared.image.bytes, bytes, "{name} was kept");
        assert!(!contains(&prepared.image.bytes, b"Someone"), "{name}");
        assert!(!contains(&prepared.image.bytes, b"Tuesday"), "{name}");
        assert!(!contains(&prepared.image.bytes, b"hidden"), "{name}");
        assert_eq!((prepared.image.width, prepared.image.height), (400, 300));
    }
}

#[test]
fn gps_tagged_jpeg_comes_out_without_gps_or_exif() {
    let input = jpeg_with_exif(&photo(1200, 900), Some(1), true);
    // The fixture really carries what we look for.
    assert!(contains(&input, b"Exif\0\0"));
    assert!(contains(&input, CAMERA_MAKE));
    assert!(contains(&input, &latitude_bytes()));
    let prepared = ok(&input, &DEFAULT);
    assert_eq!(prepared.image.media_type, MediaType::Jpeg);
    assert_eq!((prepared.image.width, prepared.image.height), (1200, 900));
    assert_no_metadata(&prepared.image.bytes);
    assert_no_metadata(&prepared.thumbnail.bytes);
    let markers = jpeg_markers(&prepared.image.bytes);
    assert!(!markers.contains(&0xE1), "{markers:x?}");

    // A large one goes through the scaled decoder: same result.
    let large = jpeg_with_exif(&photo(3000, 2000), Some(1), true);
    let prepared = ok(&large, &DEFAULT);
    assert_no_metadata(&prepared.image.bytes);
}

/// A landscape photo with a red square in its stored top-left corner and a blue one in its
/// stored bottom-left corner.
fn marked(width: u32, height: u32) -> RgbImage {
    let mut image = RgbImage::from_pixel(width, height, Rgb([128, 128, 128]));
    let mark = width / 8;
    for y in 0..mark {
        for x in 0..mark {
            image.put_pixel(x, y, Rgb([230, 20, 20]));
            image.put_pixel(x, height - 1 - y, Rgb([20, 20, 230]));
        }
    }
    image
}

fn is_red(c: [f64; 3]) -> bool {
    c[0] > 180.0 && c[1] < 80.0 && c[2] < 80.0
}

fn is_blue(c: [f64; 3]) -> bool {
    c[2] > 180.0 && c[0] < 80.0 && c[1] < 80.0
}

/// Checks where the marks ended up on an upright output of size `w` x `h`.
fn corners(prepared: &PreparedImage) -> [[f64; 3]; 4] {
    let out = decode(&prepared.image.bytes).to_rgb8();
    let (w, h) = out.dimensions();
    let s = w.min(h) / 20;
    // top-left, top-right, bottom-left, bottom-right
    [
        mean(&out, 1, 1, s),
        mean(&out, w - s - 1, 1, s),
        mean(&out, 1, h - s - 1, s),
        mean(&out, w - s - 1, h - s - 1, s),
    ]
}

#[test]
fn exif_orientation_6_and_8_come_out_upright() {
    // Orientation 6: the camera was turned clockwise; displaying rotates the stored image 90°
    // clockwise, so the stored top-left (red) ends top-right and the stored bottom-left (blue)
    // ends top-left. Orientation 8 is the other way: red bottom-left, blue bottom-right.
    for (width, height) in [(400, 300), (4000, 3000)] {
        let source = marked(width, height);
        for (orientation, red_at, blue_at) in [(6u16, 1, 0), (8, 2, 3), (3, 3, 1)] {
            let input = jpeg_with_exif(&source, Some(orientation), false);
            let prepared = ok(&input, &DEFAULT);
            let (w, h) = (prepared.image.width, prepared.image.height);
            if orientation == 3 {
                assert!(w > h, "{orientation}: {w}x{h}");
            } else {
                assert!(h > w, "orientation {orientation}: {w}x{h} is not portrait");
                assert_eq!(
                    (prepared.original_width, prepared.original_height),
                    (height, width)
                );
            }
            let thumb = &prepared.thumbnail;
            assert_eq!(thumb.height > thumb.width, h > w);
            let c = corners(&prepared);
            assert!(
                is_red(c[red_at]),
                "{width}: orientation {orientation}: {c:?}"
            );
            assert!(
                is_blue(c[blue_at]),
                "{width}: orientation {orientation}: {c:?}"
            );
            for (i, colour) in c.iter().enumerate() {
                if i != red_at && i != blue_at {
                    assert!(!is_red(*colour) && !is_blue(*colour), "{c:?}");
                }
            }
        }
    }
}

#[test]
fn exif_orientation_in_png_is_applied_too() {
    let png = encode(marked(400, 300), ImageFormat::Png);
    let input = png_with_chunk(&png, &png_chunk(b"eXIf", &exif_block(Some(6), false)));
    let prepared = ok(&input, &DEFAULT);
    assert_eq!((prepared.image.width, prepared.image.height), (300, 400));
    let c = corners(&prepared);
    assert!(is_red(c[1]) && is_blue(c[0]), "{c:?}");
}

#[test]
fn size_bounds_hold_in_both_modes() {
    let cases = [
        (photo(5000, 2000), (1568, 627), (5000, 2000)),
        (photo(2000, 2000), (1072, 1072), (2000, 2000)),
        (photo(300, 4000), (117, 1568), (300, 4000)),
        (photo(9000, 1000), (1568, 174), (8000, 888)),
    ];
    for (image, default_size, full_size) in cases {
        let input = jpeg(&image, 85);
        let prepared = ok(&input, &DEFAULT);
        assert_eq!((prepared.image.width, prepared.image.height), default_size);
        assert_eq!(
            (prepared.original_width, prepared.original_height),
            image.dimensions()
        );
        let prepared = ok(&input, &FULL);
        assert_eq!((prepared.image.width, prepared.image.height), full_size);
    }
}

#[test]
fn transparency_survives_as_png() {
    for (w, h) in [(2400, 1800), (500, 400)] {
        let input = encode(with_hole(w, h), ImageFormat::Png);
        let prepared = ok(&input, &DEFAULT);
        assert_eq!(prepared.image.media_type, MediaType::Png);
        assert_eq!(prepared.thumbnail.media_type, MediaType::Png);
        let out = decode(&prepared.image.bytes);
        assert!(out.color().has_alpha());
        let out = out.to_rgba8();
        let (ow, oh) = out.dimensions();
        assert_eq!(out.get_pixel(ow / 2, oh / 2)[3], 0, "the hole is filled");
        assert_eq!(out.get_pixel(2, 2)[3], 255, "the corner lost its opacity");
        let thumb = decode(&prepared.thumbnail.bytes).to_rgba8();
        let (tw, th) = thumb.dimensions();
        assert_eq!(thumb.get_pixel(tw / 2, th / 2)[3], 0);
    }
    // An alpha channel that is opaque everywhere is no transparency: a photo goes out as JPEG.
    let opaque = DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(photo(2000, 1500)).to_rgba8());
    let prepared = ok(&encode(opaque, ImageFormat::Png), &DEFAULT);
    assert_eq!(prepared.image.media_type, MediaType::Jpeg);
}

#[test]
fn worst_case_noise_stays_under_the_base64_limit() {
    // 8000 x 8000 RGB noise: no encoder can compress it; as a JPEG file it is ~40 MB.
    let input = jpeg(&noise(8000, 8000, 7), 80);
    assert!(input.len() as u64 <= parley_images::MAX_IN_MEMORY_BYTES);
    for options in [DEFAULT, FULL] {
        let prepared = ok(&input, &options);
        assert_eq!(prepared.image.media_type, MediaType::Jpeg);
        assert!(base64_len(prepared.image.bytes.len()) < MAX_BASE64_LEN);
        assert_eq!(
            (prepared.original_width, prepared.original_height),
            (8000, 8000)
        );
    }
    // Noise with transparency must stay PNG, so only downscaling can make it fit.
    let mut rgba = vec![0u8; 1600 * 1600 * 4];
    Rng(9).fill(&mut rgba);
    let rgba = image::RgbaImage::from_raw(1600, 1600, rgba).unwrap_or_default();
    let prepared = ok(&encode(rgba, ImageFormat::Png), &FULL);
    assert_eq!(prepared.image.media_type, MediaType::Png);
    assert!(prepared.image.width < 1600);
}

#[test]
fn graphics_too_large_for_png_fall_back_to_jpeg() {
    // A screenshot-like page (white dominates the colour census, so PNG is tried first) with a
    // large photo in it: as PNG it is over the limit, as JPEG it fits at full size.
    let mut page = photo_with_noise(4000, 3000, 16);
    for (x, _, px) in page.enumerate_pixels_mut() {
        if x < 2200 {
            *px = Rgb([255, 255, 255]);
        }
    }
    let prepared = ok(&encode(page, ImageFormat::Png), &FULL);
    assert_eq!(prepared.image.media_type, MediaType::Jpeg);
    assert_eq!((prepared.image.width, prepared.image.height), (4000, 3000));
}

#[test]
fn truncated_and_damaged_files_are_corrupt() {
    let jpeg_bytes = jpeg(&photo(600, 400), 90);
    let png_bytes = encode(photo(600, 400), ImageFormat::Png);
    let webp_bytes = encode(photo(600, 400), ImageFormat::WebP);
    let gif_bytes = encode(screenshot(600, 400), ImageFormat::Gif);
    for (name, bytes) in [
        ("JPEG", &jpeg_bytes[..jpeg_bytes.len() / 2]),
        ("JPEG header only", &jpeg_bytes[..200]),
        ("PNG", &png_bytes[..png_bytes.len() / 2]),
        ("PNG header only", &png_bytes[..40]),
        ("WebP", &webp_bytes[..webp_bytes.len() / 2]),
        ("GIF", &gif_bytes[..gif_bytes.len() / 2]),
    ] {
        let error = err(bytes);
        assert!(
            matches!(error, ImageError::Corrupt { .. }),
            "{name}: {error:?}"
        );
        assert_eq!(error.kind(), "image_corrupt");
        assert!(
            error
                .to_string()
                .starts_with("the image data is truncated or damaged")
        );
    }
    // Damaged compressed data in a complete PNG: the chunk checksum (or zlib) catches it.
    let mut damaged = png_bytes.clone();
    let middle = damaged.len() / 2;
    for byte in &mut damaged[middle..middle + 64] {
        *byte ^= 0x5A;
    }
    assert!(matches!(err(&damaged), ImageError::Corrupt { .. }));
}

#[test]
fn empty_files_and_non_images_are_named_for_what_they_are() {
    assert_eq!(err(b""), ImageError::Empty);
    assert_eq!(ImageError::Empty.kind(), "image_empty");
    assert_eq!(ImageError::Empty.to_string(), "the file is empty");

    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("{error}"),
    };
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        if let Err(error) = std::fs::write(&path, bytes) {
            panic!("{error}");
        }
        path
    };
    let empty = write("empty.png", b"");
    assert!(matches!(
        prepare_file(&empty, &DEFAULT),
        Err(ImageError::Empty)
    ));
    let text = write("notes.png", b"Shopping list:\n- milk\n- bread\n");
    let pdf = write(
        "scan.png",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
    );
    for path in [text, pdf] {
        let error = prepare_file(&path, &DEFAULT).err();
        assert_eq!(error, Some(ImageError::NotAnImage), "{path:?}");
    }
    assert_eq!(ImageError::NotAnImage.kind(), "image_not_image");
    assert_eq!(
        ImageError::NotAnImage.to_string(),
        "this is not an image Parley can read"
    );

    let missing = prepare_file(&dir.path().join("gone.jpg"), &DEFAULT);
    assert!(matches!(missing, Err(ImageError::Io { .. })));
    assert_eq!(missing.err().map(|e| e.kind()), Some("image_io"));
}

#[test]
fn a_file_over_100_mib_is_judged_by_its_content_not_its_size() {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("{error}"),
    };
    let path = dir.path().join("huge.jpg");
    let file = std::fs::File::create(&path).and_then(|file| {
        // Sparse: nothing is written, and only its first bytes are read before it is refused.
        file.set_len(101 * 1024 * 1024)?;
        Ok(file)
    });
    assert!(file.is_ok());
    let start = std::time::Instant::now();
    assert_eq!(prepare_file(&path, &DEFAULT), Err(ImageError::NotAnImage));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "the file was read, not sniffed: {:?}",
        start.elapsed()
    );
}

/// Runs `prepare_file` on `path` on another thread and fails if it has not answered within
/// two seconds: a FIFO with no writer blocks `open` and a read forever, `/dev/zero` never ends.
fn prepare_file_in_time(path: &std::path::Path) -> Result<PreparedImage, ImageError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let owned = path.to_owned();
    std::thread::spawn(move || {
        let _ = sender.send(prepare_file(&owned, &DEFAULT));
    });
    match receiver.recv_timeout(std::time::Duration::from_secs(2)) {
        Ok(result) => result,
        Err(_) => panic!("prepare_file({path:?}) blocked"),
    }
}

#[test]
fn fifos_devices_and_folders_are_refused_at_once() {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("{error}"),
    };
    let fifo = dir.path().join("pipe.png");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(
        matches!(made, Ok(status) if status.success()),
        "mkfifo: {made:?}"
    );
    for path in [fifo.as_path(), "/dev/zero".as_ref(), dir.path()] {
        let result = prepare_file_in_time(path);
        assert_eq!(result.err(), Some(ImageError::NotAFile), "{path:?}");
        assert_eq!(
            parley_images::check_regular_file(path),
            Err(ImageError::NotAFile),
            "{path:?}"
        );
    }
    assert_eq!(ImageError::NotAFile.kind(), "image_not_file");
    assert_eq!(
        ImageError::NotAFile.to_string(),
        "this is not a regular file"
    );
    // A symbolic link to a regular file is that file.
    let real = dir.path().join("real.png");
    assert!(std::fs::write(&real, encode(screenshot(40, 30), ImageFormat::Png)).is_ok());
    let link = dir.path().join("link.png");
    assert!(std::os::unix::fs::symlink(&real, &link).is_ok());
    assert!(prepare_file_in_time(&link).is_ok());
}

#[test]
fn pastes_over_the_in_memory_cap_are_refused_before_being_read() {
    let cap = parley_images::MAX_IN_MEMORY_BYTES;
    assert_eq!(parley_images::check_input_len(cap), Ok(()));
    let error = parley_images::check_input_len(cap + 1).err();
    assert_eq!(error, Some(ImageError::InputTooLarge { megabytes: 68 }));
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("the image data is 68 MB, more than the 67 MB Parley accepts from a paste".into())
    );
    // `prepare` checks the length first: a buffer of zeros this large is not even sniffed.
    let big = vec![0u8; cap as usize + 1];
    assert_eq!(
        prepare(&big, &DEFAULT).err().map(|e| e.kind()),
        Some("image_too_large")
    );
}

#[test]
fn heic_avif_and_svg_are_unsupported_with_a_hint() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08free";
    let error = err(heic);
    assert_eq!(
        error,
        ImageError::Unsupported {
            format: "HEIC".into()
        }
    );
    assert_eq!(error.kind(), "image_unsupported");
    assert_eq!(
        error.to_string(),
        "HEIC images are not supported yet: convert it to JPEG or PNG first"
    );
    let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
    assert!(matches!(err(avif), ImageError::Unsupported { format } if format == "AVIF"));
    let svg = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>";
    assert!(matches!(err(svg), ImageError::Unsupported { format } if format == "SVG"));
}

#[test]
fn grey_sixteen_bit_and_cmyk_inputs_are_converted() {
    // Greyscale photo stays a (greyscale) JPEG.
    let grey = DynamicImage::ImageRgb8(photo(2000, 1500)).to_luma8();
    let prepared = ok(&encode(grey, ImageFormat::Png), &DEFAULT);
    assert_eq!(prepared.image.media_type, MediaType::Jpeg);
    assert_eq!(decode(&prepared.image.bytes).color().channel_count(), 1);

    // 16-bit RGB PNG.
    let deep = DynamicImage::ImageRgb8(photo(900, 700)).to_rgb16();
    let prepared = ok(&encode(deep, ImageFormat::Png), &DEFAULT);
    assert_eq!((prepared.image.width, prepared.image.height), (900, 700));

    // CMYK JPEG (as print workflows write): jpeg-decoder cannot scale it, zune-jpeg converts it.
    let cmyk = vec![0u8; 2000 * 1500 * 4];
    let mut bytes = Vec::new();
    let encoded = jpeg_encoder::Encoder::new(&mut bytes, 90).encode(
        &cmyk,
        2000,
        1500,
        jpeg_encoder::ColorType::Cmyk,
    );
    assert!(encoded.is_ok());
    let prepared = ok(&bytes, &DEFAULT);
    assert_eq!((prepared.image.width, prepared.image.height), (1238, 928));
}

#[test]
fn dimensions_come_from_the_header() {
    assert_eq!(dimensions(&jpeg(&photo(64, 48), 80)), Ok((64, 48)));
    assert_eq!(
        dimensions(&encode(screenshot(30, 20), ImageFormat::Png)),
        Ok((30, 20))
    );
    assert_eq!(dimensions(b"%PDF-1.4"), Err(ImageError::NotAnImage));
    assert_eq!(dimensions(b""), Err(ImageError::Empty));
}

#[test]
fn every_error_has_its_kind_and_sentence() {
    let cases = [
        (
            ImageError::Corrupt { detail: "x".into() },
            "image_corrupt",
            "the image data is truncated or damaged (x)",
        ),
        (
            ImageError::TooManyPixels {
                width: 50_000,
                height: 50_000,
            },
            "image_too_many_pixels",
            "the image claims 50000 x 50000 pixels, more than the 100-megapixel limit",
        ),
        (
            ImageError::Io {
                detail: "denied".into(),
            },
            "image_io",
            "the file could not be read (denied)",
        ),
        (
            ImageError::DecodeTooLarge {
                width: 9000,
                height: 9000,
            },
            "image_too_many_pixels",
            "decoding this 9000 x 9000 image would take more than the 1073 MB of memory Parley \
             allows for one image",
        ),
        (
            ImageError::JpegTooLargeToRead { megabytes: 90 },
            "image_unsupported",
            "this CMYK or 16-bit JPEG is 90 MB, and Parley reads such JPEGs only up to 67 MB: \
             save it as an RGB JPEG or a PNG first",
        ),
        (
            ImageError::TooLarge,
            "image_too_large",
            "the image is too large: Parley could not bring it under the API's 5 MB limit",
        ),
    ];
    for (error, kind, text) in cases {
        assert_eq!(error.kind(), kind);
        assert_eq!(error.to_string(), text);
    }
}
