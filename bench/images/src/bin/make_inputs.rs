//! Writes the two benchmark inputs, deterministically (a fixed-seed generator, no clock):
//!
//! - `photo-6000x4000.jpg`: a photo-like 24-megapixel JPEG at quality 92 (4:2:0, as cameras
//!   write): a sky and ground gradient, soft-edged shapes, low-frequency texture and per-pixel
//!   sensor-like noise, so that it compresses like a real photo (several MB) rather than like a
//!   flat test card that would flatter every decoder;
//! - `screenshot-4000x3000.png`: a screenshot-like PNG with flat UI colours, panels, buttons and
//!   rows of anti-aliased, text-like strokes.
//!
//! Usage: `parley-images-make-inputs <out dir>`

use std::path::{Path, PathBuf};

/// A tiny deterministic generator (SplitMix64): the same bytes on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n.max(1))) as u32
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn main() {
    let out: PathBuf = match std::env::args_os().nth(1) {
        Some(dir) => dir.into(),
        None => {
            eprintln!("usage: parley-images-make-inputs <out dir>");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&out) {
        eprintln!("parley-images-make-inputs: {error}");
        std::process::exit(1);
    }
}

fn run(out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(out)?;
    let photo = out.join("photo-6000x4000.jpg");
    let (w, h) = (6000u32, 4000u32);
    let pixels = photo_pixels(w, h);
    let mut bytes = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 92);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder.encode(&pixels, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)?;
    std::fs::write(&photo, &bytes)?;
    println!("{} ({} bytes)", photo.display(), bytes.len());

    let shot = out.join("screenshot-4000x3000.png");
    let image = screenshot(4000, 3000);
    image.save_with_format(&shot, image::ImageFormat::Png)?;
    println!(
        "{} ({} bytes)",
        shot.display(),
        std::fs::metadata(&shot)?.len()
    );
    Ok(())
}

/// RGB pixels of a photo-like scene.
fn photo_pixels(w: u32, h: u32) -> Vec<u8> {
    let mut rng = Rng(0x5EED_0001);
    // Soft discs ("trees", "sun", "people") and slanted boxes ("buildings").
    let discs: Vec<(f32, f32, f32, [f32; 3])> = (0..60)
        .map(|_| {
            let colour = [
                rng.unit() * 200.0 + 20.0,
                rng.unit() * 200.0 + 20.0,
                rng.unit() * 160.0 + 20.0,
            ];
            (
                rng.unit() * w as f32,
                rng.unit() * h as f32 * 0.9 + h as f32 * 0.1,
                rng.unit() * 350.0 + 40.0,
                colour,
            )
        })
        .collect();
    let boxes: Vec<(f32, f32, f32, f32, [f32; 3])> = (0..25)
        .map(|_| {
            let x = rng.unit() * w as f32;
            let bw = rng.unit() * 500.0 + 100.0;
            let top = h as f32 * (0.25 + rng.unit() * 0.3);
            let shade = rng.unit() * 120.0 + 60.0;
            (
                x,
                x + bw,
                top,
                h as f32 * 0.75,
                [shade, shade * 0.95, shade * 0.9],
            )
        })
        .collect();
    let horizon = h as f32 * 0.62;
    let mut pixels = vec![0u8; (w * h * 3) as usize];
    for y in 0..h {
        let fy = y as f32;
        for x in 0..w {
            let fx = x as f32;
            let mut c = if fy < horizon {
                let t = fy / horizon;
                [90.0 + 100.0 * t, 140.0 + 70.0 * t, 230.0 - 30.0 * t]
            } else {
                let t = (fy - horizon) / (h as f32 - horizon);
                [100.0 - 40.0 * t, 120.0 - 30.0 * t, 60.0 - 20.0 * t]
            };
            // Low-frequency texture: clouds above, grass below.
            let texture = (fx * 0.013).sin() * (fy * 0.021).cos() * 12.0
                + (fx * 0.0031 + fy * 0.0047).sin() * 18.0
                + ((fx * 0.11).sin() * (fy * 0.07).sin()) * 6.0;
            for channel in &mut c {
                *channel += texture;
            }
            for &(left, right, top, bottom, colour) in &boxes {
                if fx >= left && fx < right && fy >= top && fy < bottom {
                    // Windows: a regular grid of darker panes.
                    let pane = ((fx - left) as u32 / 40 + (fy - top) as u32 / 60).is_multiple_of(3);
                    let k = if pane { 0.55 } else { 1.0 };
                    c = [colour[0] * k, colour[1] * k, colour[2] * k];
                }
            }
            for &(cx, cy, r, colour) in &discs {
                let d = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt();
                if d < r {
                    // Soft edge and a little shading towards the rim.
                    let edge = ((r - d) / 12.0).min(1.0);
                    let shade = 1.0 - 0.35 * (d / r);
                    for i in 0..3 {
                        c[i] = c[i] * (1.0 - edge) + colour[i] * shade * edge;
                    }
                }
            }
            let offset = ((y * w + x) * 3) as usize;
            for i in 0..3 {
                // Sensor-like noise, a little stronger in the blue channel like real sensors.
                let noise = (rng.unit() + rng.unit() - 1.0) * if i == 2 { 22.0 } else { 16.0 };
                pixels[offset + i] = (c[i] + noise).clamp(0.0, 255.0) as u8;
            }
        }
    }
    pixels
}

/// A screenshot-like RGB image: title bar, sidebar, a content pane with paragraphs of text-like
/// strokes (anti-aliased edges, as font rendering produces), buttons and a few icons.
fn screenshot(w: u32, h: u32) -> image::RgbImage {
    let mut rng = Rng(0x5EED_0002);
    let mut image = image::RgbImage::from_pixel(w, h, image::Rgb([250, 250, 252]));
    let fill = |image: &mut image::RgbImage, x0: u32, y0: u32, x1: u32, y1: u32, c: [u8; 3]| {
        for y in y0.min(h)..y1.min(h) {
            for x in x0.min(w)..x1.min(w) {
                image.put_pixel(x, y, image::Rgb(c));
            }
        }
    };
    // Title bar, sidebar, toolbar, a status bar.
    fill(&mut image, 0, 0, w, 90, [40, 44, 52]);
    fill(&mut image, 0, 90, 720, h, [236, 238, 242]);
    fill(&mut image, 720, 90, w, 190, [245, 246, 248]);
    fill(&mut image, 0, h - 60, w, h, [0, 122, 204]);
    for (i, c) in [[255, 95, 86], [255, 189, 46], [39, 201, 63]]
        .iter()
        .enumerate()
    {
        let cx = 40 + i as u32 * 50;
        for y in 25..65 {
            for x in cx - 20..cx + 20 {
                let d = ((x as i32 - cx as i32).pow(2) + (y as i32 - 45).pow(2)) as f32;
                if d.sqrt() < 18.0 {
                    image.put_pixel(x, y, image::Rgb(*c));
                }
            }
        }
    }
    // Sidebar items with a highlighted one.
    for row in 0..40u32 {
        let y = 130 + row * 70;
        if y + 60 > h - 60 {
            break;
        }
        if row == 3 {
            fill(&mut image, 20, y - 10, 700, y + 50, [210, 224, 245]);
        }
        text_line(&mut image, &mut rng, 60, y, 600, [60, 60, 70]);
    }
    // Buttons.
    for i in 0..5u32 {
        let x = 780 + i * 320;
        fill(&mut image, x, 115, x + 280, 170, [0, 120, 212]);
        text_line(&mut image, &mut rng, x + 30, 128, 200, [255, 255, 255]);
    }
    // Paragraphs of text in the content pane.
    let mut y = 250;
    while y + 40 < h - 80 {
        let lines = 3 + rng.below(6);
        for _ in 0..lines {
            if y + 40 >= h - 80 {
                break;
            }
            let width = 2400 + rng.below(800);
            text_line(&mut image, &mut rng, 800, y, width, [30, 30, 35]);
            y += 48;
        }
        y += 40;
        // Now and then a code block on a tinted background.
        if rng.below(3) == 0 && y + 260 < h - 80 {
            fill(&mut image, 780, y, w - 80, y + 250, [40, 42, 54]);
            for line in 0..5 {
                let colour = [[248, 248, 242], [139, 233, 253], [80, 250, 123]][line % 3];
                text_line(
                    &mut image,
                    &mut rng,
                    820,
                    y + 20 + line as u32 * 45,
                    1800,
                    colour,
                );
            }
            y += 290;
        }
    }
    image
}

/// One line of "words": glyph-like boxes of strokes, 22 px tall, with grey anti-aliased edges.
fn text_line(
    image: &mut image::RgbImage,
    rng: &mut Rng,
    x0: u32,
    y0: u32,
    width: u32,
    ink: [u8; 3],
) {
    let (w, h) = image.dimensions();
    let mut x = x0;
    while x < x0 + width {
        let letters = 2 + rng.below(8);
        for _ in 0..letters {
            let glyph_w = 10 + rng.below(8);
            let tall = rng.below(4) == 0;
            let top = if tall { y0 } else { y0 + 8 };
            // A vertical stem, a bowl-like horizontal stroke, sometimes a second stem.
            let strokes = [
                (x, top, x + 3, y0 + 30),
                (x, y0 + 14, x + glyph_w, y0 + 17),
                if rng.below(2) == 0 {
                    (x + glyph_w - 3, y0 + 8, x + glyph_w, y0 + 30)
                } else {
                    (x, y0 + 27, x + glyph_w, y0 + 30)
                },
            ];
            for (sx0, sy0, sx1, sy1) in strokes {
                for y in sy0.saturating_sub(1)..(sy1 + 1).min(h) {
                    for px in sx0.saturating_sub(1)..(sx1 + 1).min(w) {
                        let inside = px >= sx0 && px < sx1 && y >= sy0 && y < sy1;
                        let coverage = if inside { 1.0 } else { 0.35 };
                        let old = image.get_pixel(px, y).0;
                        let mut new = old;
                        for i in 0..3 {
                            let blended =
                                f32::from(old[i]) * (1.0 - coverage) + f32::from(ink[i]) * coverage;
                            new[i] = blended.min(f32::from(old[i]).max(f32::from(ink[i]))) as u8;
                        }
                        image.put_pixel(px, y, image::Rgb(new));
                    }
                }
            }
            x += glyph_w + 4;
        }
        x += 14;
    }
}
