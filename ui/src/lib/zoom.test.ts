import { describe, expect, it } from "vitest";
import { clampZoom, stepZoom } from "./zoom";

describe("text zoom", () => {
  it("steps between 50% and 200% and holds at the ends", () => {
    expect(stepZoom(100, 1)).toBe(110);
    expect(stepZoom(100, -1)).toBe(90);
    expect(stepZoom(200, 1)).toBe(200);
    expect(stepZoom(50, -1)).toBe(50);
  });

  it("reads a stored value as the nearest level, and garbage as 100%", () => {
    expect(clampZoom(133)).toBe(125);
    expect(clampZoom(999)).toBe(200);
    expect(clampZoom(Number.NaN)).toBe(100);
  });
});
