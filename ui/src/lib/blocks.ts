import type { ContentBlock, MessageView } from "./bindings";

// `ContentBlock` includes an open `{ type: string }` variant for block types this UI does not
// know yet, which defeats TypeScript's narrowing on `type`; these guards narrow explicitly.

export type TextBlock = { type: "text"; text: string };
export type ThinkingBlock = { type: "thinking"; thinking: string; signature: string };
export type RedactedThinkingBlock = { type: "redacted_thinking"; data: string };
export type ToolUseBlock = { type: "tool_use"; id: string; name: string; input: unknown };
export type ToolResultBlock = {
  type: "tool_result";
  tool_use_id: string;
  content?: unknown;
  is_error?: boolean;
};
export type ImageSource =
  { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
export type ImageBlock = { type: "image"; source: ImageSource };

/**
 * The name a reply's text block is rendered under (`markdownCache`, the render kept across
 * launches): its message and its index among the message's blocks.
 */
export function renderKey(messageId: string, blockIndex: number): string {
  return `${messageId}:${blockIndex}`;
}

export function isText(block: ContentBlock): block is TextBlock {
  return block.type === "text" && typeof (block as TextBlock).text === "string";
}

export function isThinking(block: ContentBlock): block is ThinkingBlock {
  return block.type === "thinking";
}

export function isRedactedThinking(block: ContentBlock): block is RedactedThinkingBlock {
  return block.type === "redacted_thinking";
}

export function isToolUse(block: ContentBlock): block is ToolUseBlock {
  return block.type === "tool_use";
}

export function isToolResult(block: ContentBlock): block is ToolResultBlock {
  return block.type === "tool_result";
}

export function isImage(block: ContentBlock): block is ImageBlock {
  return block.type === "image" && typeof (block as ImageBlock).source === "object";
}

const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp)$/;

/** A URL an `<img>` may load for an image block, or null when the source is not acceptable. */
export function imageUrl(source: ImageSource | null | undefined): string | null {
  if (!source) return null;
  if (source.type === "base64") {
    if (!IMAGE_TYPES.test(source.media_type) || !/^[A-Za-z0-9+/=\s]*$/.test(source.data)) {
      return null;
    }
    return `data:${source.media_type};base64,${source.data}`;
  }
  if (source.type === "url" && /^https:\/\//i.test(source.url)) return source.url;
  return null;
}

/** Rust's internal URL for a stored image: `parley-attachment:<sha256>`; it never leaves the app. */
const STORED = /^parley-attachment:([0-9a-f]{64})$/i;

export type ImageView =
  | { kind: "stored"; sha256: string }
  | { kind: "data"; url: string; mediaType: string }
  | { kind: "remote"; url: string; mediaType: string | null; host: string; file: string }
  | { kind: "unsupported" };

/**
 * How the transcript shows an image block: stored images load their thumbnail over IPC, base64
 * images are `data:` URLs, and `https://` images are only linked (the CSP forbids remote images).
 */
export function imageView(source: ImageSource | null | undefined): ImageView {
  if (source?.type === "url" && typeof source.url === "string") {
    const stored = STORED.exec(source.url);
    if (stored) return { kind: "stored", sha256: stored[1]!.toLowerCase() };
    if (/^https:\/\//i.test(source.url)) {
      try {
        const url = new URL(source.url);
        const file = url.pathname.split("/").pop() || url.hostname;
        const ext = /\.(png|jpe?g|gif|webp)$/i.exec(url.pathname)?.[1]?.toLowerCase();
        const mediaType = ext ? `image/${ext === "jpg" ? "jpeg" : ext}` : null;
        return { kind: "remote", url: url.href, mediaType, host: url.hostname, file };
      } catch {
        return { kind: "unsupported" };
      }
    }
    return { kind: "unsupported" };
  }
  if (source?.type === "base64") {
    const url = imageUrl(source);
    if (url) return { kind: "data", url, mediaType: source.media_type };
  }
  return { kind: "unsupported" };
}

/** The plain text of a message, as copied to the clipboard. */
export function messageText(message: Pick<MessageView, "blocks">): string {
  return message.blocks
    .filter((b): b is TextBlock => !!b && isText(b))
    .map((b) => b.text)
    .join("\n\n");
}

/** Pretty JSON for tool input/results; falls back to the raw string for partial JSON. */
export function prettyJson(value: unknown): string {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
