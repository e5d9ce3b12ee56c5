// Test harness for the UI suite: serves the built app (ui/dist) from a tiny static server with a
// Tauri-like CSP, launches Debian's Chromium through playwright-core, and opens pages with the fake
// backend (fixtures/mock-backend.js) injected before any app script runs.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, afterEach, before } from "node:test";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = fileURLToPath(new URL(".", import.meta.url));
export const DIST = resolve(here, "../dist");
const MOCK_SCRIPT = join(here, "fixtures/mock-backend.js");

/**
 * The CSP src-tauri ships (`app.security.csp` in src-tauri/tauri.conf.json), read from that file so
 * the tests see the same policy as the app: images only from the app and `data:`/`blob:` URLs, no
 * remote anything. (Tauri adds nonces for its own scripts at runtime; the built app needs none.)
 */
export const CSP = Object.entries(
  JSON.parse(readFileSync(resolve(here, "../../src-tauri/tauri.conf.json"), "utf8")).app.security
    .csp,
)
  .map(([directive, sources]) => `${directive} ${sources}`)
  .join("; ");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

/** Serves `root` on a free loopback port; unknown paths get index.html (single-page app). */
export async function startServer(root = DIST) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    if (path.endsWith("/")) file = join(file, "index.html");
    let body;
    try {
      body = await readFile(file);
    } catch {
      file = join(root, "index.html");
      body = await readFile(file);
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-security-policy": CSP,
      "cache-control": "no-store",
    });
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * Opens the app with the fake backend. `config` goes to the mock (`keyStatus`, `conversations`);
 * `colorScheme` sets prefers-color-scheme. Page errors and console errors (CSP violations
 * included) are collected in `errors` so every test can assert there were none.
 */
export async function openApp(
  browser,
  baseUrl,
  { colorScheme = "light", uiLocale = null, upgrading = false, ...config } = {},
) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 820 },
    colorScheme,
    deviceScaleFactor: 1,
  });
  // `uiLocale` ("en" | "zh-CN"): the language chosen in settings, as the app remembers it.
  if (uiLocale) {
    await context.addInitScript((value) => localStorage.setItem("parley.locale", value), uiLocale);
  }
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
  await context.addInitScript({ content: `window.__MOCK_CONFIG__ = ${JSON.stringify(config)};` });
  // `upgrading`: the window opened before the history did, as Rust's initialization script says
  // (src-tauri/src/window.rs); the page shows the upgrade screen, not the app.
  if (upgrading) await context.addInitScript({ content: "window.__PARLEY_UPGRADING__ = true;" });
  await context.addInitScript({ path: MOCK_SCRIPT });
  const page = await context.newPage();
  page.setDefaultTimeout(5_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.goto(baseUrl);
  await page.waitForSelector(
    upgrading ? '[data-testid="upgrade-screen"]' : '[data-testid="app"][data-ready="true"]',
  );
  return { page, context, errors };
}

export const tid = (id) => `[data-testid="${id}"]`;

/** Calls recorded by the fake backend, optionally of one command. */
export function calls(page, cmd) {
  return page.evaluate((c) => (c ? window.__MOCK__.callsOf(c) : window.__MOCK__.calls), cmd);
}

/** Sends ChatEvents on the newest channel, in order, in one task. */
export function emit(page, ...events) {
  return page.evaluate((evts) => evts.forEach((e) => window.__MOCK__.emit(e)), events);
}

/** Ends the newest stream with `finished` (status "done" unless `patch` says otherwise). */
export function finish(page, patch = {}) {
  return page.evaluate((p) => window.__MOCK__.finish(p), patch);
}

/** The id of the reply the newest stream belongs to. */
export function streamingId(page) {
  return page.evaluate(() => window.__MOCK__.lastChannel.messageId);
}

export function messageSel(id, extra = "") {
  return `[data-testid="message"][data-id="${id}"]${extra}`;
}

/**
 * Presses Enter in `selector` the way an input method commits text: an Enter while composing,
 * then (as WebKit does) one right after compositionend with isComposing false. Neither may act.
 */
export async function imeEnter(page, selector) {
  await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    const key = (init) =>
      el.dispatchEvent(
        new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true, ...init }),
      );
    el.dispatchEvent(new CompositionEvent("compositionstart", { bubbles: true, data: "" }));
    key({ isComposing: true });
    el.dispatchEvent(new CompositionEvent("compositionend", { bubbles: true, data: "日本語" }));
    key({ isComposing: false });
  }, selector);
  await page.waitForTimeout(120);
}

/** Types text in the composer and presses Enter; resolves with the new reply's id. */
export async function send(page, text) {
  const before = await page.evaluate(() => window.__MOCK__.channels.length);
  await page.fill(tid("composer-input"), text);
  await page.press(tid("composer-input"), "Enter");
  await page.waitForFunction((n) => window.__MOCK__.channels.length > n, before);
  const id = await streamingId(page);
  await page.waitForSelector(messageSel(id));
  return id;
}

/** Streams a text reply: blockStart, the chunks as textDelta, blockStop (without the text). */
export async function streamText(page, id, chunks, index = 0) {
  await emit(page, {
    type: "blockStart",
    messageId: id,
    index,
    block: { type: "text", text: "" },
  });
  await emit(page, ...chunks.map((text) => ({ type: "textDelta", messageId: id, index, text })), {
    type: "blockStop",
    messageId: id,
    index,
    // As Rust sends it: the text came in the deltas.
    block: { type: "text", text: "" },
    textStreamed: true,
  });
}

export const usage = (inputTokens, outputTokens) => ({
  inputTokens,
  outputTokens,
  cacheCreationInputTokens: null,
  cacheReadInputTokens: null,
});

/**
 * Registers one server and browser for the test file, and returns `app(config, {allowErrors})`,
 * which opens the app for one test with `defaults()` merged under `config`. After each test the
 * page is closed and must not have logged errors (CSP violations, exceptions) unless allowed.
 */
export function appPerTest(defaults = () => ({})) {
  let server;
  let browser;
  let current = null;
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    if (!current) return;
    const { context, errors, allowErrors } = current;
    current = null;
    await context.close();
    if (!allowErrors) {
      assert.deepEqual(errors, [], "the page logged errors (CSP violations, exceptions)");
    }
  });
  async function app(config = {}, { allowErrors = false } = {}) {
    const opened = await openApp(browser, server.url, { ...defaults(), ...config });
    current = { ...opened, allowErrors };
    return opened.page;
  }
  /** Where the app is served from (to check the page never navigated away). */
  app.baseUrl = () => server.url;
  return app;
}
