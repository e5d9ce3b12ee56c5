import type { ErrorKind, ErrorPayload } from "./bindings";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * Turns whatever a command rejected with into an `ErrorPayload`.
 *
 * The Rust side always rejects with an `ErrorPayload`, but a missing IPC bridge, a bug in a
 * handler or a plugin can reject with a string or an `Error`; those become kind "internal" so the
 * UI has exactly one error shape to branch on.
 */
export function normalizeError(error: unknown): ErrorPayload {
  // The backend is the authority on kinds: a kind this UI does not know yet is kept as is.
  if (isRecord(error) && typeof error.kind === "string" && error.kind) {
    return {
      kind: error.kind as ErrorKind,
      message: typeof error.message === "string" ? error.message : String(error.kind),
      status: typeof error.status === "number" ? error.status : null,
      requestId: typeof error.requestId === "string" ? error.requestId : null,
    };
  }
  let message: string;
  if (error instanceof Error) {
    message = error.message;
  } else if (typeof error === "string") {
    message = error;
  } else if (isRecord(error) && typeof error.message === "string") {
    message = error.message;
  } else {
    try {
      message = JSON.stringify(error) ?? String(error);
    } catch {
      message = String(error);
    }
  }
  return { kind: "internal", message: message || "Unknown error", status: null, requestId: null };
}

const TITLES: Partial<Record<ErrorKind, string>> = {
  invalid_request: "Invalid request",
  auth: "Authentication failed",
  permission: "Permission denied",
  not_found: "Not found",
  request_too_large: "Request too large",
  rate_limit: "Rate limited",
  api_error: "Claude API error",
  overloaded: "Claude is overloaded",
  network: "Network error",
  stream_interrupted: "Connection lost mid-reply",
  bad_response: "Unexpected response from the server",
  cancelled: "Cancelled",
  redirect: "Redirect refused",
  response_too_large: "Reply too large",
  no_api_key: "No API key",
  keychain_unavailable: "System keychain unavailable",
  keychain: "Keychain error",
  database: "Database error",
  invalid_input: "Invalid input",
  missing: "Not found",
  internal: "Something went wrong",
  image_empty: "Empty file",
  image_not_image: "Not an image",
  image_corrupt: "Damaged image",
  image_unsupported: "Unsupported image format",
  image_too_many_pixels: "Image has too many pixels",
  image_too_large: "Image too large",
  image_too_many: "Too many images",
  image_missing: "Image missing",
  data_folder_in_use: "Parley is already running",
};

/** A short human title for an error kind; the UI never shows the raw kind as the title. */
export function errorTitle(kind: ErrorKind): string {
  return TITLES[kind] ?? "Something went wrong";
}

/** Kinds that refuse one image; their message names the file and the reason. */
export function isImageError(kind: ErrorKind): boolean {
  return kind.startsWith("image_");
}

/**
 * Kinds the user fixes in the settings dialog (key, base URL, auth header style). A redirect is
 * one: Parley never follows it, so the base URL must name where the API really is.
 */
export function errorNeedsSettings(kind: ErrorKind): boolean {
  return (
    kind === "auth" ||
    kind === "redirect" ||
    kind === "permission" ||
    kind === "no_api_key" ||
    kind === "keychain_unavailable"
  );
}
