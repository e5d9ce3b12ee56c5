//! Decoded 8-bit pixels and the few operations the pipeline needs on them.
//!
//! Everything is reduced to three layouts (grey, RGB, RGBA, 8 bits per channel) right after
//! decoding: the API formats carry nothing more, and three layouts keep the resizer and encoders
//! on their fast paths.

use std::collections::HashMap;

use fast_image_resize as fir;
use image::{DynamicImage, metadata::Orientation};

use crate::ImageError;

/// The channel layout of [`Pixels`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    Gray,
    Rgb,
    Rgba,
}

impl Layout {
    pub(crate) fn channels(self) -> usize {
        match self {
            Layout::Gray => 1,
            Layout::Rgb => 3,
            Layout::Rgba => 4,
        }
    }

    fn fir(self) -> fir::PixelType {
        match self {
            Layout::Gray => fir::PixelType::U8,
            Layout::Rgb => fir::PixelType::U8x3,
            Layout::Rgba => fir::PixelType::U8x4,
        }
    }
}

/// An 8-bit image in one of three layouts, rows top to bottom without padding.
#[derive(Debug, Clone)]
pub(crate) struct Pixels {
    pub width: u32,
    pub height: u32,
    pub layout: Layout,
    pub data: Vec<u8>,
}

/// Samples per side for the colour census: 256 x 256 = 65,536 pixels is enough to tell a
/// screenshot from a photo and costs well under a millisecond.
pub(crate) const CENSUS_SIDE: u32 = 256;
/// An image with at most this many distinct colours in the sample is a graphic (PNG): it fits a
/// palette.
const FEW_COLOURS: usize = 256;
/// The same for grey images, which never have more than 256 levels: a grey photo uses most of
/// them, a grey diagram or scanned text page few.
const FEW_GREYS: usize = 32;
/// ... and so is one whose 16 most frequent colours cover at least half of the sample: flat UI
/// backgrounds with anti-aliased text have thousands of colours but are dominated by a handful.
const DOMINANT_COLOURS: usize = 16;
/// Distinct colours tracked at most; past this the sample is a photo whatever the rest says.
const CENSUS_CAP: usize = 4096;

impl Pixels {
    /// Converts whatever the decoder produced (16-bit, float, grey with alpha, ...) to one of the
    /// three layouts, dropping an alpha channel that is opaque everywhere.
    pub(crate) fn from_dynamic(image: DynamicImage) -> Pixels {
        let (width, height) = (image.width(), image.height());
        let pixels = match image {
            DynamicImage::ImageLuma8(buffer) => {
                Pixels::new(width, height, Layout::Gray, buffer.into_raw())
            }
            DynamicImage::ImageRgb8(buffer) => {
                Pixels::new(width, height, Layout::Rgb, buffer.into_raw())
            }
            DynamicImage::ImageRgba8(buffer) => {
                Pixels::new(width, height, Layout::Rgba, buffer.into_raw())
            }
            other if other.color().has_alpha() => {
                Pixels::new(width, height, Layout::Rgba, other.into_rgba8().into_raw())
            }
            other if other.color().channel_count() == 1 => {
                Pixels::new(width, height, Layout::Gray, other.into_luma8().into_raw())
            }
            other => Pixels::new(width, height, Layout::Rgb, other.into_rgb8().into_raw()),
        };
        pixels.without_opaque_alpha()
    }

    pub(crate) fn new(width: u32, height: u32, layout: Layout, data: impl Into<Vec<u8>>) -> Self {
        Pixels {
            width,
            height,
            layout,
            data: data.into(),
        }
    }

    /// True when some pixel is not fully opaque.
    pub(crate) fn has_alpha(&self) -> bool {
        self.layout == Layout::Rgba
    }

    /// RGBA whose alpha is 255 everywhere becomes RGB, so that it can go out as JPEG. Done in
    /// place: a full-size image never exists twice.
    pub(crate) fn without_opaque_alpha(mut self) -> Pixels {
        if self.layout != Layout::Rgba || self.data.chunks_exact(4).any(|px| px[3] != 255) {
            return self;
        }
        let pixels = self.data.len() / 4;
        for i in 0..pixels {
            // Writing at 3i never overtakes reading at 4i.
            self.data.copy_within(4 * i..4 * i + 3, 3 * i);
        }
        self.data.truncate(pixels * 3);
        self.data.shrink_to_fit();
        self.layout = Layout::Rgb;
        self
    }

    /// RGB on white, for the JPEG encoder (which has no alpha).
    pub(crate) fn flattened(&self) -> std::borrow::Cow<'_, Pixels> {
        if self.layout != Layout::Rgba {
            return std::borrow::Cow::Borrowed(self);
        }
        let data = self
            .data
            .chunks_exact(4)
            .flat_map(|px| {
                let alpha = u32::from(px[3]);
                let over_white = |c: u8| ((u32::from(c) * alpha + 255 * (255 - alpha)) / 255) as u8;
                [over_white(px[0]), over_white(px[1]), over_white(px[2])]
            })
            .collect::<Vec<u8>>();
        std::borrow::Cow::Owned(Pixels::new(self.width, self.height, Layout::Rgb, data))
    }

    /// Resamples to `width` x `height` with a Catmull-Rom (bicubic) filter, alpha-aware (the
    /// resizer premultiplies, so transparent pixels do not bleed their colour into the edges).
    pub(crate) fn resized(&self, width: u32, height: u32) -> Result<Pixels, ImageError> {
        if (width, height) == (self.width, self.height) {
            return Ok(self.clone());
        }
        let source =
            fir::images::ImageRef::new(self.width, self.height, &self.data, self.layout.fir())
                .map_err(|error| ImageError::corrupt(format!("resize: {error}")))?;
        let mut target = fir::images::Image::new(width, height, self.layout.fir());
        let options = fir::ResizeOptions::new()
            .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::CatmullRom));
        fir::Resizer::new()
            .resize(&source, &mut target, &options)
            .map_err(|error| ImageError::corrupt(format!("resize: {error}")))?;
        Ok(Pixels::new(width, height, self.layout, target.into_vec()))
    }

    /// Applies an EXIF orientation so that the pixels are upright.
    pub(crate) fn oriented(self, orientation: Orientation) -> Result<Pixels, ImageError> {
        if orientation == Orientation::NoTransforms {
            return Ok(self);
        }
        let Pixels {
            width,
            height,
            layout,
            data,
        } = self;
        let image = match layout {
            Layout::Gray => image::GrayImage::from_raw(width, height, data).map(DynamicImage::from),
            Layout::Rgb => image::RgbImage::from_raw(width, height, data).map(DynamicImage::from),
            Layout::Rgba => image::RgbaImage::from_raw(width, height, data).map(DynamicImage::from),
        };
        // `from_raw` fails only if the buffer does not match the size, which no decoder path
        // produces; report it rather than panic.
        let mut image =
            image.ok_or_else(|| ImageError::corrupt("decoded pixels do not match the size"))?;
        image.apply_orientation(orientation);
        let (width, height) = (image.width(), image.height());
        Ok(Pixels::new(width, height, layout, image.into_bytes()))
    }

    /// A graphic (screenshot, diagram, chart, logo) rather than a photo: few distinct colours on
    /// an evenly spread sample, or a handful of colours covering most of it.
    pub(crate) fn looks_like_graphic(&self) -> bool {
        let channels = self.layout.channels();
        let sample_w = self.width.min(CENSUS_SIDE);
        let sample_h = self.height.min(CENSUS_SIDE);
        let total = u64::from(sample_w) * u64::from(sample_h);
        if total == 0 {
            return true;
        }
        let mut counts: HashMap<u32, u32> = HashMap::with_capacity(1024);
        for sy in 0..sample_h {
            // Pixel centres, as a nearest-neighbour downscale picks them.
            let y = ((2 * u64::from(sy) + 1) * u64::from(self.height) / (2 * u64::from(sample_h)))
                as usize;
            let row = y * self.width as usize * channels;
            for sx in 0..sample_w {
                let x = ((2 * u64::from(sx) + 1) * u64::from(self.width)
                    / (2 * u64::from(sample_w))) as usize;
                let at = row + x * channels;
                let px = &self.data[at..at + channels];
                let key = px.iter().fold(0u32, |key, &c| (key << 8) | u32::from(c));
                let len = counts.len();
                match counts.get_mut(&key) {
                    Some(count) => *count += 1,
                    None if len < CENSUS_CAP => {
                        counts.insert(key, 1);
                    }
                    None => return false,
                }
            }
        }
        let few = match self.layout {
            Layout::Gray => FEW_GREYS,
            Layout::Rgb | Layout::Rgba => FEW_COLOURS,
        };
        if counts.len() <= few {
            return true;
        }
        let mut frequencies: Vec<u32> = counts.into_values().collect();
        frequencies.sort_unstable_by(|a, b| b.cmp(a));
        let dominant: u64 = frequencies
            .iter()
            .take(DOMINANT_COLOURS)
            .map(|&n| u64::from(n))
            .sum();
        dominant * 2 >= total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_alpha_is_dropped() {
        let rgba = image::RgbaImage::from_pixel(3, 2, image::Rgba([1, 2, 3, 255]));
        let pixels = Pixels::from_dynamic(DynamicImage::ImageRgba8(rgba));
        assert_eq!(pixels.layout, Layout::Rgb);
        assert_eq!(pixels.data, [1, 2, 3].repeat(6));
    }

    #[test]
    fn flattening_is_over_white() {
        let pixels = Pixels::new(2, 1, Layout::Rgba, vec![0, 0, 0, 0, 0, 0, 0, 255]);
        assert_eq!(pixels.flattened().data, vec![255, 255, 255, 0, 0, 0]);
    }

    #[test]
    fn census_tells_graphics_from_photos() {
        let flat = Pixels::new(300, 300, Layout::Rgb, vec![200; 300 * 300 * 3]);
        assert!(flat.looks_like_graphic());
        let mut state = 1u32;
        let noise: Vec<u8> = (0..300 * 300 * 3)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect();
        assert!(!Pixels::new(300, 300, Layout::Rgb, noise).looks_like_graphic());
    }
}
