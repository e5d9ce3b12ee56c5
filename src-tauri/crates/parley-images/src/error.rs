//! Why an image was refused, in words a person can act on.

/// Why an image could not be prepared.
///
/// The `Display` texts are whole sentences without the file name: the caller knows the name and
/// puts it in front ("holiday.heic: HEIC images are not supported yet: ..."). [`ImageError::kind`]
/// gives the stable machine-readable kind that crosses IPC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Zero bytes: an empty file, or an empty clipboard buffer.
    #[error("the file is empty")]
    Empty,
    /// No known image signature: a renamed text file, a PDF, a video, ...
    #[error("this is not an image Parley can read")]
    NotAnImage,
    /// A known format whose data is truncated or damaged.
    #[error("the image data is truncated or damaged ({detail})")]
    Corrupt {
        /// What the parser or decoder found wrong, for the curious and for bug reports.
        detail: String,
    },
    /// A format Parley recognises but does not convert (HEIC/HEIF, AVIF, SVG, JPEG XL, ...).
    #[error("{format} images are not supported yet: convert it to JPEG or PNG first")]
    Unsupported {
        /// The format's common name, e.g. "HEIC".
        format: String,
    },
    /// The header claims more pixels than Parley decodes (a decompression bomb, or a scan far
    /// larger than anything the API could use); refused before any pixel is decoded.
    #[error(
        "the image claims {width} x {height} pixels, more than the {limit}-megapixel limit",
        limit = crate::MAX_PIXELS / 1_000_000
    )]
    TooManyPixels {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
    },
    /// Within the pixel limit, but decoding it would take more memory than
    /// [`crate::MAX_DECODE_BYTES`] (floating-point or 16-bit layouts at the largest sizes).
    #[error(
        "decoding this {width} x {height} image would take more than the {limit} MB of memory \
         Parley allows for one image",
        limit = crate::MAX_DECODE_BYTES / 1_000_000
    )]
    DecodeTooLarge {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
    },
    /// Image data handed over in memory (a paste) larger than [`crate::MAX_IN_MEMORY_BYTES`];
    /// refused before it is copied or read.
    #[error(
        "the image data is {megabytes} MB, more than the {limit} MB Parley accepts from a paste",
        limit = crate::MAX_IN_MEMORY_BYTES / 1_000_000
    )]
    InputTooLarge {
        /// The size, rounded up to whole megabytes.
        megabytes: u64,
    },
    /// A CMYK or 16-bit JPEG file larger than [`crate::MAX_IN_MEMORY_BYTES`]: the only decoder
    /// for those needs the whole file in memory, so it is refused before being read.
    #[error(
        "this CMYK or 16-bit JPEG is {megabytes} MB, and Parley reads such JPEGs only up to \
         {limit} MB: save it as an RGB JPEG or a PNG first",
        limit = crate::MAX_IN_MEMORY_BYTES / 1_000_000
    )]
    JpegTooLargeToRead {
        /// The file size, rounded up to whole megabytes.
        megabytes: u64,
    },
    /// Decoded and downscaled, but no downscaling and recompression brought its encoding under
    /// the API's limit (never seen in practice: noise at 8000 x 8000 fits).
    #[error("the image is too large: Parley could not bring it under the API's 5 MB limit")]
    TooLarge,
    /// The path names a folder, a device (`/dev/zero`), a pipe or a socket: only regular files
    /// are read, so nothing can block or feed endless data.
    #[error("this is not a regular file")]
    NotAFile,
    /// The file could not be read.
    #[error("the file could not be read ({detail})")]
    Io {
        /// The operating system's reason.
        detail: String,
    },
}

impl ImageError {
    /// The stable error kind for IPC and logs (`image_empty`, `image_corrupt`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            ImageError::Empty => "image_empty",
            ImageError::NotAnImage => "image_not_image",
            ImageError::Corrupt { .. } => "image_corrupt",
            ImageError::Unsupported { .. } => "image_unsupported",
            ImageError::TooManyPixels { .. } => "image_too_many_pixels",
            ImageError::DecodeTooLarge { .. } => "image_too_many_pixels",
            ImageError::InputTooLarge { .. } | ImageError::TooLarge => "image_too_large",
            ImageError::JpegTooLargeToRead { .. } => "image_unsupported",
            ImageError::NotAFile => "image_not_file",
            ImageError::Io { .. } => "image_io",
        }
    }

    pub(crate) fn corrupt(detail: impl Into<String>) -> Self {
        ImageError::Corrupt {
            detail: detail.into(),
        }
    }

    pub(crate) fn unsupported(format: impl Into<String>) -> Self {
        ImageError::Unsupported {
            format: format.into(),
        }
    }

    /// Maps an `image` crate error met while decoding a `format` image of `width` x `height`.
    pub(crate) fn from_decoding(
        error: image::ImageError,
        format: image::ImageFormat,
        width: u32,
        height: u32,
    ) -> Self {
        use image::ImageError as E;
        match error {
            E::Limits(_) if u64::from(width) * u64::from(height) > crate::MAX_PIXELS => {
                ImageError::TooManyPixels { width, height }
            }
            E::Limits(_) => ImageError::DecodeTooLarge { width, height },
            // A known format using a feature its decoder lacks (a colour type, a compression
            // method): the image is not damaged, just not convertible here.
            E::Unsupported(_) => ImageError::unsupported(format!("some {}", format_name(format))),
            E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                ImageError::corrupt("the data ends early")
            }
            // An error from the operating system is the file's, not the image's (decoders also
            // report damaged data as I/O errors, without an OS code).
            E::IoError(io) if io.raw_os_error().is_some() => ImageError::from(io),
            other => ImageError::corrupt(other.to_string()),
        }
    }
}

/// The name people know a format by.
pub(crate) fn format_name(format: image::ImageFormat) -> &'static str {
    use image::ImageFormat as F;
    match format {
        F::Jpeg => "JPEG",
        F::Png => "PNG",
        F::Gif => "GIF",
        F::WebP => "WebP",
        F::Bmp => "BMP",
        F::Tiff => "TIFF",
        F::Ico => "ICO",
        F::Pnm => "PNM",
        F::Qoi => "QOI",
        F::Hdr => "HDR",
        F::OpenExr => "OpenEXR",
        F::Dds => "DDS",
        F::Avif => "AVIF",
        F::Tga => "TGA",
        F::Farbfeld => "farbfeld",
        _ => "these",
    }
}

impl From<std::io::Error> for ImageError {
    fn from(error: std::io::Error) -> Self {
        ImageError::Io {
            detail: error.to_string(),
        }
    }
}
