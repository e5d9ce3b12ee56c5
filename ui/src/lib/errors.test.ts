import { beforeEach, describe, expect, it, vi } from "vitest";
import { errorNeedsSettings, errorTitle, normalizeError } from "./errors";

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
