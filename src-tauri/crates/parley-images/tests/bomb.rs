//! Decompression bombs: headers that claim far more pixels than the file could hold are refused
//! quickly and without a large allocation. This test binary counts every allocation through its
//! own global allocator, so its tests run one at a time (a mutex) to keep the counts their own.

mod support;

#[path = "support/counting.rs"]
mod counting;

use std::time::{Duration, Instant};

use counting::{peak_during, serial};
use parley_images::{EncodeOptions, ImageError, prepare};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// Far below any decoded buffer of the claimed sizes (tens of GB), above decoder bookkeeping.
const SMALL: usize = 4 << 20;

#[test]
fn bomb_headers_are_refused_without_a_large_allocation() {
    let _serial = serial();
    let cases = [
        (
            "PNG",
            support::png_bomb(100_000, 100_000),
            (100_000, 100_000),
        ),
        (
            "PNG, wide",
            support::png_bomb(1_000_000, 101),
            (1_000_000, 101),
        ),
        ("JPEG", support::jpeg_bomb(65_000, 65_000), (65_000, 65_000)),
        ("GIF", support::gif_bomb(), (65_535, 65_535)),
        ("BMP", support::bmp_bomb(), (50_000, 50_000)),
        ("WebP", support::webp_bomb(), (16_383, 16_383)),
    ];
    for (name, bytes, (width, height)) in cases {
        assert!(bytes.len() < 1024, "{name}: the bomb itself is tiny");
        let start = Instant::now();
        let (result, peak) = peak_during(|| prepare(&bytes, &EncodeOptions::default()));
        let elapsed = start.elapsed();
        assert_eq!(
            result.err(),
            Some(ImageError::TooManyPixels { width, height }),
            "{name}"
        );
        assert!(peak < SMALL, "{name}: {peak} bytes allocated");
        assert!(elapsed < Duration::from_secs(1), "{name}: took {elapsed:?}");
    }
}

#[test]
fn the_pixel_limit_is_100_megapixels() {
    let _serial = serial();
    // 10,000 x 10,001 is just over; the error names the size.
    let bytes = support::png_bomb(10_000, 10_001);
    let error = prepare(&bytes, &EncodeOptions::default()).err();
    assert_eq!(
        error.map(|e| e.to_string()),
        Some("the image claims 10000 x 10001 pixels, more than the 100-megapixel limit".into())
    );
    // 10,000 x 10,000 is allowed past the header: the (tiny) data then turns out to be short.
    let bytes = support::png_bomb(10_000, 10_000);
    let (result, peak) = peak_during(|| prepare(&bytes, &EncodeOptions::default()));
    assert!(
        matches!(result, Err(ImageError::Corrupt { .. })),
        "{result:?}"
    );
    // The decoder may allocate the 300 MB it was told to fill, never more than the fence.
    assert!(peak as u64 <= parley_images::MAX_DECODE_BYTES, "{peak}");
}
