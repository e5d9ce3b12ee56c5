import { describe, expect, it } from "vitest";
// @vitest-environment jsdom
import { ImeGuard, imeEnterGuard } from "./ime";

function guard() {
  let now = 1000;
  const ime = new ImeGuard(() => now, 50);
  return { ime, advance: (ms: number) => (now += ms) };
}

const enter = { key: "Enter" };

describe("ImeGuard", () => {
  it("plain Enter sends", () => {
    expect(guard().ime.shouldSend(enter)).toBe(true);
  });

  it("Shift/Ctrl/Alt/Meta+Enter and other keys do not send", () => {
    const { ime } = guard();
    expect(ime.shouldSend({ ...enter, shiftKey: true })).toBe(false);
    expect(ime.shouldSend({ ...enter, ctrlKey: true })).toBe(false);
    expect(ime.shouldSend({ ...enter, altKey: true })).toBe(false);
    expect(ime.shouldSend({ ...enter, metaKey: true })).toBe(false);
    expect(ime.shouldSend({ key: "a" })).toBe(false);
  });

  it("Enter with isComposing never sends", () => {
    expect(guard().ime.shouldSend({ ...enter, isComposing: true })).toBe(false);
  });

  it("keyCode 229 (IME processing) never sends", () => {
    expect(guard().ime.shouldSend({ ...enter, keyCode: 229 })).toBe(false);
  });

  it("between compositionstart and compositionend Enter does not send", () => {
    const { ime } = guard();
    ime.compositionStart();
    expect(ime.composing).toBe(true);
    expect(ime.shouldSend(enter)).toBe(false);
  });

  it("ignores the Enter WebKit sends right after compositionend, then sends again", () => {
    const { ime, advance } = guard();
    ime.compositionStart();
    ime.compositionEnd();
    expect(ime.shouldSend({ ...enter, isComposing: false })).toBe(false);
    advance(10);
    expect(ime.shouldSend(enter)).toBe(false);
    advance(100);
    expect(ime.shouldSend(enter)).toBe(true);
  });
});

describe("imeEnterGuard", () => {
  function field() {
    let now = 1000;
    const wrap = document.createElement("div");
    const input = document.createElement("input");
    wrap.append(input);
    const seen: string[] = [];
    input.addEventListener("keydown", (e) => seen.push(e.key));
    const action = imeEnterGuard(wrap, new ImeGuard(() => now, 50));
    const key = (init: KeyboardEventInit) => {
      const event = new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init });
      input.dispatchEvent(event);
      return event;
    };
    return { input, seen, key, action, advance: (ms: number) => (now += ms) };
  }

  it("lets a plain Enter reach the field's own handler", () => {
    const { seen, key } = field();
    key({ key: "Enter" });
    expect(seen).toEqual(["Enter"]);
  });

  it("keeps the Enter that commits an input method's text from the field (WebKit order too)", () => {
    const { input, seen, key, advance } = field();
    input.dispatchEvent(new CompositionEvent("compositionstart", { bubbles: true }));
    key({ key: "Enter", isComposing: true });
    input.dispatchEvent(new CompositionEvent("compositionend", { bubbles: true }));
    const late = key({ key: "Enter" });
    expect(seen).toEqual([]);
    expect(late.defaultPrevented, "no implicit form submission after compositionend").toBe(true);
    advance(100);
    key({ key: "Enter" });
    expect(seen).toEqual(["Enter"]);
  });

  it("stops listening when destroyed", () => {
    const { input, seen, key, action } = field();
    action.destroy();
    input.dispatchEvent(new CompositionEvent("compositionstart", { bubbles: true }));
    key({ key: "Enter" });
    expect(seen).toEqual(["Enter"]);
  });
});
