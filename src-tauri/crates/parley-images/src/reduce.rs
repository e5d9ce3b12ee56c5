//! Shrinking an image by a whole factor while it is decoded, row by row.
//!
//! Large images are sent at a fraction of their size (an 8000 x 8000 scan goes out at about
//! 1072 x 1072), so holding all their pixels at once is waste: a 100-megapixel RGBA image is
//! 400 MB decoded. Decoders that hand out rows (PNG) feed them to a [`Reducer`], which averages
//! each `factor` x `factor` block into one pixel as the rows arrive and keeps only the reduced
//! image, the way JPEG's scaled IDCT does for JPEGs. The exact resize to the target size then
//! runs on that smaller image.
//!
//! Rows come in any of the decoders' sample layouts (1 to 4 channels, 8 or 16 bits) and leave as
//! one of the three 8-bit [`Layout`]s. Averages with alpha are weighted by alpha, so that the
//! colour of fully transparent pixels (often black) does not bleed into the edges.

use crate::ImageError;
use crate::pixels::{Layout, Pixels};

/// The factor by which an image of `width` x `height` can be shrunk while staying at least twice
/// `min_width` x `min_height`: the resize after it then still has two source pixels per output
/// pixel to filter, so the result looks as if it had been resized from the full image.
pub(crate) fn factor(width: u32, height: u32, min_width: u32, min_height: u32) -> u32 {
    let by_width = width / min_width.max(1).saturating_mul(2);
    let by_height = height / min_height.max(1).saturating_mul(2);
    by_width.min(by_height).max(1)
}

/// Bits per sample of the rows given to a [`Reducer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    Eight,
    /// Native-endian 16-bit samples, as `image` decoders write them.
    SixteenNative,
}

impl Depth {
    fn bytes(self) -> usize {
        match self {
            Depth::Eight => 1,
            Depth::SixteenNative => 2,
        }
    }
}

/// Shrinks an image fed row by row by a whole factor, into 8-bit [`Pixels`].
pub(crate) struct Reducer {
    width: u32,
    height: u32,
    channels: usize,
    depth: Depth,
    factor: u32,
    out_width: usize,
    out_height: usize,
    layout: Layout,
    /// Rows received so far.
    rows: u32,
    /// Per output pixel of the current band of `factor` rows: the (alpha-weighted) channel sums.
    sums: Vec<u64>,
    /// One 8-bit source row, when the source is 16-bit or grey with alpha.
    scratch: Vec<u8>,
    out: Vec<u8>,
}

impl Reducer {
    /// A reducer for a `width` x `height` image of `channels` samples per pixel (grey, grey and
    /// alpha, RGB, RGBA) at `depth`, shrinking by `factor` (1 keeps the size).
    pub(crate) fn new(
        width: u32,
        height: u32,
        channels: usize,
        depth: Depth,
        factor: u32,
    ) -> Result<Reducer, ImageError> {
        let layout = match channels {
            1 => Layout::Gray,
            3 => Layout::Rgb,
            2 | 4 => Layout::Rgba,
            _ => return Err(ImageError::corrupt("an unexpected number of channels")),
        };
        let factor = factor.max(1);
        let out_width = width.div_ceil(factor) as usize;
        let out_height = height.div_ceil(factor) as usize;
        let out_channels = layout.channels();
        let out_len = out_width
            .checked_mul(out_height)
            .and_then(|n| n.checked_mul(out_channels))
            .ok_or_else(|| ImageError::corrupt("the image is too large to address"))?;
        let mut out = Vec::new();
        out.try_reserve_exact(out_len)
            .map_err(|_| ImageError::corrupt("not enough memory for the decoded image"))?;
        let sums = if factor > 1 {
            vec![0u64; out_width * out_channels]
        } else {
            Vec::new()
        };
        Ok(Reducer {
            width,
            height,
            channels,
            depth,
            factor,
            out_width,
            out_height,
            layout,
            rows: 0,
            sums,
            scratch: Vec::new(),
            out,
        })
    }

    /// The length in bytes of one source row.
    pub(crate) fn row_len(&self) -> usize {
        self.width as usize * self.channels * self.depth.bytes()
    }

    /// Takes the next source row (top to bottom). Rows past the image's height are ignored.
    pub(crate) fn push(&mut self, row: &[u8]) -> Result<(), ImageError> {
        if self.rows >= self.height {
            return Ok(());
        }
        if row.len() < self.row_len() {
            return Err(ImageError::corrupt(
                "a row is shorter than the image is wide",
            ));
        }
        let row = &row[..self.row_len()];
        let mut scratch = std::mem::take(&mut self.scratch);
        let samples: &[u8] = match (self.depth, self.channels) {
            (Depth::Eight, 1 | 3 | 4) => row,
            _ => {
                scratch.clear();
                to_layout_8(row, self.channels, self.depth, &mut scratch);
                &scratch
            }
        };
        if self.factor == 1 {
            self.out.extend_from_slice(samples);
        } else {
            self.accumulate(samples);
        }
        self.scratch = scratch;
        self.rows += 1;
        if self.factor > 1 && (self.rows.is_multiple_of(self.factor) || self.rows == self.height) {
            self.flush_band();
        }
        Ok(())
    }

    /// The reduced image, once every row has been given.
    pub(crate) fn finish(self) -> Result<Pixels, ImageError> {
        if self.rows < self.height {
            return Err(ImageError::corrupt("the data ends early"));
        }
        debug_assert_eq!(
            self.out.len(),
            self.out_width * self.out_height * self.layout.channels()
        );
        Ok(Pixels::new(
            self.out_width as u32,
            self.out_height as u32,
            self.layout,
            self.out,
        )
        .without_opaque_alpha())
    }

    /// Adds an 8-bit row in the output layout to the band's sums.
    fn accumulate(&mut self, samples: &[u8]) {
        let channels = self.layout.channels();
        let factor = self.factor as usize;
        for (x, px) in samples.chunks_exact(channels).enumerate() {
            let at = (x / factor) * channels;
            let sums = &mut self.sums[at..at + channels];
            if self.layout == Layout::Rgba {
                let alpha = u64::from(px[3]);
                for c in 0..3 {
                    sums[c] += u64::from(px[c]) * alpha;
                }
                sums[3] += alpha;
            } else {
                for (sum, &sample) in sums.iter_mut().zip(px) {
                    *sum += u64::from(sample);
                }
            }
        }
    }

    /// Turns the band's sums into one output row and clears them.
    fn flush_band(&mut self) {
        let channels = self.layout.channels();
        let factor = u64::from(self.factor);
        let band_rows = match u64::from(self.rows) % factor {
            0 => factor,
            partial => partial,
        };
        let width = u64::from(self.width);
        for (x, sums) in self.sums.chunks_exact_mut(channels).enumerate() {
            let x = x as u64;
            let columns = (width - x * factor).min(factor);
            let count = columns * band_rows;
            if self.layout == Layout::Rgba {
                let alpha = sums[3];
                for &sum in &sums[..3] {
                    let value = (sum + alpha / 2).checked_div(alpha).unwrap_or(0);
                    self.out.push(value.min(255) as u8);
                }
                self.out.push(((alpha + count / 2) / count).min(255) as u8);
            } else {
                for &sum in sums.iter() {
                    self.out.push(((sum + count / 2) / count).min(255) as u8);
                }
            }
            sums.fill(0);
        }
    }
}

/// Converts one row of `channels` samples at `depth` to 8-bit samples in the output layout (grey
/// and alpha becomes RGBA).
fn to_layout_8(row: &[u8], channels: usize, depth: Depth, out: &mut Vec<u8>) {
    let sample = |i: usize| -> u8 {
        match depth {
            Depth::Eight => row[i],
            Depth::SixteenNative => narrow(u16::from_ne_bytes([row[2 * i], row[2 * i + 1]])),
        }
    };
    let samples = row.len() / depth.bytes();
    if channels == 2 {
        for i in (0..samples).step_by(2) {
            let grey = sample(i);
            out.extend_from_slice(&[grey, grey, grey, sample(i + 1)]);
        }
    } else {
        out.extend((0..samples).map(sample));
    }
}

/// A 16-bit sample rounded to 8 bits (`round(v * 255 / 65535)`).
pub(crate) fn narrow(value: u16) -> u8 {
    ((u32::from(value) + 128) / 257) as u8
}

/// Narrows a buffer of native-endian 16-bit samples to 8 bits in place and gives back its memory:
/// the 8-bit image never exists beside the 16-bit one.
pub(crate) fn narrow_in_place(mut data: Vec<u8>) -> Vec<u8> {
    let samples = data.len() / 2;
    for i in 0..samples {
        // Writing at i never overtakes reading at 2i.
        data[i] = narrow(u16::from_ne_bytes([data[2 * i], data[2 * i + 1]]));
    }
    data.truncate(samples);
    data.shrink_to_fit();
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(
        width: u32,
        height: u32,
        channels: usize,
        depth: Depth,
        factor: u32,
        data: &[u8],
    ) -> Pixels {
        let mut reducer = Reducer::new(width, height, channels, depth, factor).unwrap();
        let row_len = reducer.row_len();
        for row in data.chunks(row_len) {
            reducer.push(row).unwrap();
        }
        reducer.finish().unwrap()
    }

    #[test]
    fn factors_keep_twice_the_target() {
        assert_eq!(factor(8000, 8000, 1072, 1072), 3);
        assert_eq!(factor(8000, 8000, 8000, 8000), 1);
        assert_eq!(factor(2000, 1500, 1238, 928), 1);
        assert_eq!(factor(640, 480, 256, 192), 1);
        assert_eq!(factor(4000, 3000, 256, 192), 7);
        assert_eq!(factor(100_000, 10, 1568, 1), 5);
    }

    #[test]
    fn blocks_are_averaged_with_partial_edges() {
        // 3 x 3 grey, factor 2: blocks of 4, 2 (right), 2 (bottom) and 1 pixel.
        let data = [10, 20, 200, 30, 40, 100, 7, 9, 50];
        let pixels = reduce(3, 3, 1, Depth::Eight, 2, &data);
        assert_eq!((pixels.width, pixels.height), (2, 2));
        assert_eq!(pixels.data, vec![25, 150, 8, 50]);
    }

    #[test]
    fn alpha_weights_the_average() {
        // A transparent black pixel beside an opaque white one: white at half opacity, not grey.
        let data = [0, 0, 0, 0, 255, 255, 255, 255];
        let pixels = reduce(2, 1, 4, Depth::Eight, 2, &data);
        assert_eq!(pixels.layout, Layout::Rgba);
        assert_eq!(pixels.data, vec![255, 255, 255, 128]);
    }

    #[test]
    fn sixteen_bit_and_grey_alpha_become_eight_bit_layouts() {
        let grey_alpha: Vec<u8> = [0xFFFFu16, 0x8080, 0x0000, 0xFFFF]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let pixels = reduce(2, 1, 2, Depth::SixteenNative, 1, &grey_alpha);
        assert_eq!(pixels.layout, Layout::Rgba);
        assert_eq!(pixels.data, vec![255, 255, 255, 128, 0, 0, 0, 255]);
        // Opaque RGBA comes out as RGB, like every other decode.
        let opaque = [1, 2, 3, 255, 4, 5, 6, 255];
        let pixels = reduce(2, 1, 4, Depth::Eight, 1, &opaque);
        assert_eq!(pixels.layout, Layout::Rgb);
        assert_eq!(pixels.data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn missing_rows_are_reported() {
        let mut reducer = Reducer::new(2, 3, 1, Depth::Eight, 1).unwrap();
        reducer.push(&[1, 2]).unwrap();
        assert!(matches!(reducer.finish(), Err(ImageError::Corrupt { .. })));
    }

    #[test]
    fn narrowing_in_place_rounds() {
        let data: Vec<u8> = [0u16, 128, 129, 65535]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        assert_eq!(narrow_in_place(data), vec![0, 0, 1, 255]);
    }
}
