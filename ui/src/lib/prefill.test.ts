import { describe, expect, it } from "vitest";
import { splitPrefill } from "./prefill";

describe("splitPrefill", () => {
  it("marks the start the user wrote; the reply goes on in the same line", () => {
    expect(splitPrefill("The answer is 42.", "The answer is")).toEqual({
      kind: "split",
      head: "The answer is",
      rest: " 42.",
      inline: true,
      space: true,
    });
    expect(splitPrefill('{"a": 1}', "{")).toEqual({
      kind: "split",
      head: "{",
      rest: '"a": 1}',
      inline: true,
      space: false,
    });
  });

  it("a prefill ending a line leaves the rest to start its own block", () => {
    expect(splitPrefill("Steps:\n1. One", "Steps:\n")).toMatchObject({
      head: "Steps:\n",
      rest: "1. One",
      inline: false,
    });
    expect(splitPrefill("Steps:\n\n1. One", "Steps:")).toMatchObject({ inline: false });
  });

  it("finds a prefill sent without its trailing whitespace", () => {
    expect(splitPrefill("Sure,\nhere", "Sure, ")).toMatchObject({ head: "Sure,", rest: "\nhere" });
    expect(splitPrefill("Sure, here", "Sure, ")).toMatchObject({ head: "Sure, ", rest: "here" });
  });

  it("leaves a code fence whole", () => {
    expect(splitPrefill("```json\n{}\n```", "```json\n")).toEqual({ kind: "whole" });
  });

  it("is nothing without a prefill or when the text does not start with it", () => {
    expect(splitPrefill("Hello", null)).toBeNull();
    expect(splitPrefill("Hello", "")).toBeNull();
    expect(splitPrefill("Hello", "Bye")).toBeNull();
  });
});
