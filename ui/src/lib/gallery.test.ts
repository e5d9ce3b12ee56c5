import { describe, expect, test } from "vitest";
import { gridMove, imageKey, imageLabel } from "./gallery";

describe("gridMove", () => {
  // 10 items, 4 to a row:
  //  0 1 2 3
  //  4 5 6 7
  //  8 9
  const move = (key: string, from: number) => gridMove(key, from, 4, 10);

  test("left and right step in reading order and stop at the ends", () => {
    expect(move("ArrowRight", 3)).toBe(4);
    expect(move("ArrowLeft", 4)).toBe(3);
    expect(move("ArrowLeft", 0)).toBe(0);
    expect(move("ArrowRight", 9)).toBe(9);
  });

  test("up and down keep the column", () => {
    expect(move("ArrowDown", 1)).toBe(5);
    expect(move("ArrowUp", 5)).toBe(1);
    expect(move("ArrowUp", 2)).toBe(2);
  });

  test("down above a short last row lands on its last item; on the last row it stays", () => {
    expect(move("ArrowDown", 6)).toBe(9);
    expect(move("ArrowDown", 5)).toBe(9);
    expect(move("ArrowDown", 4)).toBe(8);
    expect(move("ArrowDown", 8)).toBe(8);
    expect(move("ArrowDown", 9)).toBe(9);
  });

  test("Home and End go to the first and last item", () => {
    expect(move("Home", 7)).toBe(0);
    expect(move("End", 2)).toBe(9);
  });

  test("other keys are not moves, and an empty grid has nowhere to go", () => {
    expect(move("Enter", 3)).toBeNull();
    expect(move("a", 3)).toBeNull();
    expect(gridMove("ArrowRight", 0, 4, 0)).toBeNull();
  });

  test("a single column (or a nonsense column count) moves one at a time", () => {
    expect(gridMove("ArrowDown", 2, 1, 5)).toBe(3);
    expect(gridMove("ArrowUp", 2, 0, 5)).toBe(1);
    expect(gridMove("ArrowDown", 4, 1, 5)).toBe(4);
  });
});

describe("labels", () => {
  test("say which conversation the image was sent in and when", () => {
    const createdAt = new Date(2026, 2, 4, 14, 5).getTime();
    // ICU versions differ on the space before "PM" (U+0020 or U+202F).
    expect(imageLabel({ conversationTitle: "Trip ideas", createdAt })).toMatch(
      /^Image in “Trip ideas”, sent Mar 4, 2026, 2:05\sPM$/,
    );
    expect(imageLabel({ conversationTitle: "  ", createdAt })).toMatch(/^Image in “Untitled”/);
  });

  test("one key per occurrence: the same image in two places keeps two keys", () => {
    expect(imageKey({ messageId: "m1", position: 0 })).not.toBe(
      imageKey({ messageId: "m1", position: 1 }),
    );
    expect(imageKey({ messageId: "m1", position: 0 })).not.toBe(
      imageKey({ messageId: "m2", position: 0 }),
    );
  });
});
