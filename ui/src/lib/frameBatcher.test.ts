import { afterEach, describe, expect, it, vi } from "vitest";
import { animationFrameScheduler, FrameBatcher, type Scheduler } from "./frameBatcher";

function manualScheduler() {
  const pending: (() => void)[] = [];
  const scheduler: Scheduler = {
    request(run) {
      pending.push(run);
      return () => pending.splice(pending.indexOf(run), 1);
    },
  };
  return { scheduler, pending, frame: () => pending.splice(0).forEach((run) => run()) };
}

describe("FrameBatcher", () => {
  it("applies everything pushed before a frame once, in order", () => {
    const { scheduler, pending, frame } = manualScheduler();
    const applied: number[][] = [];
    const batcher = new FrameBatcher<number>((items) => applied.push(items), scheduler);
    batcher.push(1);
    batcher.push(2);
    batcher.push(3);
    expect(pending).toHaveLength(1);
    expect(applied).toEqual([]);
    frame();
    expect(applied).toEqual([[1, 2, 3]]);
    batcher.push(4);
    expect(pending).toHaveLength(1);
    frame();
    expect(applied).toEqual([[1, 2, 3], [4]]);
  });

  it("flush applies now and cancels the scheduled frame", () => {
    const { scheduler, pending } = manualScheduler();
    const apply = vi.fn();
    const batcher = new FrameBatcher<string>(apply, scheduler);
    batcher.push("a");
    batcher.flush();
    expect(apply).toHaveBeenCalledWith(["a"]);
    expect(pending).toHaveLength(0);
    batcher.flush();
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it("clear drops queued items", () => {
    const { scheduler, frame } = manualScheduler();
    const apply = vi.fn();
    const batcher = new FrameBatcher<string>(apply, scheduler);
    batcher.push("a");
    batcher.clear();
    frame();
    expect(apply).not.toHaveBeenCalled();
    expect(batcher.pending).toBe(0);
  });
});

describe("animationFrameScheduler", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("runs on the next animation frame", () => {
    let frame: (() => void) | null = null;
    vi.stubGlobal("requestAnimationFrame", (cb: () => void) => ((frame = cb), 1));
    vi.stubGlobal("cancelAnimationFrame", () => {});
    const run = vi.fn();
    animationFrameScheduler.request(run);
    frame!();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it("falls back to a timer when no frame comes (hidden window), and runs once", () => {
    vi.useFakeTimers();
    vi.stubGlobal("requestAnimationFrame", () => 1);
    vi.stubGlobal("cancelAnimationFrame", () => {});
    const run = vi.fn();
    animationFrameScheduler.request(run);
    vi.advanceTimersByTime(300);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
