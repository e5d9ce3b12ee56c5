import type { ErrorKind, ErrorPayload } from "./bindings";
import { m } from "../paraglide/messages";

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
  return {
    kind: "internal",
    message: message || m.app_error_unknown(),
    status: null,
    requestId: null,
  };
}

/** Titles by kind, as message functions so they are read in the UI language when shown. */
const TITLES: Partial<Record<ErrorKind, () => string>> = {
  invalid_request: m.app_error_invalid_request,
  auth: m.app_error_auth,
  permission: m.app_error_permission,
  not_found: m.app_error_not_found,
  request_too_large: m.app_error_request_too_large,
  rate_limit: m.app_error_rate_limit,
  api_error: m.app_error_api_error,
  overloaded: m.app_error_overloaded,
  network: m.app_error_network,
  stream_interrupted: m.app_error_stream_interrupted,
  bad_response: m.app_error_bad_response,
  cancelled: m.app_error_cancelled,
  redirect: m.app_error_redirect,
  response_too_large: m.app_error_response_too_large,
  no_api_key: m.app_error_no_api_key,
  keychain_unavailable: m.app_error_keychain_unavailable,
  keychain: m.app_error_keychain,
  database: m.app_error_database,
  invalid_input: m.app_error_invalid_input,
  missing: m.app_error_missing,
  internal: m.app_error_internal,
  image_empty: m.app_error_image_empty,
  image_not_image: m.app_error_image_not_image,
  image_corrupt: m.app_error_image_corrupt,
  image_unsupported: m.app_error_image_unsupported,
  image_too_many_pixels: m.app_error_image_too_many_pixels,
  image_too_large: m.app_error_image_too_large,
  image_too_many: m.app_error_image_too_many,
  image_missing: m.app_error_image_missing,
  data_folder_in_use: m.app_error_data_folder_in_use,
};

/** A short human title for an error kind; the UI never shows the raw kind as the title. */
export function errorTitle(kind: ErrorKind): string {
  return (TITLES[kind] ?? m.app_error_internal)();
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
