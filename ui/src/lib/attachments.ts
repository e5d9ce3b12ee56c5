/**
 * Composer attachments as pure data: the chip list, its transitions (a small reducer over
 * immutable arrays), the 20-image cap, image-URL detection and the `images` of a `SendRequest`.
 * The rune store `stores/composer.svelte.ts` holds the list and runs the IPC around these.
 */
import { m } from "../paraglide/messages";
import type { ComposerImage, ErrorPayload, ImageDraft } from "./bindings";

/** At most this many images per message in the composer (the API accepts 100 per request). */
export const MAX_IMAGES = 20;

export type AttachmentStatus = "encoding" | "ready" | "error";

export type Attachment = {
  /** Local id of the chip (not the image's hash: the same file may be attached twice). */
  id: number;
  status: AttachmentStatus;
  /** File name, "pasted image", or the file name of a URL. */
  name: string;
  /** Known once ready (from the draft or the URL's extension). */
  mediaType: string | null;
  /** A stored image once encoded. */
  draft: ImageDraft | null;
  /** An `https://` image URL (sent as a `url` source; never loaded by the webview). */
  url: string | null;
  /** Why the image was refused. */
  error: ErrorPayload | null;
};

/** Chips that will be (or may become) part of the message: refused ones do not count. */
export function activeCount(list: readonly Attachment[]): number {
  return list.filter((a) => a.status !== "error").length;
}

export function isEncoding(list: readonly Attachment[]): boolean {
  return list.some((a) => a.status === "encoding");
}

export function readyCount(list: readonly Attachment[]): number {
  return list.filter((a) => a.status === "ready").length;
}

export function tooManyError(name: string): ErrorPayload {
  return {
    kind: "image_too_many",
    message: m.attachment_too_many({ name, max: MAX_IMAGES }),
    status: null,
    requestId: null,
  };
}

function chip(id: number, name: string, fields: Partial<Attachment>): Attachment {
  return {
    id,
    name,
    status: "encoding",
    mediaType: null,
    draft: null,
    url: null,
    error: null,
    ...fields,
  };
}

/**
 * Adds a chip that waits for its encoding; over the cap it is added refused instead.
 * `accepted` tells the caller whether to start the encoding.
 */
export function addPending(
  list: readonly Attachment[],
  id: number,
  name: string,
): { list: Attachment[]; accepted: boolean } {
  if (activeCount(list) >= MAX_IMAGES) {
    return {
      list: [...list, chip(id, name, { status: "error", error: tooManyError(name) })],
      accepted: false,
    };
  }
  return { list: [...list, chip(id, name, {})], accepted: true };
}

/** Adds a refused chip (an image the backend refused before a chip existed). */
export function addRefused(
  list: readonly Attachment[],
  id: number,
  name: string,
  error: ErrorPayload,
): Attachment[] {
  return [...list, chip(id, name, { status: "error", error })];
}

/** Adds a ready `url` chip for an image URL found by `detectImageUrl`, or a refused one over the cap. */
export function addUrl(list: readonly Attachment[], id: number, image: ImageUrl): Attachment[] {
  if (activeCount(list) >= MAX_IMAGES) {
    return addRefused(list, id, image.file, tooManyError(image.file));
  }
  return [
    ...list,
    chip(id, image.file, { status: "ready", url: image.url, mediaType: image.mediaType }),
  ];
}

/** The encoding of chip `id` finished; a chip removed meanwhile stays removed. */
export function settle(list: readonly Attachment[], id: number, draft: ImageDraft): Attachment[] {
  return list.map((a) =>
    a.id === id
      ? {
          ...a,
          status: "ready",
          name: draft.name || a.name,
          mediaType: draft.mediaType,
          draft,
          error: null,
        }
      : a,
  );
}

/** The backend refused chip `id`. */
export function fail(list: readonly Attachment[], id: number, error: ErrorPayload): Attachment[] {
  return list.map((a) => (a.id === id ? { ...a, status: "error", error, draft: null } : a));
}

export function remove(list: readonly Attachment[], id: number): Attachment[] {
  return list.filter((a) => a.id !== id);
}

/** Moves chip `id` by `delta` places (-1 left, +1 right), clamped to the row. */
export function move(list: readonly Attachment[], id: number, delta: number): Attachment[] {
  const from = list.findIndex((a) => a.id === id);
  if (from < 0) return [...list];
  const to = Math.max(0, Math.min(list.length - 1, from + delta));
  if (to === from) return [...list];
  const out = [...list];
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item!);
  return out;
}

/** The `images` of a `SendRequest`: ready chips in the user's order; refused chips are not sent. */
export function composerImages(list: readonly Attachment[]): ComposerImage[] {
  const out: ComposerImage[] = [];
  for (const a of list) {
    if (a.status !== "ready") continue;
    if (a.draft) out.push({ type: "stored", sha256: a.draft.sha256 });
    else if (a.url) out.push({ type: "url", url: a.url });
  }
  return out;
}

/** Text, images or both; never while an image is still encoding. */
export function canSend(text: string, list: readonly Attachment[]): boolean {
  if (isEncoding(list)) return false;
  return text.trim().length > 0 || readyCount(list) > 0;
}

const MEDIA_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

/** The API media type for a file extension the API accepts, or null. */
export function mediaTypeFromPath(path: string): string | null {
  const match = /\.([A-Za-z0-9]+)$/.exec(path);
  return (match && MEDIA_TYPES[match[1]!.toLowerCase()]) ?? null;
}

export type ImageUrl = { url: string; mediaType: string; host: string; file: string };

/**
 * A pasted or dropped text that is exactly one `https://` URL whose path ends in .png, .jpg,
 * .jpeg, .gif or .webp; anything else (other text, http, credentials in the URL) is null.
 */
export function detectImageUrl(text: string): ImageUrl | null {
  const trimmed = text.trim();
  if (!trimmed || /\s/.test(trimmed) || !/^https:\/\//i.test(trimmed)) return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" || !url.hostname || url.username || url.password) return null;
  const mediaType = mediaTypeFromPath(url.pathname);
  if (!mediaType) return null;
  const last = url.pathname.split("/").pop() ?? "";
  let file = last;
  try {
    file = decodeURIComponent(last);
  } catch {
    // keep the raw segment
  }
  return { url: url.href, mediaType, host: url.hostname, file };
}

/** The last path segment, for a chip's name while the file is encoding. */
export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** "1568×1176". */
export function pixelSize(draft: Pick<ImageDraft, "width" | "height">): string {
  return `${draft.width}×${draft.height}`;
}
