//! A local estimate of a request's input tokens, for endpoints without `count_tokens`.
//!
//! [`estimate_tokens`] is a rule of thumb, not a tokenizer:
//!
//! - text (the system prompt, text blocks, tool definitions, `tool_use` input and `tool_result`
//!   content as JSON text): one token per CJK character (Han, kana, Hangul, CJK punctuation and
//!   full-width forms), plus one token per 4 bytes of UTF-8 of everything else (English averages
//!   about 4 characters per token; other scripts take more bytes per character and more tokens);
//! - an image: `width * height / 750`, after the downscaling the API applies (long edge at most
//!   1568 px, at most 1,200,000 pixels, so at most 1,600 tokens). The size is read from the PNG,
//!   GIF, WebP or JPEG header in the first 64 KiB of the data, never by decoding the image; an
//!   image whose size cannot be read that way (a URL, another format) counts 1,600 tokens, the
//!   cost of a full-size one;
//! - thinking blocks count nothing: the API drops them from earlier turns;
//! - each message adds 4 tokens for its role and turn markers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use parley_claude::{ContentBlock, ImageSource, MessageContent, MessagesRequest, SystemPrompt};
use serde::{Deserialize, Serialize};

/// Tokens per message for its role and turn markers.
const TOKENS_PER_MESSAGE: u64 = 4;
/// The most an image costs: the API scales larger ones down to about this.
const MAX_IMAGE_TOKENS: u64 = 1_600;
/// The API's token price of an image: one token per this many pixels.
const PIXELS_PER_TOKEN: u64 = 750;
/// The API scales an image down until its long edge is at most this many pixels...
const MAX_LONG_EDGE: f64 = 1568.0;
/// ...and it has at most this many pixels (1,600 tokens).
const MAX_PIXELS: f64 = (MAX_IMAGE_TOKENS * PIXELS_PER_TOKEN) as f64;

/// A local estimate of the input tokens of `request` (the rule is in the
/// [module documentation](crate::tokens::estimate)). Cheap: it reads text once and only the header of each image.
pub fn estimate_tokens(request: &MessagesRequest) -> u64 {
    let system = match &request.system {
        None => 0,
        Some(SystemPrompt::Text(text)) => text_tokens(text),
        Some(SystemPrompt::Blocks(blocks)) => blocks.iter().map(|b| text_tokens(&b.text)).sum(),
    };
    let tools: u64 = request.tools.iter().map(json_tokens).sum();
    let messages: u64 = request
        .messages
        .iter()
        .map(|message| {
            TOKENS_PER_MESSAGE
                + match &message.content {
                    MessageContent::Text(text) => text_tokens(text),
                    MessageContent::Blocks(blocks) => blocks.iter().map(block_tokens).sum(),
                }
        })
        .sum();
    system + tools + messages
}

fn block_tokens(block: &ContentBlock) -> u64 {
    match block {
        ContentBlock::Text { text, .. } => text_tokens(text),
        ContentBlock::Image { source } => image_tokens(source),
        ContentBlock::ToolUse { name, input, .. } => text_tokens(name) + json_tokens(input),
        ContentBlock::ToolResult { content, .. } => match content {
            None => 0,
            Some(serde_json::Value::String(text)) => text_tokens(text),
            // Blocks, which may hold images: each is counted as what it is.
            Some(serde_json::Value::Array(blocks)) => blocks
                .iter()
                .map(|block| match ContentBlock::deserialize(block) {
                    Ok(block) => block_tokens(&block),
                    Err(_) => json_tokens(block),
                })
                .sum(),
            Some(other) => json_tokens(other),
        },
        ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. } => 0,
        ContentBlock::Unknown(value) => json_tokens(value),
    }
}

/// `value` as JSON text.
fn json_tokens(value: &impl Serialize) -> u64 {
    serde_json::to_string(value).map_or(0, |json| text_tokens(&json))
}

/// One token per CJK character, one per 4 bytes of anything else (rounded up).
fn text_tokens(text: &str) -> u64 {
    let (cjk, other_bytes) = text.chars().fold((0u64, 0u64), |(cjk, other), c| {
        if is_cjk(c) {
            (cjk + 1, other)
        } else {
            (cjk, other + c.len_utf8() as u64)
        }
    });
    cjk + other_bytes.div_ceil(4)
}

/// Han, kana, Hangul, Bopomofo, CJK symbols and punctuation, full-width forms: scripts whose
/// characters are about one token each.
fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x11FF
            | 0x2E80..=0x2FDF
            | 0x3000..=0x31FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7AF
            | 0xF900..=0xFAFF
            | 0xFF00..=0xFFEF
            | 0x20000..=0x323AF
    )
}

fn image_tokens(source: &ImageSource) -> u64 {
    let size = match source {
        ImageSource::Base64 { data, .. } => image_size(data),
        // The API downloads it; its size is not known here.
        ImageSource::Url { .. } => None,
    };
    size.map_or(MAX_IMAGE_TOKENS, |(width, height)| {
        image_tokens_for_size(width, height)
    })
}

/// What the API charges for an image of `width` x `height` (both at least 1).
fn image_tokens_for_size(width: u32, height: u32) -> u64 {
    let (width, height) = (f64::from(width), f64::from(height));
    let scale = (MAX_LONG_EDGE / width.max(height))
        .min((MAX_PIXELS / (width * height)).sqrt())
        .min(1.0);
    let pixels = (width * scale).round().max(1.0) * (height * scale).round().max(1.0);
    // At most MAX_PIXELS, so the cast cannot truncate.
    (pixels as u64)
        .div_ceil(PIXELS_PER_TOKEN)
        .min(MAX_IMAGE_TOKENS)
}

/// Bytes of an image read for its size: a JPEG's size comes after the segments before its
/// frame header, which are small once Parley has stripped the metadata.
const IMAGE_HEADER_BYTES: usize = 64 * 1024;

/// The pixel size in the header of a base64 image, without decoding more than its first
/// [`IMAGE_HEADER_BYTES`].
fn image_size(base64: &str) -> Option<(u32, u32)> {
    let chars = base64.len().min(IMAGE_HEADER_BYTES / 3 * 4);
    // Whole 4-character groups only; a group cut in two does not decode.
    let prefix = base64.as_bytes().get(..chars / 4 * 4)?;
    let bytes = BASE64.decode(prefix).ok()?;
    png_size(&bytes)
        .or_else(|| gif_size(&bytes))
        .or_else(|| webp_size(&bytes))
        .or_else(|| jpeg_size(&bytes))
        .filter(|(width, height)| *width > 0 && *height > 0)
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?).into())
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?).into())
}

fn le_u24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], 0]))
}

/// The IHDR chunk, which comes first.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let word = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    Some((word(16)?, word(20)?))
}

/// The logical screen size, right after the signature.
fn gif_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"GIF87a") && !bytes.starts_with(b"GIF89a") {
        return None;
    }
    Some((le_u16(bytes, 6)?, le_u16(bytes, 8)?))
}

/// The first chunk: `VP8X` (extended), `VP8L` (lossless) or `VP8 ` (lossy).
fn webp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(b"RIFF") || bytes.get(8..12)? != b"WEBP" {
        return None;
    }
    match bytes.get(12..16)? {
        b"VP8X" => Some((le_u24(bytes, 24)? + 1, le_u24(bytes, 27)? + 1)),
        b"VP8L" => {
            let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8 " => Some((le_u16(bytes, 26)? & 0x3FFF, le_u16(bytes, 28)? & 0x3FFF)),
        _ => None,
    }
}

/// The frame header (SOF0..SOF15 but DHT, JPG and DAC, which share the range), found by
/// walking the segments from the start.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Fill bytes before a marker.
            0xFF => at += 1,
            // Markers without a length.
            0x01 | 0xD0..=0xD9 => at += 2,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                // Length (2), precision (1), height (2), width (2).
                return Some((be_u16(bytes, at + 7)?, be_u16(bytes, at + 5)?));
            }
            _ => {
                let length = be_u16(bytes, at + 2)? as usize;
                if length < 2 {
                    return None;
                }
                at += 2 + length;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use parley_claude::{Message, SystemBlock, Tool};
    use serde_json::json;

    use super::*;

    fn request(messages: Vec<Message>) -> MessagesRequest {
        MessagesRequest {
            model: "claude-haiku-4-5-20251001".into(),
            max_tokens: 16,
            messages,
            ..Default::default()
        }
    }

    fn base64_image(width: u32, height: u32, format: image::ImageFormat) -> String {
        let mut bytes = Cursor::new(Vec::new());
        image::DynamicImage::new_rgb8(width, height)
            .write_to(&mut bytes, format)
            .unwrap();
        BASE64.encode(bytes.into_inner())
    }

    fn image_block(data: String) -> ContentBlock {
        ContentBlock::Image {
            source: ImageSource::Base64 {
                media_type: "image/png".into(),
                data,
            },
        }
    }

    #[test]
    fn text_costs_a_token_per_four_bytes_and_one_per_cjk_character() {
        assert_eq!(text_tokens(""), 0);
        assert_eq!(text_tokens("abcd"), 1);
        assert_eq!(text_tokens("abcde"), 2, "a started token counts");
        assert_eq!(text_tokens("你好世界"), 4);
        assert_eq!(text_tokens("こんにちは、"), 6, "kana and CJK punctuation");
        assert_eq!(text_tokens("안녕"), 2);
        assert_eq!(text_tokens("Hi 你好"), 1 + 2, "3 ASCII bytes round up to 1");
        assert_eq!(
            text_tokens("привет"),
            3,
            "Cyrillic is 2 bytes a letter: about 2 letters a token"
        );
    }

    #[test]
    fn each_message_adds_its_markers_and_the_system_prompt_counts() {
        let one = request(vec![Message::user("abcdefgh")]);
        assert_eq!(estimate_tokens(&one), TOKENS_PER_MESSAGE + 2);
        let two = request(vec![
            Message::user("abcd"),
            Message::assistant(vec![ContentBlock::text("abcd")]),
        ]);
        assert_eq!(estimate_tokens(&two), 2 * TOKENS_PER_MESSAGE + 2);
        let with_system = MessagesRequest {
            system: Some(SystemPrompt::Blocks(vec![
                SystemBlock::text("abcd"),
                SystemBlock::text("你好"),
            ])),
            ..one.clone()
        };
        assert_eq!(estimate_tokens(&with_system), estimate_tokens(&one) + 3);
    }

    #[test]
    fn tools_and_tool_calls_count_as_their_json_and_thinking_counts_nothing() {
        let input = json!({"city": "Paris"});
        let call = request(vec![Message::assistant(vec![
            ContentBlock::Thinking {
                thinking: "a long chain of thought".repeat(100),
                signature: "sig".into(),
            },
            ContentBlock::ToolUse {
                id: "t1".into(),
                name: "weather".into(),
                input: input.clone(),
            },
        ])]);
        assert_eq!(
            estimate_tokens(&call),
            TOKENS_PER_MESSAGE + text_tokens("weather") + text_tokens(&input.to_string())
        );
        let tool = Tool::Custom {
            name: "weather".into(),
            description: Some("The weather in a city".into()),
            input_schema: json!({"type": "object"}),
            cache_control: None,
        };
        let with_tools = MessagesRequest {
            tools: vec![tool.clone()],
            ..call.clone()
        };
        assert_eq!(
            estimate_tokens(&with_tools),
            estimate_tokens(&call) + json_tokens(&tool)
        );
    }

    #[test]
    fn a_tool_result_counts_its_text_and_its_images_as_what_they_are() {
        let png = base64_image(100, 100, image::ImageFormat::Png);
        let result = ContentBlock::ToolResult {
            tool_use_id: "t1".into(),
            content: Some(json!([
                {"type": "text", "text": "abcdefgh"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
            ])),
            is_error: None,
        };
        assert_eq!(block_tokens(&result), 2 + 14);
        let text = ContentBlock::ToolResult {
            tool_use_id: "t1".into(),
            content: Some(json!("abcd")),
            is_error: None,
        };
        assert_eq!(block_tokens(&text), 1);
    }

    #[test]
    fn an_image_costs_its_pixels_over_750_after_the_apis_downscaling() {
        for format in [
            image::ImageFormat::Png,
            image::ImageFormat::Jpeg,
            image::ImageFormat::Gif,
            image::ImageFormat::WebP,
        ] {
            let data = base64_image(200, 150, format);
            assert_eq!(image_size(&data), Some((200, 150)), "{format:?}");
            assert_eq!(
                block_tokens(&image_block(data)),
                40,
                "{format:?}: 30,000 pixels"
            );
        }
        assert_eq!(
            image_tokens_for_size(1092, 1092),
            1590,
            "the API's own example: about 1,590 tokens"
        );
        assert!(
            (1590..=MAX_IMAGE_TOKENS).contains(&image_tokens_for_size(8000, 8000)),
            "the API scales a large image down"
        );
        assert_eq!(
            image_tokens_for_size(4000, 400),
            (1568 * 157u64).div_ceil(750),
            "a long edge over 1568 px is scaled to 1568"
        );
        assert_eq!(image_tokens_for_size(1, 1), 1);
    }

    #[test]
    fn an_image_of_unknown_size_costs_a_full_size_image() {
        let url = ContentBlock::Image {
            source: ImageSource::Url {
                url: "https://example.com/cat.png".into(),
            },
        };
        assert_eq!(block_tokens(&url), MAX_IMAGE_TOKENS);
        for data in ["", "not base64!", "AAAAAAAAAAAA", &BASE64.encode(b"BM....")] {
            assert_eq!(
                block_tokens(&image_block(data.to_owned())),
                MAX_IMAGE_TOKENS,
                "{data}"
            );
        }
        // A JPEG whose segments before the frame header run past what is read.
        let mut jpeg = vec![0xFF, 0xD8];
        for _ in 0..2 {
            jpeg.extend_from_slice(&[0xFF, 0xE1, 0xFF, 0xFF]);
            jpeg.extend(std::iter::repeat_n(0, 0xFFFD));
        }
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8, 0, 10, 0, 10]);
        assert_eq!(image_size(&BASE64.encode(&jpeg)), None);
        let short = [&jpeg[..2], &jpeg[jpeg.len() - 9..]].concat();
        assert_eq!(
            image_size(&BASE64.encode(short)),
            Some((10, 10)),
            "the same frame header right after the start is read"
        );
    }

    #[test]
    fn a_large_image_is_sized_from_its_header_alone() {
        // Noise, so the PNG stays large and most of it is past what is read.
        let noise = image::RgbImage::from_fn(800, 600, |x, y| {
            let n = (x * 7919 + y * 104_729).wrapping_mul(2_654_435_761);
            image::Rgb([n as u8, (n >> 8) as u8, (n >> 16) as u8])
        });
        let mut bytes = Cursor::new(Vec::new());
        noise.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
        let data = BASE64.encode(bytes.into_inner());
        assert!(data.len() > 4 * IMAGE_HEADER_BYTES, "{}", data.len());
        assert_eq!(image_size(&data), Some((800, 600)));
        assert_eq!(
            block_tokens(&image_block(data)),
            640,
            "480,000 pixels over 750"
        );
    }
}
