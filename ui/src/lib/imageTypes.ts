/**
 * TEMPORARY: the image types of docs/ipc-contract.md "Images (issue 3)", written by hand until the
 * Rust side regenerates `bindings.ts` with them. When it does, delete this file and import these
 * names from `./bindings` instead (every importer is listed in ui/README.md).
 */
import type {
  ErrorKind as BaseErrorKind,
  ErrorPayload as BaseErrorPayload,
  Settings as BaseSettings,
  SettingsView as BaseSettingsView,
} from "./bindings";

/** An image ready to send (already written to the image store). */
export type ImageDraft = {
  /** Hex of the encoded bytes; the id of the image from now on. */
  sha256: string;
  mediaType: "image/jpeg" | "image/png" | "image/gif" | "image/webp";
  /** As sent. */
  width: number;
  height: number;
  /** As the file had it (after EXIF orientation). */
  originalWidth: number;
  originalHeight: number;
  /** Encoded bytes (the base64 sent is ~4/3 of this, always < 5,242,880). */
  byteLen: number;
  /** `width * height / 750`, rounded up. */
  estimatedTokens: number;
  /** File name for display ("pasted image" for the clipboard). */
  name: string;
  /** `data:` URL, long edge <= 256 px. */
  thumbnail: string;
};

/** An image in the composer, in the order the user arranged them; `url` is https only. */
export type ComposerImage = { type: "stored"; sha256: string } | { type: "url"; url: string };

export type ImagePlacement = "beforeText" | "afterText";

export type SendRequest = {
  /** `null` starts a new conversation. */
  conversationId: string | null;
  text: string;
  model: string;
  systemPrompt: string | null;
  images: ComposerImage[];
  imagePlacement: ImagePlacement;
};

/** `imageFullResolution`: false keeps the long edge <= 1568 px and <= ~1.15 MP; true allows the API's limits. */
export type Settings = BaseSettings & { imageFullResolution: boolean };

export type SettingsView = Omit<BaseSettingsView, "settings"> & { settings: Settings };

/** `read_image` variants. */
export type ImageVariant = "thumbnail" | "full";

export type ImageErrorKind =
  | "image_empty"
  | "image_not_image"
  | "image_corrupt"
  | "image_unsupported"
  | "image_too_many_pixels"
  | "image_too_large"
  | "image_too_many"
  | "image_missing";

export type ErrorKind = BaseErrorKind | ImageErrorKind;

export type ErrorPayload = Omit<BaseErrorPayload, "kind"> & { kind: ErrorKind };
