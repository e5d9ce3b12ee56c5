/**
 * Which links leave the app, and in what form. The webview never navigates (Rust refuses any page
 * that is not the app's own); a link is handed to the system's opener instead, and only these:
 *
 * - `https:` and `http:` as they are;
 * - `mailto:` with the address only. A model can write `mailto:` links, and a query string can
 *   prefill a message's body, copy other people in, or (in some mail clients) attach local files
 *   (`?attach=/home/me/.ssh/id_ed25519`); a reader clicking "email this address" expects none of
 *   that.
 *
 * Everything else (`javascript:`, `file:`, `data:`, custom schemes) opens nothing. The opener's
 * capability (`src-tauri/capabilities/default.json`) allows the same three schemes and refuses a
 * `mailto:` with a query, so a link that got past this still could not open anything else.
 */
export function externalUrl(href: string): string | null {
  // The scheme in lower case: the capability's patterns are case-sensitive.
  const url = href.trim().replace(/^[a-z]+:/i, (scheme) => scheme.toLowerCase());
  if (url.startsWith("https:") || url.startsWith("http:")) return url;
  if (url.startsWith("mailto:")) {
    const address = url.replace(/[?#].*$/s, "");
    return address.length > "mailto:".length ? address : null;
  }
  return null;
}
