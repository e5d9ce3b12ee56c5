import { describe, expect, it, vi } from "vitest";

import { openExternal } from "./backend";
import { externalUrl } from "./links";

const openUrl = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn(), Channel: class {} }));
vi.mock("@tauri-apps/plugin-opener", () => ({
  openUrl: (...args: unknown[]) => openUrl(...args),
}));

describe("externalUrl", () => {
  it("passes http and https links through unchanged", () => {
    expect(externalUrl("https://example.com/a?b=c#d")).toBe("https://example.com/a?b=c#d");
    expect(externalUrl("HTTP://example.com")).toBe("http://example.com");
    expect(externalUrl("  https://example.com  ")).toBe("https://example.com");
  });

  it("keeps only the address of a mailto link", () => {
    expect(externalUrl("mailto:a@example.com")).toBe("mailto:a@example.com");
    expect(externalUrl("mailto:a@example.com?attach=/home/me/.ssh/id_ed25519")).toBe(
      "mailto:a@example.com",
    );
    expect(externalUrl("MAILTO:a@example.com?subject=x&body=y&cc=b@example.com")).toBe(
      "mailto:a@example.com",
    );
    expect(externalUrl("mailto:a@example.com#frag")).toBe("mailto:a@example.com");
    expect(externalUrl("mailto:a@example.com?body=line1\nline2")).toBe("mailto:a@example.com");
  });

  it("opens nothing for a mailto link with no address", () => {
    expect(externalUrl("mailto:?to=a@example.com&attach=/etc/passwd")).toBeNull();
    expect(externalUrl("mailto:")).toBeNull();
  });

  it("opens nothing for any other scheme", () => {
    for (const href of [
      "javascript:alert(1)",
      "file:///etc/passwd",
      "data:text/html,<b>x</b>",
      "tauri://localhost/",
      "ssh://example.com",
      "/relative/path",
      "",
    ]) {
      expect(externalUrl(href), href).toBeNull();
    }
  });
});

describe("openExternal", () => {
  it("hands the opener a mailto link without its query, and nothing for other schemes", async () => {
    openUrl.mockClear();
    await openExternal("mailto:a@example.com?attach=/etc/passwd");
    await openExternal("javascript:alert(1)");
    await openExternal("https://example.com/?q=1");
    expect(openUrl.mock.calls).toEqual([["mailto:a@example.com"], ["https://example.com/?q=1"]]);
  });
});
