//! Files over 100 MiB within the 100-megapixel limit: noisy PNGs of every colour type, and
//! uncompressed BMP and TIFF. They are decoded from the file as a stream (PNG row by row, TIFF
//! strip by strip, BMP still into one full-size buffer), and this binary
//! measures what that costs: it counts every allocation through its own global allocator (so
//! its tests run one at a time, behind a mutex) and prints the heap peak and the process's peak
//! resident memory (VmHWM) of each `prepare_file`.
//!
//! The fixtures are written once per run, row by row from a cheap noise generator, into one
//! temporary folder shared by the tests of this binary (about 1.9 GB of disk, a minute or so
//! on two cores for the whole binary).

#[path = "support/counting.rs"]
mod counting;
mod support;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use counting::{peak_during, serial};
use parley_images::{
    EncodeOptions, ImageError, MAX_BASE64_LEN, MAX_PIXELS, MediaType, PreparedImage, base64_len,
    prepare_file,
};
use support::Rng;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const MIB: u64 = 1024 * 1024;
const DEFAULT: EncodeOptions = EncodeOptions {
    full_resolution: false,
};

/// The folder the fixtures of this run are written to. Each test removes its files as soon as
/// it is done with them, so the disk holds one or two fixtures at a time.
fn fixtures() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("temp dir: {error}"),
    })
    .path()
}

/// Writes `height` rows of `row_len` noise bytes through `write_row`.
fn noise_rows(
    height: u32,
    row_len: usize,
    seed: u64,
    mut write_row: impl FnMut(&[u8]) -> std::io::Result<()>,
) {
    let mut rng = Rng(seed);
    let mut row = vec![0u8; row_len];
    for _ in 0..height {
        rng.fill(&mut row);
        if let Err(error) = write_row(&row) {
            panic!("writing a fixture: {error}");
        }
    }
}

/// A noise PNG written row by row. `fast` deflates it (as a real noisy PNG is); otherwise the
/// deflate blocks are stored, which is quicker to write and to read.
fn write_png(
    name: &str,
    (width, height): (u32, u32),
    colour: png::ColorType,
    depth: png::BitDepth,
    fast: bool,
) -> PathBuf {
    let path = fixtures().join(name);
    let file = BufWriter::with_capacity(1 << 20, must(File::create(&path)));
    let mut encoder = png::Encoder::new(file, width, height);
    encoder.set_color(colour);
    encoder.set_depth(depth);
    encoder.set_compression(if fast {
        png::Compression::Fast
    } else {
        png::Compression::NoCompression
    });
    encoder.set_filter(png::Filter::NoFilter);
    let mut writer = must(encoder.write_header());
    let bytes_per_sample = if depth == png::BitDepth::Sixteen {
        2
    } else {
        1
    };
    let row_len = width as usize * colour.samples() * bytes_per_sample;
    {
        let mut stream = must(writer.stream_writer_with_size(1 << 20));
        noise_rows(height, row_len, 0x5EED, |row| stream.write_all(row));
        must(stream.finish());
    }
    must(writer.finish());
    path
}

/// An uncompressed 24-bit BMP of noise (rows bottom-up, as BMP stores them).
fn write_bmp(name: &str, (width, height): (u32, u32)) -> PathBuf {
    let path = fixtures().join(name);
    let mut file = BufWriter::with_capacity(1 << 20, must(File::create(&path)));
    let row_len = (width as usize * 3).div_ceil(4) * 4;
    let data_len = (row_len * height as usize) as u32;
    let mut header = Vec::with_capacity(54);
    header.extend_from_slice(b"BM");
    header.extend_from_slice(&(54 + data_len).to_le_bytes());
    header.extend_from_slice(&[0; 4]);
    header.extend_from_slice(&54u32.to_le_bytes());
    header.extend_from_slice(&40u32.to_le_bytes());
    header.extend_from_slice(&(width as i32).to_le_bytes());
    header.extend_from_slice(&(height as i32).to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes());
    header.extend_from_slice(&24u16.to_le_bytes());
    header.extend_from_slice(&[0; 4]); // BI_RGB
    header.extend_from_slice(&data_len.to_le_bytes());
    header.extend_from_slice(&[0x13, 0x0B, 0, 0, 0x13, 0x0B, 0, 0]); // 72 dpi
    header.extend_from_slice(&[0; 8]);
    must(file.write_all(&header));
    noise_rows(height, row_len, 0xB3B, |row| file.write_all(row));
    must(file.flush());
    path
}

/// An uncompressed, little-endian TIFF of noise: `channels` samples of `bits` (8 or 16) per
/// pixel, 16 rows per strip, an extra alpha sample for 2 and 4 channels.
fn write_tiff(name: &str, (width, height): (u32, u32), channels: u16, bits: u16) -> PathBuf {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    let path = fixtures().join(name);
    let mut file = BufWriter::with_capacity(1 << 20, must(File::create(&path)));
    let rows_per_strip = 16u32;
    let strips = height.div_ceil(rows_per_strip);
    let row_len = width as usize * usize::from(channels) * usize::from(bits / 8);
    let strip_len = row_len as u32 * rows_per_strip;

    let alpha = channels == 2 || channels == 4;
    let entries = 10 + u16::from(alpha);
    let ifd_at = 8u32;
    let ifd_len = 2 + 12 * u32::from(entries) + 4;
    let bits_at = ifd_at + ifd_len;
    let offsets_at = bits_at + 2 * u32::from(channels);
    let counts_at = offsets_at + 4 * strips;
    let data_at = counts_at + 4 * strips;
    let photometric = if channels <= 2 { 1 } else { 2 };
    let bits_value = if channels <= 2 {
        u32::from(bits) | (u32::from(bits) << 16)
    } else {
        bits_at
    };
    let mut tags: Vec<(u16, u16, u32, u32)> = vec![
        (256, LONG, 1, width),
        (257, LONG, 1, height),
        (258, SHORT, u32::from(channels), bits_value),
        (259, SHORT, 1, 1),
        (262, SHORT, 1, photometric),
        (273, LONG, strips, offsets_at),
        (277, SHORT, 1, u32::from(channels)),
        (278, LONG, 1, rows_per_strip),
        (279, LONG, strips, counts_at),
        (284, SHORT, 1, 1),
    ];
    if alpha {
        tags.push((338, SHORT, 1, 2));
    }
    let mut head = b"II*\0".to_vec();
    head.extend_from_slice(&ifd_at.to_le_bytes());
    head.extend_from_slice(&entries.to_le_bytes());
    for (tag, kind, count, value) in tags {
        head.extend_from_slice(&tag.to_le_bytes());
        head.extend_from_slice(&kind.to_le_bytes());
        head.extend_from_slice(&count.to_le_bytes());
        // A single SHORT sits in the first two bytes of the value field.
        head.extend_from_slice(&value.to_le_bytes());
    }
    head.extend_from_slice(&0u32.to_le_bytes());
    for _ in 0..channels {
        head.extend_from_slice(&bits.to_le_bytes());
    }
    for strip in 0..strips {
        head.extend_from_slice(&(data_at + strip * strip_len).to_le_bytes());
    }
    for strip in 0..strips {
        let rows = (height - strip * rows_per_strip).min(rows_per_strip);
        head.extend_from_slice(&(rows * row_len as u32).to_le_bytes());
    }
    assert_eq!(head.len() as u32, data_at);
    must(file.write_all(&head));
    noise_rows(height, row_len, 0x7EFF, |row| file.write_all(row));
    must(file.flush());
    path
}

fn must<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{error}"),
    }
}

/// The process's peak resident memory so far, in bytes (Linux only; 0 elsewhere).
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(0)
}

/// Resets the peak resident memory to the current one, so that [`peak_rss`] measures what comes
/// next (`clear_refs` mode 5; ignored where the kernel does not offer it).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// What one `prepare_file` cost.
struct Cost {
    heap: u64,
    rss: u64,
}

/// Prepares `path`, measuring its heap peak (above the level before) and the process's peak RSS.
fn measured(
    name: &str,
    path: &Path,
    options: &EncodeOptions,
) -> (Result<PreparedImage, ImageError>, Cost) {
    let file_len = must(std::fs::metadata(path)).len();
    reset_peak_rss();
    let start = Instant::now();
    let (result, heap) = peak_during(|| prepare_file(path, options));
    let elapsed = start.elapsed();
    let cost = Cost {
        heap: heap as u64,
        rss: peak_rss(),
    };
    eprintln!(
        "{name}: {} MiB file, {:.1} s, heap peak {} MiB, peak RSS {} MiB -> {}",
        file_len / MIB,
        elapsed.as_secs_f64(),
        cost.heap / MIB,
        cost.rss / MIB,
        match &result {
            Ok(prepared) => format!(
                "{} {}x{}, {} bytes",
                prepared.image.media_type.as_str(),
                prepared.image.width,
                prepared.image.height,
                prepared.image.bytes.len()
            ),
            Err(error) => format!("{error}"),
        }
    );
    (result, cost)
}

/// Prepares a fixture over 100 MiB of `width` x `height`, checks the result is a sendable
/// image of the expected type at the default size, and returns the cost. Removes the file.
fn prepares(name: &str, path: &Path, (width, height): (u32, u32), expected: MediaType) -> Cost {
    let len = must(std::fs::metadata(path)).len();
    assert!(
        len > 100 * MIB,
        "{name}: the fixture is {len} bytes, not over 100 MiB"
    );
    let (result, cost) = measured(name, path, &DEFAULT);
    let _ = std::fs::remove_file(path);
    let prepared = match result {
        Ok(prepared) => prepared,
        Err(error) => panic!("{name}: refused: {error}"),
    };
    assert_eq!(
        (prepared.original_width, prepared.original_height),
        (width, height),
        "{name}"
    );
    let (w, h) = parley_images::target_size(width, height, &DEFAULT);
    assert_eq!(
        (prepared.image.width, prepared.image.height),
        (w, h),
        "{name}: sent at the default size"
    );
    assert_eq!(prepared.image.media_type, expected, "{name}");
    assert!(
        base64_len(prepared.image.bytes.len()) < MAX_BASE64_LEN,
        "{name}"
    );
    let decoded = match image::load_from_memory(&prepared.image.bytes) {
        Ok(image) => image,
        Err(error) => panic!("{name}: the output does not decode: {error}"),
    };
    assert_eq!((decoded.width(), decoded.height()), (w, h), "{name}");
    cost
}

#[test]
fn a_noisy_8000_px_png_of_192_mb_is_downscaled_and_sent() {
    let _serial = serial();
    let size = (8000, 8000);
    let path = write_png(
        "noise-rgb8.png",
        size,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        true,
    );
    let cost = prepares("PNG RGB 8-bit", &path, size, MediaType::Jpeg);
    // Decoded whole it would be 192 MB; streamed and reduced while read, a fraction of that.
    assert!(
        cost.heap < 48 * MIB,
        "heap peak {} MiB: the PNG was not decoded as a stream",
        cost.heap / MIB
    );
}

#[test]
fn large_pngs_of_every_colour_type_stream_in_bounded_memory() {
    let _serial = serial();
    use png::{BitDepth, ColorType};
    let cases = [
        (
            "PNG RGBA 8-bit",
            (8000, 8000),
            ColorType::Rgba,
            BitDepth::Eight,
            MediaType::Png,
        ),
        (
            "PNG RGBA 16-bit",
            (6000, 5000),
            ColorType::Rgba,
            BitDepth::Sixteen,
            MediaType::Png,
        ),
        (
            "PNG RGB 16-bit",
            (6000, 5000),
            ColorType::Rgb,
            BitDepth::Sixteen,
            MediaType::Jpeg,
        ),
        (
            "PNG grey 16-bit",
            (8000, 8000),
            ColorType::Grayscale,
            BitDepth::Sixteen,
            MediaType::Jpeg,
        ),
        (
            "PNG grey+alpha 16-bit",
            (6000, 5000),
            ColorType::GrayscaleAlpha,
            BitDepth::Sixteen,
            MediaType::Png,
        ),
    ];
    for (name, size, colour, depth, expected) in cases {
        let path = write_png(&format!("{name}.png"), size, colour, depth, false);
        let cost = prepares(name, &path, size, expected);
        // Bounded by the size sent, not the size of the file: the full image (114 to 244 MiB
        // at 8 bits) never exists; what is held is the reduced image and the encodings.
        // Grey with alpha is decoded as RGBA.
        let channels = match colour.samples() {
            2 => 4,
            n => n as u64,
        };
        let full_8_bit = u64::from(size.0) * u64::from(size.1) * channels;
        assert!(
            cost.heap < 96 * MIB && cost.heap < full_8_bit,
            "{name}: heap peak {} MiB, the full image is {} MiB",
            cost.heap / MIB,
            full_8_bit / MIB
        );
    }
}

#[test]
fn a_grey_png_at_the_100_megapixel_limit_is_prepared() {
    let _serial = serial();
    // 10,000 x 10,000 grey: exactly the pixel limit, 100 MB of samples (stored deflate adds a
    // little, so the file is just under 100 MiB but still far over what is read whole).
    let size = (10_000, 10_000);
    assert_eq!(u64::from(size.0) * u64::from(size.1), MAX_PIXELS);
    let path = write_png(
        "grey-limit.png",
        size,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        false,
    );
    let (result, cost) = measured("PNG grey 8-bit, 100 MP", &path, &DEFAULT);
    let _ = std::fs::remove_file(&path);
    let prepared = must(result);
    assert_eq!((prepared.original_width, prepared.original_height), size);
    assert_eq!(prepared.image.media_type, MediaType::Jpeg);
    assert!(cost.heap < 32 * MIB, "heap peak {} MiB", cost.heap / MIB);
}

#[test]
fn an_uncompressed_bmp_over_100_mib_is_decoded() {
    let _serial = serial();
    // The BMP decoder fills one buffer of the whole image in its own layout, which is then
    // reduced.
    let size = (8000, 8000);
    let path = write_bmp("noise.bmp", size);
    let cost = prepares("BMP RGB 8-bit", &path, size, MediaType::Jpeg);
    let native = u64::from(size.0) * u64::from(size.1) * 3;
    assert!(
        cost.heap < native + native / 4,
        "BMP RGB 8-bit: heap peak {} MiB, the decoded image is {} MiB",
        cost.heap / MIB,
        native / MIB
    );
}

#[test]
fn large_tiffs_in_strips_stream_in_bounded_memory() {
    let _serial = serial();
    // Read one strip at a time and reduced as they come: neither the full image nor the
    // `image` crate's second copy of it exists (before, the 8-bit RGB case peaked at 366 MiB
    // and the 16-bit RGBA one at 457 MiB).
    let cases = [
        ("TIFF RGB 8-bit", (8000, 8000), 3, 8, MediaType::Jpeg),
        ("TIFF RGBA 8-bit", (6000, 5000), 4, 8, MediaType::Png),
        ("TIFF grey 16-bit", (8000, 8000), 1, 16, MediaType::Jpeg),
        ("TIFF RGBA 16-bit", (6000, 5000), 4, 16, MediaType::Png),
    ];
    for (name, size, channels, bits, expected) in cases {
        let path = write_tiff(&format!("{name}.tif"), size, channels, bits);
        let cost = prepares(name, &path, size, expected);
        let full_8_bit = u64::from(size.0) * u64::from(size.1) * u64::from(channels);
        assert!(
            cost.heap < 96 * MIB && cost.heap < full_8_bit,
            "{name}: heap peak {} MiB, the full image is {} MiB at 8 bits: not read as a stream",
            cost.heap / MIB,
            full_8_bit / MIB
        );
        if name == "TIFF RGB 8-bit" {
            assert!(
                cost.heap < 48 * MIB,
                "{name}: heap peak {} MiB, like a PNG of the same size it should stay under 48",
                cost.heap / MIB
            );
        }
    }
}

#[test]
fn truncated_large_files_are_reported_as_damaged() {
    let _serial = serial();
    let png = write_png(
        "cut.png",
        (8000, 6000),
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        false,
    );
    let tiff = write_tiff("cut.tif", (8000, 6000), 3, 8);
    for (name, path) in [("PNG", png), ("TIFF", tiff)] {
        let len = must(std::fs::metadata(&path)).len();
        must(
            File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_len(len - len / 4)),
        );
        let (result, _) = measured(&format!("{name} cut short"), &path, &DEFAULT);
        let _ = std::fs::remove_file(&path);
        let error = result.err();
        assert!(
            matches!(error, Some(ImageError::Corrupt { .. })),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn a_large_file_over_the_pixel_limit_is_refused_by_its_header() {
    let _serial = serial();
    // A 10,001 x 10,000 PNG followed by 101 MiB of (sparse) nothing: refused for its pixels,
    // quickly, without a big allocation.
    let path = fixtures().join("too-many-pixels.png");
    must(std::fs::write(&path, support::png_bomb(10_001, 10_000)));
    must(
        File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(101 * MIB)),
    );
    let (result, cost) = measured("PNG over 100 MP", &path, &DEFAULT);
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        result.err(),
        Some(ImageError::TooManyPixels {
            width: 10_001,
            height: 10_000
        })
    );
    assert!(cost.heap < 4 * MIB, "heap peak {} MiB", cost.heap / MIB);
}
