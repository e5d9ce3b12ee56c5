import { beforeEach, describe, expect, it, vi } from "vitest";
import { overwriteGetLocale } from "../paraglide/runtime";
import { errorNeedsSettings, errorTitle, isImageError, normalizeError } from "./errors";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (...args: unknown[]) => invoke(...args),
  Channel: class {
    id = 7;
    onmessage: (m: unknown) => void;
    constructor(handler: (m: unknown) => void) {
      this.onmessage = handler;
    }
  },
}));
vi.mock("@tauri-apps/plugin-opener", () => ({ openUrl: vi.fn() }));

describe("normalizeError", () => {
  it("keeps a backend ErrorPayload", () => {
    const payload = { kind: "rate_limit", message: "slow down", status: 429, requestId: "req_1" };
    expect(normalizeError(payload)).toEqual(payload);
  });

  it("fills missing optional fields with null", () => {
    expect(normalizeError({ kind: "network", message: "offline" })).toEqual({
      kind: "network",
      message: "offline",
      status: null,
      requestId: null,
    });
  });

  it("turns strings, Errors and odd values into kind internal", () => {
    expect(normalizeError("boom")).toEqual({
      kind: "internal",
      message: "boom",
      status: null,
      requestId: null,
    });
    expect(normalizeError(new TypeError("x is undefined")).message).toBe("x is undefined");
    expect(normalizeError(new TypeError("x")).kind).toBe("internal");
    expect(normalizeError(undefined).kind).toBe("internal");
    expect(normalizeError(null).kind).toBe("internal");
    expect(normalizeError(42).message).toBe("42");
  });

  it("keeps a kind this UI does not know yet (the backend decides kinds)", () => {
    expect(normalizeError({ kind: "image_refused", message: "m" })).toMatchObject({
      kind: "image_refused",
      message: "m",
    });
    expect(errorTitle("image_refused" as never)).toBe("Something went wrong");
  });

  it("an object without a kind is internal", () => {
    expect(normalizeError({ message: "odd" })).toMatchObject({ kind: "internal", message: "odd" });
  });
});

describe("errorTitle", () => {
  it("gives distinct human titles", () => {
    expect(errorTitle("rate_limit")).toBe("Rate limited");
    expect(errorTitle("overloaded")).toBe("Claude is overloaded");
    expect(errorTitle("auth")).toBe("Authentication failed");
    expect(errorTitle("network")).toBe("Network error");
    expect(errorTitle("stream_interrupted")).toBe("Connection lost mid-reply");
    expect(errorNeedsSettings("auth")).toBe(true);
    expect(errorNeedsSettings("overloaded")).toBe(false);
  });

  it("names a refused redirect and an oversized reply, and sends a redirect to the settings", () => {
    expect(errorTitle("redirect")).toBe("Redirect refused");
    expect(errorTitle("response_too_large")).toBe("Reply too large");
    expect(errorNeedsSettings("redirect")).toBe(true);
    expect(errorNeedsSettings("response_too_large")).toBe(false);
  });

  it("has a title for every image refusal kind", () => {
    const kinds = [
      "image_empty",
      "image_not_image",
      "image_corrupt",
      "image_unsupported",
      "image_too_many_pixels",
      "image_too_large",
      "image_too_many",
      "image_missing",
    ] as const;
    const titles = kinds.map((k) => errorTitle(k));
    expect(titles).not.toContain("Something went wrong");
    expect(new Set(titles).size).toBe(kinds.length);
    expect(kinds.every((k) => isImageError(k))).toBe(true);
    expect(isImageError("network")).toBe(false);
  });

  it("says the title in the UI language, never the raw kind", () => {
    overwriteGetLocale(() => "zh-CN");
    try {
      expect(errorTitle("rate_limit")).toBe("请求过于频繁");
      expect(errorTitle("image_refused" as never), "an unknown kind").toBe("出错了");
      expect(errorTitle("data_folder_in_use"), "product names stay").toBe("Parley 已在运行");
    } finally {
      overwriteGetLocale(() => "en");
    }
    expect(errorTitle("rate_limit")).toBe("Rate limited");
  });
});

describe("backend", () => {
  beforeEach(() => invoke.mockReset());

  it("rejects with a normalised ErrorPayload", async () => {
    const backend = await import("./backend");
    invoke.mockRejectedValueOnce("window.__TAURI_INTERNALS__ is undefined");
    await expect(backend.getSettings()).rejects.toEqual({
      kind: "internal",
      message: "window.__TAURI_INTERNALS__ is undefined",
      status: null,
      requestId: null,
    });
    const payload = { kind: "auth", message: "bad key", status: 401, requestId: "req_9" };
    invoke.mockRejectedValueOnce(payload);
    await expect(backend.testConnection()).rejects.toEqual(payload);
  });

  it("passes camelCase arguments and a Channel for streams", async () => {
    const backend = await import("./backend");
    invoke.mockResolvedValue(null);
    await backend.updateConversation("c1", null, "be brief");
    expect(invoke).toHaveBeenLastCalledWith("update_conversation", {
      id: "c1",
      model: null,
      systemPrompt: "be brief",
    });
    const onEvent = vi.fn();
    await backend.editAndResend("u1", "new text", onEvent);
    const [command, args] = invoke.mock.lastCall!;
    expect(command).toBe("edit_and_resend");
    expect(args.messageId).toBe("u1");
    expect(args.text).toBe("new text");
    args.onEvent.onmessage({ type: "usage" });
    expect(onEvent).toHaveBeenCalledWith({ type: "usage" });
  });
});

describe("backend images", () => {
  beforeEach(() => invoke.mockReset());

  it("sends pasted bytes as a raw body with the URI-encoded name in a header", async () => {
    const backend = await import("./backend");
    invoke.mockResolvedValue({ sha256: "x" });
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    await backend.prepareImageBytes("Bildschirmfoto 1.png", bytes);
    expect(invoke).toHaveBeenLastCalledWith("prepare_image_bytes", bytes, {
      headers: { "x-parley-name": "Bildschirmfoto%201.png" },
    });
    await backend.readImage("ab", "full");
    expect(invoke).toHaveBeenLastCalledWith("read_image", { sha256: "ab", variant: "full" });
    await backend.prepareImageFile("/tmp/a.png");
    expect(invoke).toHaveBeenLastCalledWith("prepare_image_file", { path: "/tmp/a.png" });
  });

  it("drag and drop does nothing without Tauri", async () => {
    const backend = await import("./backend");
    const g = globalThis as { window?: unknown };
    const had = "window" in g;
    const saved = g.window;
    g.window = {};
    try {
      const stop = await backend.onDragDrop(() => {});
      expect(typeof stop).toBe("function");
      stop();
      expect(invoke).not.toHaveBeenCalled();
    } finally {
      if (had) g.window = saved;
      else delete g.window;
    }
  });
});
