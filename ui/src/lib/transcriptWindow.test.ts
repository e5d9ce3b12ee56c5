import { describe, expect, it } from "vitest";
import { firstShown, INITIAL } from "./transcriptWindow";
import { messageView } from "./testing";

const text = (id: string, body: string) =>
  messageView({ id, blocks: [{ type: "text", text: body }] });
/** 20 messages, each `body`. */
const conversation = (body: string) => Array.from({ length: 20 }, (_, i) => text(`m${i}`, body));
/** A view 760 px wide (95 characters a line) and 720 px high (30 lines). */
const view = { width: 760, height: 720 };

describe("firstShown", () => {
  it("takes the newest messages whose lines fill the view, at least two", () => {
    // 4 + 10 lines each: three fill 30 lines.
    expect(firstShown(conversation("x".repeat(950)), view)).toBe(3);
    // One message taller than the view: still a question and its answer.
    expect(firstShown(conversation("x".repeat(95 * 40)), view)).toBe(2);
  });

  it("counts each source line, a blank line as half", () => {
    // 4 + 10 one-word lines: three messages; with blank lines between them, 4 + 14.5: two.
    expect(firstShown(conversation(Array(10).fill("word").join("\n")), view)).toBe(3);
    expect(firstShown(conversation(Array(10).fill("word").join("\n\n")), view)).toBe(2);
  });

  it("counts an image or a tool call as a few lines", () => {
    const image = messageView({
      id: "img",
      blocks: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "" } }],
    });
    // 4 + 6 lines each: three fill 30 lines.
    expect(firstShown(Array(10).fill(image), view)).toBe(3);
  });

  it("renders the whole window when the messages fall short or the view has no size yet", () => {
    // Five of 4 + 1 lines: 25 of 30.
    expect(firstShown(conversation("hi").slice(0, 5), view)).toBe(INITIAL);
    expect(firstShown(conversation("hi"), view)).toBe(6);
    expect(firstShown(conversation("x".repeat(5000)).slice(0, 1), view)).toBe(INITIAL);
    expect(firstShown(conversation("x".repeat(5000)), { width: 0, height: 0 })).toBe(INITIAL);
  });
});
