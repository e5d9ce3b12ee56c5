//! Times `parley_images::prepare` plus the base64 encoding the request needs, on one file.
//!
//! Usage: `parley-images-prepare FILE [REPETITIONS] [--full]`
//!
//! Each repetition reads the file, prepares it and base64-encodes the result, like the app does
//! between a drop and a ready chip (the app also writes it to disk). Prints one line:
//! `median_ms=<ms> bytes=<encoded bytes> base64=<base64 length> type=<media type> size=<w>x<h>`.

use std::time::Instant;

use base64::Engine as _;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: parley-images-prepare FILE [REPETITIONS] [--full]");
        std::process::exit(2);
    };
    let mut repetitions = 5usize;
    let mut options = parley_images::EncodeOptions::default();
    for arg in args {
        if arg == "--full" {
            options.full_resolution = true;
        } else if let Ok(n) = arg.parse() {
            repetitions = n;
        }
    }
    let mut times = Vec::with_capacity(repetitions);
    let mut last = None;
    for _ in 0..repetitions.max(1) {
        let start = Instant::now();
        let prepared = match parley_images::prepare_file(path.as_ref(), &options) {
            Ok(prepared) => prepared,
            Err(error) => {
                eprintln!("parley-images-prepare: {path}: {error}");
                std::process::exit(1);
            }
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(&prepared.image.bytes);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        last = Some((prepared, encoded.len()));
    }
    times.sort_by(f64::total_cmp);
    let median = if times.len() % 2 == 1 {
        times[times.len() / 2]
    } else {
        (times[times.len() / 2 - 1] + times[times.len() / 2]) / 2.0
    };
    if let Some((prepared, base64_len)) = last {
        let image = &prepared.image;
        println!(
            "median_ms={median:.1} bytes={} base64={base64_len} type={} size={}x{}",
            image.bytes.len(),
            image.media_type.extension(),
            image.width,
            image.height
        );
    }
}
