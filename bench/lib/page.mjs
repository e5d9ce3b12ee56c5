// Code that runs inside the app's page (through WebDriver "execute async script"): every timing
// of the UI is taken there, with performance.now(), so WebDriver round trips are not measured.
//
// Each function is self-contained (it is sent as source text) and returns a promise of a
// JSON-serialisable value.

/** Runs `fn(...args)` in the page and returns its result; throws what the page threw. */
export async function inPage(driver, fn, args = []) {
  const script =
    `const done = arguments[arguments.length - 1];\n` +
    `(${fn.toString()}).apply(null, Array.prototype.slice.call(arguments, 0, -1))\n` +
    `  .then((value) => done({ ok: true, value }),\n` +
    `        (error) => done({ ok: false, error: String((error && error.stack) || error) }));`;
  // Long scripts (a whole streamed reply) need more than the client's default request time-out.
  const result = await driver.cmd("POST", "/execute/async", { script, args }, { timeoutMs: 900_000 });
  if (!result || !result.ok) throw new Error(`in page: ${result?.error ?? "no result"}`);
  return result.value;
}

/**
 * Waits (at most `limitMs`) until `selector` matches. Resolves to null on time-out, else to the
 * wall-clock time (`epochMs`, comparable with node's Date.now()) after the first frame that
 * shows it, and whether it was already there when this script started (then `epochMs` is only
 * an upper bound, unless the page recorded its own first paint: `ownMark`).
 */
export async function pageWaitForSelector(selector, limitMs) {
  const info = (already) => {
    const list = document.querySelector('[data-testid="conversation-list"]');
    return {
      epochMs: Date.now(),
      already,
      timeOrigin: performance.timeOrigin,
      sincePageStartMs: performance.now(),
      href: location.href,
      matches: document.querySelectorAll(selector).length,
      items: document.querySelectorAll('[data-testid="conversation-item"]').length,
      // The number of rows in the list (a virtual list renders only the visible ones).
      listCount: list && list.hasAttribute("data-count") ? Number(list.getAttribute("data-count")) : null,
      // Where the page's time went, in ms since its navigation start: the app's marks
      // (main.ts, conversations.svelte.ts) and DOMContentLoaded. (Resource timing is left out:
      // WebKitGTK records none for the app's own scheme.)
      timeline: {
        ...Object.fromEntries(
          performance
            .getEntriesByType("mark")
            .filter((mark) => mark.name.startsWith("parley:start:"))
            .map((mark) => [mark.name.slice("parley:start:".length), Math.round(mark.startTime)]),
        ),
        domContentLoaded: Math.round(
          performance.getEntriesByType("navigation")[0]?.domContentLoadedEventEnd ?? -1,
        ),
      },
    };
  };
  if (document.querySelector(selector)) {
    // There before this script started: a page that records its own first paint (the bare
    // Tauri app's shown.js: null until that frame) gives the exact time, else it is only an
    // upper bound.
    if (!("__benchShownAtEpochMs" in window)) return info(true);
    const deadline = Date.now() + limitMs;
    while (typeof window.__benchShownAtEpochMs !== "number") {
      if (Date.now() > deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { ...info(true), epochMs: window.__benchShownAtEpochMs, ownMark: true };
  }
  return await new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (document.querySelector(selector)) {
        observer.disconnect();
        clearTimeout(timer);
        // Rendered = in the DOM and through the next frame (layout and paint).
        requestAnimationFrame(() => setTimeout(() => resolve(info(false)), 0));
      }
    });
    observer.observe(document, { childList: true, subtree: true, attributes: true });
    const timer = setTimeout(() => {
      observer.disconnect();
      resolve(null);
    }, limitMs);
  });
}

/**
 * Types `text` into the composer, sends it, and resolves when the new assistant message leaves
 * `streaming` (or after `timeoutMs`). With `recordFrames`, a requestAnimationFrame recorder runs
 * from before the send until one frame after the end, and the frame gaps inside the stream are
 * summarised.
 */
export async function pageSendAndWait(text, timeoutMs, recordFrames) {
  const q = (selector) => document.querySelector(selector);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const assistants = () =>
    document.querySelectorAll('[data-testid="message"][data-role="assistant"]');
  const known = new Set([...assistants()].map((el) => el.getAttribute("data-id")));

  const input = q('[data-testid="composer-input"]');
  if (!input) throw new Error("no composer-input in the page");
  input.focus();
  const proto = Object.getPrototypeOf(input);
  const setter = Object.getOwnPropertyDescriptor(proto, "value")?.set;
  if (setter) setter.call(input, text);
  else input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));

  let send = null;
  for (let i = 0; i < 200; i++) {
    send = q('[data-testid="composer-send"]');
    if (send && !send.disabled) break;
    await sleep(10);
  }

  let recorder = null;
  // The app's own animation-frame work (the frame batcher applying events, Svelte's flush in
  // the microtasks after it), and the style and layout it leaves, forced right after it (the
  // engine would do it before painting that frame anyway): what a frame costs the page, apart
  // from painting. Measured while frames are recorded.
  const work = { script: [], layout: [] };
  const realRaf = window.requestAnimationFrame;
  if (recordFrames) {
    window.requestAnimationFrame = (cb) =>
      realRaf.call(window, (ts) => {
        const t0 = performance.now();
        cb(ts);
        queueMicrotask(() =>
          queueMicrotask(() => {
            const t1 = performance.now();
            void document.body.offsetHeight;
            work.script.push(t1 - t0);
            work.layout.push(performance.now() - t1);
          }),
        );
      });
    recorder = { frames: [], running: true, last: performance.now() };
    const tick = () => {
      const now = performance.now();
      recorder.frames.push([now, now - recorder.last]);
      recorder.last = now;
      if (recorder.running) realRaf.call(window, tick);
    };
    realRaf.call(window, tick);
    for (let i = 0; i < 10; i++) await nextFrame();
    work.script.length = 0;
    work.layout.length = 0;
  }

  const finished = () => {
    const list = assistants();
    const el = list[list.length - 1];
    if (!el || known.has(el.getAttribute("data-id"))) return null;
    const status = el.getAttribute("data-status");
    return status && status !== "streaming" ? { el, status } : null;
  };
  let observer;
  const ended = new Promise((resolve) => {
    observer = new MutationObserver(() => {
      const found = finished();
      if (found) resolve({ ...found, t1: performance.now() });
    });
    observer.observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["data-status"],
    });
    setTimeout(() => resolve({ el: null, status: "timeout", t1: performance.now() }), timeoutMs);
  });

  const t0 = performance.now();
  if (send && !send.disabled) {
    send.click();
  } else {
    const enter = { key: "Enter", code: "Enter", keyCode: 13, which: 13, bubbles: true, cancelable: true };
    input.dispatchEvent(new KeyboardEvent("keydown", enter));
  }
  const end = await ended;
  observer.disconnect();

  const result = {
    status: end.status,
    ms: end.t1 - t0,
    sentWith: send && !send.disabled ? "click" : "enter",
  };
  if (end.el) {
    const usage = end.el.querySelector('[data-testid="message-usage"]');
    const content = end.el.querySelector('[data-testid="message-content"]');
    const error = end.el.querySelector('[data-testid="message-error"]');
    result.outputTokens = usage ? Number(usage.getAttribute("data-output-tokens")) : null;
    result.contentChars = content ? content.textContent.length : null;
    result.errorKind = error ? error.getAttribute("data-error-kind") : null;
  }
  if (recorder) {
    await nextFrame();
    await nextFrame();
    recorder.running = false;
    const inside = recorder.frames.filter(([at, gap]) => at > t0 && at - gap < end.t1);
    const gaps = inside.map(([, gap]) => gap).sort((a, b) => a - b);
    window.requestAnimationFrame = realRaf;
    const summary = (values) => {
      const sorted = [...values].sort((a, b) => a - b);
      return {
        callbacks: sorted.length,
        meanMs: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null,
        p99Ms: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : null,
        maxMs: sorted.length ? sorted[sorted.length - 1] : null,
      };
    };
    result.work = { script: summary(work.script), layout: summary(work.layout) };
    result.frames = {
      count: gaps.length,
      maxGapMs: gaps.length ? gaps[gaps.length - 1] : null,
      p99GapMs: gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.99))] : null,
      medianGapMs: gaps.length ? gaps[Math.floor(gaps.length / 2)] : null,
      over50ms: gaps.filter((g) => g > 50).length,
    };
  }
  return result;
}

/** Records requestAnimationFrame gaps for `durationMs` while nothing happens. */
export async function pageIdleFrames(durationMs) {
  const frames = [];
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    frames.push([now, now - last]);
    last = now;
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  const t1 = performance.now();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  running = false;
  const gaps = frames
    .filter(([at, gap]) => at > t0 && at - gap < t1)
    .map(([, gap]) => gap)
    .sort((a, b) => a - b);
  return {
    ms: t1 - t0,
    count: gaps.length,
    maxGapMs: gaps.length ? gaps[gaps.length - 1] : null,
    p99GapMs: gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.99))] : null,
    medianGapMs: gaps.length ? gaps[Math.floor(gaps.length / 2)] : null,
    over50ms: gaps.filter((g) => g > 50).length,
  };
}

/** Opens the conversation `id` from the sidebar and resolves once its messages are shown. */
export async function pageOpenConversation(id, timeoutMs) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const deadline = performance.now() + timeoutMs;
  let item = null;
  while (!item && performance.now() < deadline) {
    item = document.querySelector(`[data-testid="conversation-item"][data-id="${id}"]`);
    if (!item) await sleep(20);
  }
  if (!item) throw new Error(`conversation-item ${id} not found`);
  const t0 = performance.now();
  // Click where a person would: the element at the item's centre.
  const rect = item.getBoundingClientRect();
  const target = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
  (target && item.contains(target) ? target : item).click();
  while (performance.now() < deadline) {
    const messages = document.querySelectorAll('[data-testid="message"]').length;
    if (messages > 0 && item.getAttribute("data-active") !== "false") {
      return { ms: performance.now() - t0, messagesInDom: messages };
    }
    await sleep(10);
  }
  throw new Error("the conversation did not open");
}

/** Starts a new conversation ("New conversation") and resolves once the transcript is empty. */
export async function pageNewConversation(timeoutMs) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const button = document.querySelector('[data-testid="conversation-new"]');
  if (!button) throw new Error("no conversation-new button");
  button.click();
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (document.querySelectorAll('[data-testid="message"]').length === 0) return true;
    await sleep(20);
  }
  throw new Error("the transcript did not empty after New conversation");
}

/**
 * Scrolls the sidebar's conversation list from top to bottom, `stepPx` per frame (0: one
 * viewport per frame, so every frame shows only rows that were not on screen before), setting
 * `scrollTop` from a requestAnimationFrame callback, and records the gaps between frames.
 */
export async function pageScrollSidebar(stepPx, timeoutMs) {
  const list = document.querySelector('[data-testid="conversation-list"]');
  if (!list) throw new Error("no conversation-list in the page");
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));
  list.scrollTop = 0;
  for (let i = 0; i < 10; i++) await nextFrame();
  const step = stepPx > 0 ? stepPx : list.clientHeight;
  const gaps = [];
  let steps = 0;
  const t0 = performance.now();
  const deadline = t0 + timeoutMs;
  await new Promise((resolve) => {
    let last = performance.now();
    let settle = 0;
    const tick = () => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
      const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 1;
      // A few frames more at the bottom, so the last rows' render is inside the measurement.
      if ((atBottom && ++settle > 3) || now > deadline) {
        resolve();
        return;
      }
      if (!atBottom) {
        list.scrollTop += step;
        steps += 1;
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(() => {
      last = performance.now();
      requestAnimationFrame(tick);
    });
  });
  const ms = performance.now() - t0;
  const items = document.querySelectorAll('[data-testid="conversation-item"]');
  const sorted = [...gaps].sort((a, b) => a - b);
  return {
    ms,
    steps,
    stepPx: step,
    reachedBottom: list.scrollTop + list.clientHeight >= list.scrollHeight - 1,
    scrollHeight: list.scrollHeight,
    rows: list.hasAttribute("data-count") ? Number(list.getAttribute("data-count")) : null,
    lastItemId: items.length ? items[items.length - 1].getAttribute("data-id") : null,
    count: sorted.length,
    maxGapMs: sorted.length ? sorted[sorted.length - 1] : null,
    p99GapMs: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : null,
    medianGapMs: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null,
    over50ms: sorted.filter((g) => g > 50).length,
  };
}

/**
 * Clicks the sidebar row of conversation `id` (scrolling the list to the top first; the row must
 * be among the first ones) and times until its message `lastMessageId` is in the page and two
 * frames have passed (the frame that contains it has been painted), recording the frame gaps.
 *
 * With `lastWords`, the message must also be rendered whole: its markdown ends with those words
 * and holds no "rendering" notice; the result then also carries the markdown's final HTML, class
 * and width (for `pageLayoutReference`). A conversation already shown is left for an empty new
 * one first, so it is opened afresh.
 */
export async function pageOpenUntilPainted(id, lastMessageId, timeoutMs, lastWords = null) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const target = `[data-testid="message"][data-id="${lastMessageId}"]`;
  if (document.querySelector(target)) {
    document.querySelector('[data-testid="conversation-new"]')?.click();
    const settle = performance.now() + 10_000;
    while (document.querySelector(target) && performance.now() < settle) await sleep(20);
    if (document.querySelector(target)) throw new Error(`${lastMessageId} is still shown`);
    await sleep(300);
  }
  const list = document.querySelector('[data-testid="conversation-list"]');
  if (list) list.scrollTop = 0;
  await nextFrame();
  await nextFrame();
  const item = document.querySelector(`[data-testid="conversation-item"][data-id="${id}"]`);
  if (!item) throw new Error(`conversation-item ${id} is not rendered`);
  await sleep(200);

  const frames = [];
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    frames.push([now, now - last]);
    last = now;
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  for (let i = 0; i < 5; i++) await nextFrame();

  const markdownSel = `${target} .markdown`;
  const done = () => {
    if (!lastWords) return document.querySelector(target) !== null;
    const el = document.querySelector(markdownSel);
    return (
      !!el &&
      !el.querySelector('[data-testid="markdown-rendering"]') &&
      !!el.lastElementChild?.textContent.includes(lastWords)
    );
  };
  let noticeShown = false;
  /** Messages in the page when the last one appeared (an open adds older ones a frame at a time). */
  let messagesShown = null;
  let observer;
  let timer;
  const shown = new Promise((resolve, reject) => {
    observer = new MutationObserver(() => {
      if (document.querySelector('[data-testid="markdown-rendering"]')) noticeShown = true;
      if (done()) {
        messagesShown ??= document.querySelectorAll('[data-testid="message"]').length;
        resolve(performance.now());
      }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    timer = setTimeout(() => reject(new Error(`${target} was not shown in ${timeoutMs} ms`)), timeoutMs);
  });
  const t0 = performance.now();
  // Click where a person would: the element at the row's centre.
  const rect = item.getBoundingClientRect();
  const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
  (hit && item.contains(hit) ? hit : item).click();
  let tShown;
  try {
    tShown = await shown;
  } finally {
    observer.disconnect();
    clearTimeout(timer);
  }
  await nextFrame();
  await nextFrame();
  const t1 = performance.now();
  running = false;
  const gaps = frames
    .filter(([at, gap]) => at > t0 && at - gap < t1)
    .map(([, gap]) => gap)
    .sort((a, b) => a - b);
  const result = {
    ms: t1 - t0,
    presentMs: tShown - t0,
    messagesInDom: document.querySelectorAll('[data-testid="message"]').length,
    messagesShown,
    noticeShown,
    maxGapMs: gaps.length ? gaps[gaps.length - 1] : null,
    frames: gaps.length,
    // The app's marks (chat.svelte.ts open): the store's answer arrived this long after the click.
    ipcMs: (() => {
      const [mark] = performance.getEntriesByName("parley:open:ipc", "mark");
      return mark && mark.startTime >= t0 ? mark.startTime - t0 : null;
    })(),
  };
  if (lastWords) {
    const markdown = document.querySelector(markdownSel);
    Object.assign(result, {
      html: markdown.innerHTML,
      className: markdown.className,
      width: markdown.getBoundingClientRect().width,
    });
  }
  return result;
}

/** Times `search_history` through the app's IPC (`invoke`), as the search box calls it. */
export async function pageInvokeSearch(queries, limit, reps) {
  const invoke = window.__TAURI_INTERNALS__.invoke;
  const results = [];
  for (const query of queries) {
    await invoke("search_history", { query, limit });
    const ms = [];
    let hits = 0;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const found = await invoke("search_history", { query, limit });
      ms.push(performance.now() - t0);
      hits = found.length;
    }
    results.push({ query, hits, ms });
  }
  return results;
}

/**
 * The floor for showing a reply: its final HTML set into this page (same styles, same width,
 * while the app shows an empty conversation), laid out and painted (two frames), timed like
 * `pageOpenUntilPainted`. The element is removed afterwards.
 */
export async function pageLayoutReference(html, className, width) {
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));
  document.querySelector('[data-testid="conversation-new"]')?.click();
  await new Promise((r) => setTimeout(r, 300));
  // A scroller where the transcript would be, as tall as the view (its content overflows).
  const main = document.querySelector("main") ?? document.body;
  const scroller = document.createElement("div");
  scroller.style.cssText = "flex: 1; min-height: 0; overflow-y: auto";
  main.insertBefore(scroller, main.lastElementChild);
  await nextFrame();
  await nextFrame();
  const t0 = performance.now();
  const div = document.createElement("div");
  div.className = className;
  div.style.width = `${width}px`;
  div.innerHTML = html;
  scroller.appendChild(div);
  scroller.scrollTop = scroller.scrollHeight;
  const height = div.offsetHeight;
  const tLaidOut = performance.now();
  await nextFrame();
  await nextFrame();
  const t1 = performance.now();
  scroller.remove();
  return { ms: t1 - t0, layoutMs: tLaidOut - t0, height };
}

/**
 * The floor for opening a conversation: "New conversation" clicked, until the empty view is in
 * the page and painted (two frames), timed like `pageOpenUntilPainted`.
 */
export async function pageNewConversationPainted(timeoutMs) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));
  if (document.querySelector('[data-testid="empty-state"]'))
    throw new Error("the empty view is already shown");
  const button = document.querySelector('[data-testid="conversation-new"]');
  if (!button) throw new Error("no conversation-new button");
  await sleep(200);
  const t0 = performance.now();
  button.click();
  const deadline = t0 + timeoutMs;
  while (!document.querySelector('[data-testid="empty-state"]')) {
    if (performance.now() > deadline) throw new Error("the empty view did not appear");
    await new Promise((r) => setTimeout(r, 1));
  }
  await nextFrame();
  await nextFrame();
  return { ms: performance.now() - t0 };
}
