import { describe, expect, it } from "vitest";
import { ImeGuard } from "./ime";

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
