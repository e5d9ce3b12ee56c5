import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TokenCounter } from "./tokenCounter";

type Pending = { request: string; resolve: (n: number) => void; reject: (e: unknown) => void };

/** A counter whose requests stay out until the test answers them, with their concurrency. */
function setup(delayMs = 300) {
  const pending: Pending[] = [];
  const requests: string[] = [];
  const results: (number | null)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const counter = new TokenCounter<string, number>({
    delayMs,
    count: (request) => {
      requests.push(request);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<number>((resolve, reject) => {
        pending.push({
          request,
          resolve: (n) => {
            inFlight--;
            resolve(n);
          },
          reject: (e) => {
            inFlight--;
            reject(e);
          },
        });
      });
    },
    onResult: (result) => results.push(result),
  });
  const type = (text: string) => counter.update(text, text);
  /** Answers the oldest pending request with its text's length, then lets promises settle. */
  const answer = async () => {
    const oldest = pending.shift()!;
    oldest.resolve(oldest.request.length);
    await vi.advanceTimersByTimeAsync(0);
  };
  return {
    counter,
    pending,
    requests,
    results,
    type,
    answer,
    maxInFlight: () => maxInFlight,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("TokenCounter", () => {
  it("asks nothing while typing goes on, then once 300 ms after the last change", async () => {
    const t = setup();
    let text = "";
    // Two seconds of typing, a key every 100 ms.
    for (let i = 0; i < 20; i++) {
      text += "a";
      t.type(text);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(t.requests, "no request while the user types faster than 300 ms").toEqual([]);
    await vi.advanceTimersByTimeAsync(199);
    expect(t.requests).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.requests).toEqual([text]);
  });

  it("makes at most one request per 300 ms of typing and never two at a time", async () => {
    const t = setup();
    let text = "";
    let elapsed = 0;
    // Slow typing (a key every 310 ms, just past the delay), with answers taking 500 ms.
    for (let i = 0; i < 30; i++) {
      text += "b";
      t.type(text);
      await vi.advanceTimersByTimeAsync(310);
      elapsed += 310;
      if (i % 2 === 1 && t.pending.length > 0) await t.answer();
    }
    expect(t.maxInFlight(), "never two requests out at once").toBe(1);
    expect(t.requests.length).toBeGreaterThan(0);
    expect(t.requests.length).toBeLessThanOrEqual(Math.floor(elapsed / 300));
  });

  it("a change while a request is out makes exactly one more request after it returns", async () => {
    const t = setup();
    t.type("one");
    await vi.advanceTimersByTimeAsync(300);
    expect(t.requests).toEqual(["one"]);
    t.type("one two");
    await vi.advanceTimersByTimeAsync(300);
    t.type("one two three");
    await vi.advanceTimersByTimeAsync(300);
    expect(t.requests, "waits for the request that is out").toEqual(["one"]);
    await t.answer();
    expect(t.results, "the answer for old content is not shown").toEqual([]);
    expect(t.requests).toEqual(["one", "one two three"]);
    await t.answer();
    expect(t.results).toEqual(["one two three".length]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.requests.length, "nothing more").toBe(2);
    expect(t.maxInFlight()).toBe(1);
  });

  it("a change that is still being typed when the request returns waits for the pause", async () => {
    const t = setup();
    t.type("x");
    await vi.advanceTimersByTimeAsync(300);
    t.type("xy");
    await vi.advanceTimersByTimeAsync(100);
    await t.answer();
    expect(t.requests).toEqual(["x"]);
    await vi.advanceTimersByTimeAsync(200);
    expect(t.requests).toEqual(["x", "xy"]);
  });

  it("content counted before is answered from the cache at once", async () => {
    const t = setup();
    t.type("hello");
    await vi.advanceTimersByTimeAsync(300);
    await t.answer();
    t.type("hello!");
    await vi.advanceTimersByTimeAsync(300);
    await t.answer();
    expect(t.results).toEqual([5, 6]);
    t.type("hello");
    expect(t.results.at(-1), "shown in the same task, no timer").toBe(5);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.requests).toEqual(["hello", "hello!"]);
  });

  it("a failed count shows nothing and is asked again only for new content", async () => {
    const t = setup();
    t.type("boom");
    await vi.advanceTimersByTimeAsync(300);
    t.pending.shift()!.reject({ kind: "network" });
    await vi.advanceTimersByTimeAsync(0);
    expect(t.results).toEqual([null]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.requests).toEqual(["boom"]);
  });

  it("clear and dispose stop a pending count", async () => {
    const t = setup();
    t.type("a");
    t.counter.clear();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.requests).toEqual([]);
    t.type("b");
    t.counter.dispose();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.requests).toEqual([]);
  });

  it("keeps a bounded cache", async () => {
    const results: (number | null)[] = [];
    let calls = 0;
    const counter = new TokenCounter<string, number>({
      cacheSize: 2,
      count: async (r) => {
        calls++;
        return r.length;
      },
      onResult: (r) => results.push(r),
    });
    for (const text of ["a", "bb", "ccc"]) {
      counter.update(text, text);
      await vi.advanceTimersByTimeAsync(300);
    }
    expect(calls).toBe(3);
    counter.update("a", "a");
    await vi.advanceTimersByTimeAsync(300);
    expect(calls, "the oldest answer was dropped").toBe(4);
    counter.update("ccc", "ccc");
    expect(calls, "a recent one is kept").toBe(4);
  });
});
