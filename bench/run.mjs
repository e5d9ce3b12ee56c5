#!/usr/bin/env node
// Parley's benchmarks: the built app under Xvfb through WebKitWebDriver, against the mock Claude
// server, each benchmark next to a baseline measured in the same run. Prints one markdown table
// (and notes) on stdout and writes it to bench/out/results.md (raw numbers: results.json).
//
// Run through `bash scripts/bench.sh` (builds everything, then runs this under xvfb-run and
// dbus-run-session). Environment:
//   PARLEY_APP_BINARY    the app to measure (default target/release/parley)
//   PARLEY_MOCK_BINARY   the mock server (default target/release/parley-mock-claude, else debug)
//   PARLEY_SEED_BINARY   the seeder (default target/release/parley-bench-seed, else debug)
//   PARLEY_BENCH_REPS    repetitions for the medians (default 3)
//   PARLEY_BENCH_ONLY    comma-separated subset: throughput,smoothness,startup,size

import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import { Driver, freePort } from "../tests/e2e/webdriver.mjs";
import {
  inPage,
  pageIdleFrames,
  pageOpenConversation,
  pageSendAndWait,
  pageWaitForSelector,
} from "./lib/page.mjs";
import { alive, descendants, processStartEpochMs, processTree, sumMemory } from "./lib/procs.mjs";
import { serveStatic } from "./lib/static.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const OUT = join(ROOT, "bench/out");
const APP = resolve(process.env.PARLEY_APP_BINARY ?? join(ROOT, "target/release/parley"));
const REPS = Math.max(1, Number(process.env.PARLEY_BENCH_REPS ?? 3));
const ONLY = new Set(
  (process.env.PARLEY_BENCH_ONLY ?? "throughput,smoothness,startup,size")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);
// Only ever sent to the local mock server.
const KEY = "sk-ant-bench-0123456789abcdef";
const API_VERSION = "2023-06-01";
const MODEL = "claude-sonnet-4-5-20250929";
const CHROMIUM = "/usr/bin/chromium";

const HUGE_TOKENS = 100_000;
const RATE_TPS = 2_500;
const RATE_TOKENS = 15_000;
const STARTUP_CONVERSATIONS = 1_000;
const SMOOTH_MESSAGES = 500;
const IDLE_BEFORE_MEMORY_MS = 2_000;

const SEL = {
  composer: '[data-testid="composer-input"]',
  item: '[data-testid="conversation-item"]',
};

const workDir = mkdtempSync(join(tmpdir(), "parley-bench-"));
let launches = 0;

function log(...parts) {
  const t = new Date().toISOString().slice(11, 23);
  process.stderr.write(`[bench ${t}] ${parts.join(" ")}\n`);
}

function pickBinary(name, envVar) {
  if (process.env[envVar]) return resolve(process.env[envVar]);
  for (const profile of ["release", "debug"]) {
    const path = join(ROOT, "target", profile, name);
    if (existsSync(path)) return path;
  }
  throw new Error(`${name} is not built (cargo build --release -p ${name})`);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const MiB = (bytes) => bytes / (1024 * 1024);
const fmtMs = (ms) => (ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`);
const fmtMiB = (bytes) => `${MiB(bytes).toFixed(1)} MiB`;
const fmtList = (values, f) => values.map(f).join(", ");

function newDir(label) {
  return mkdtempSync(join(workDir, `${label}-`));
}

// ---------------------------------------------------------------------------------------------
// The mock server, the seeder, the app

async function startMock(binary) {
  const dir = newDir("mock");
  const addrFile = join(dir, "addr");
  const child = spawn(binary, ["--port", "0", "--addr-file", addrFile, "--quiet"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 400 && !existsSync(addrFile); i++) await sleep(25);
  if (!existsSync(addrFile)) throw new Error("the mock server did not start");
  const baseUrl = readFileSync(addrFile, "utf8").trim();
  return {
    baseUrl,
    stop: () => child.kill("SIGTERM"),
  };
}

function seed(binary, { conversations, messages }) {
  const dir = newDir(`seed-${conversations}x${messages}`);
  const out = execFileSync(
    binary,
    ["--data-dir", dir, "--conversations", String(conversations), "--messages", String(messages)],
    { encoding: "utf8" },
  );
  const summary = JSON.parse(out.trim().split("\n").at(-1));
  log(`seeded ${summary.conversations} conversations, ${summary.messages} messages in ${summary.elapsedMs} ms`);
  return { dir, ...summary };
}

/** A fresh copy of a seeded data directory (each launch gets its own). */
function copyOf(template) {
  const dir = newDir("data");
  cpSync(template, dir, { recursive: true });
  return dir;
}

/**
 * Starts WebKitWebDriver and, through a new session, the app with its own data directory.
 * `requestedAt` is taken just before the new-session request (which launches the app).
 */
async function launchApp(dataDir, baseUrl) {
  launches += 1;
  const port = await freePort();
  const logFd = openSync(join(workDir, `app-${launches}.log`), "a");
  const child = spawn("WebKitWebDriver", [`--port=${port}`], {
    env: {
      ...process.env,
      TAURI_WEBVIEW_AUTOMATION: "true",
      PARLEY_DATA_DIR: dataDir,
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: KEY,
      PARLEY_NO_DIALOGS: "1",
    },
    stdio: ["ignore", logFd, logFd],
    // Its own process group, as in Driver.launch: Driver.quit() stops the group (driver and app).
    detached: true,
  });
  closeSync(logFd);
  const driver = new Driver(`http://127.0.0.1:${port}`, child);
  await driver.waitReady();
  const logFile = join(workDir, `app-${launches}.log`);
  const requestedAt = Date.now();
  const request = driver.request("POST", "/session", {
    capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { binary: APP, args: [] } } },
  });
  const watch = watchStartup(child, logFile, 120_000);
  let session;
  try {
    session = await Promise.race([request, watch.promise]);
  } catch (error) {
    request.catch(() => {});
    await quitApp({ driver });
    throw error;
  } finally {
    watch.stop();
  }
  const sessionAt = Date.now();
  driver.session = session.sessionId;
  await driver.cmd("POST", "/timeouts", { implicit: 10_000, script: 900_000 });
  const appProcess = descendants(child.pid)[0];
  const appStartedAt = appProcess ? processStartEpochMs(appProcess.pid) : null;
  return { driver, requestedAt, sessionAt, appStartedAt, logFile };
}

/**
 * Watches the app started by WebKitWebDriver (`webdriver`, a ChildProcess): `promise` rejects
 * when the app has started and is gone again (a crash at start-up would otherwise leave the
 * new-session request hanging), or after `timeoutMs`; `stop()` ends the watch.
 */
function watchStartup(webdriver, logFile, timeoutMs) {
  let stopped = false;
  const promise = (async () => {
    const deadline = Date.now() + timeoutMs;
    let seen = false;
    while (!stopped && Date.now() < deadline) {
      await sleep(100);
      // BFS order: the first descendant is WebKitWebDriver's child, the app.
      const app = descendants(webdriver.pid)[0];
      if (app) seen = true;
      else if (seen || webdriver.exitCode !== null) break;
    }
    if (stopped) return new Promise(() => {});
    let head = "";
    try {
      head = readFileSync(logFile, "utf8").split("\n").slice(0, 6).join("\n");
    } catch {
      // no log
    }
    const why = Date.now() >= deadline ? "the app did not start in time" : "the app exited during start-up";
    throw new Error(`${why}${head ? `; its output begins:\n${head}` : ""}`);
  })();
  return { promise, stop: () => (stopped = true) };
}

/** Ends the session (closing the app), stops the driver, and makes sure the app is gone. */
async function quitApp(app) {
  const pids = processTree(app.driver.child.pid).map((p) => p.pid);
  const quit = app.driver.quit().then(() => true);
  if (!(await Promise.race([quit, sleep(10_000).then(() => false)]))) {
    log("the app did not close within 10 s of ending the session: killing it");
    try {
      process.kill(-app.driver.child.pid, "SIGKILL");
    } catch {
      app.driver.child.kill("SIGKILL");
    }
  }
  for (let i = 0; i < 60 && pids.some(alive); i++) await sleep(50);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Waits until `selector` is in the app's page; retries while the page is still (re)loading. */
async function waitForSelector(driver, selector, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const found = await inPage(driver, pageWaitForSelector, [selector, Math.min(2_000, deadline - Date.now())]);
      if (found) return found;
    } catch (error) {
      lastError = error;
      await sleep(20);
    }
  }
  throw new Error(`timed out waiting for ${selector}${lastError ? `: ${lastError.message}` : ""}`);
}

async function screenshot(driver, name) {
  try {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, `${name}.png`), await driver.screenshot());
  } catch {
    // best effort
  }
}

function appMemory(app) {
  const processes = descendants(app.driver.child.pid);
  return { ...sumMemory(processes), names: processes.map((p) => p.comm) };
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput

function requestBody(text) {
  return JSON.stringify({
    model: MODEL,
    max_tokens: 4096,
    stream: true,
    messages: [{ role: "user", content: [{ type: "text", text }] }],
  });
}

function timeProcess(command, args) {
  return new Promise((resolveRun, reject) => {
    let stdout = "";
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.on("data", (d) => (stdout += d));
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ ms: performance.now() - t0, code, stdout }));
  });
}

async function curlOnce(baseUrl, text) {
  const run = await timeProcess("curl", [
    "-N",
    "-s",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code} %{size_download}",
    "-X",
    "POST",
    `${baseUrl}/v1/messages`,
    "-H",
    `x-api-key: ${KEY}`,
    "-H",
    `anthropic-version: ${API_VERSION}`,
    "-H",
    "content-type: application/json",
    "--data-binary",
    requestBody(text),
  ]);
  const [status, bytes] = run.stdout.trim().split(" ").map(Number);
  if (run.code !== 0 || status !== 200) throw new Error(`curl: exit ${run.code}, HTTP ${status}`);
  return { ms: run.ms, bytes };
}

async function benchThroughput(mock) {
  const text = `[[huge:${HUGE_TOKENS}]]`;
  const app = [];
  const curl = [];
  let appDetail = null;
  for (let rep = 0; rep < REPS; rep++) {
    curl.push(await curlOnce(mock.baseUrl, text));
    log(`throughput ${rep + 1}/${REPS}: curl ${fmtMs(curl.at(-1).ms)}`);
    const launched = await launchApp(newDir("data"), mock.baseUrl);
    try {
      await waitForSelector(launched.driver, SEL.composer);
      await sleep(500);
      const result = await inPage(launched.driver, pageSendAndWait, [text, 600_000, false]);
      if (result.status !== "done") {
        await screenshot(launched.driver, `throughput-${rep + 1}`);
        throw new Error(`the reply ended ${result.status} (${result.errorKind ?? "no error kind"})`);
      }
      app.push(result);
      appDetail = result;
      log(`throughput ${rep + 1}/${REPS}: Parley ${fmtMs(result.ms)} (${result.outputTokens} tokens shown)`);
    } finally {
      await quitApp(launched);
    }
  }
  const spawnOnly = [];
  for (let i = 0; i < 5; i++) spawnOnly.push((await timeProcess("curl", ["--version"])).ms);
  const parley = median(app.map((r) => r.ms));
  const baseline = median(curl.map((r) => r.ms));
  return {
    row: {
      benchmark: `Throughput: ${HUGE_TOKENS.toLocaleString("en")}-token streamed reply, send → done (median of ${REPS})`,
      parley: fmtMs(parley),
      baseline: `${fmtMs(baseline)} (curl)`,
      ratio: parley / baseline,
      goal: "ratio ≤ 1.3",
      met: parley / baseline <= 1.3,
    },
    notes: [
      `Throughput: Parley ${fmtList(app.map((r) => r.ms), fmtMs)}; curl ${fmtList(curl.map((r) => r.ms), fmtMs)}. ` +
        `Parley is timed in the page (performance.now() from the send click until a MutationObserver sees ` +
        `data-status="done" on the new assistant message; the text is set on the composer by script, no typing). ` +
        `The baseline is \`curl -N -s -o /dev/null\` POSTing the same request (\`${text}\`, stream: true, x-api-key, ` +
        `anthropic-version) to the same mock server, timed by node around the spawned process: process spawn included ` +
        `(\`curl --version\` alone takes ${fmtMs(median(spawnOnly))}). curl received ${(curl[0].bytes / 1e6).toFixed(1)} MB of SSE; ` +
        `Parley showed ${appDetail?.outputTokens ?? "?"} output tokens and ${appDetail?.contentChars ?? "?"} characters of text.`,
    ],
    raw: { app, curl, curlSpawnOnlyMs: spawnOnly },
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Smoothness

async function benchSmoothness(mock, seedBinary) {
  const seeded = seed(seedBinary, { conversations: 1, messages: SMOOTH_MESSAGES });
  const text = process.env.PARLEY_BENCH_RATE_TEXT ?? `[[rate:${RATE_TPS}:${RATE_TOKENS}]]`;
  const launched = await launchApp(copyOf(seeded.dir), mock.baseUrl);
  const streams = [];
  const idles = [];
  let opened;
  try {
    await waitForSelector(launched.driver, SEL.item);
    opened = await inPage(launched.driver, pageOpenConversation, [seeded.newestId, 60_000]);
    log(`smoothness: opened the ${SMOOTH_MESSAGES}-message conversation in ${fmtMs(opened.ms)} (${opened.messagesInDom} messages in the DOM)`);
    await sleep(1_000);
    for (let rep = 0; rep < REPS; rep++) {
      const stream = await inPage(launched.driver, pageSendAndWait, [text, 600_000, true]);
      if (stream.status !== "done") {
        await screenshot(launched.driver, `smoothness-${rep + 1}`);
        throw new Error(`the reply ended ${stream.status} (${stream.errorKind ?? "no error kind"})`);
      }
      streams.push(stream);
      await sleep(500);
      const idle = await inPage(launched.driver, pageIdleFrames, [stream.ms]);
      idles.push(idle);
      log(
        `smoothness ${rep + 1}/${REPS}: streaming max gap ${fmtMs(stream.frames.maxGapMs)} over ${fmtMs(stream.ms)} ` +
          `(${stream.frames.count} frames); idle max gap ${fmtMs(idle.maxGapMs)} (${idle.count} frames)`,
      );
    }
  } finally {
    await quitApp(launched);
  }
  const parley = median(streams.map((s) => s.frames.maxGapMs));
  const baseline = median(idles.map((s) => s.maxGapMs));
  const tps = streams.map((s) => (s.outputTokens ?? RATE_TOKENS) / (s.ms / 1000));
  return {
    row: {
      benchmark: `Smoothness: longest frame gap while a reply streams at ${RATE_TPS.toLocaleString("en")} tokens/s into a ${SMOOTH_MESSAGES}-message conversation (median of ${REPS})`,
      parley: fmtMs(parley),
      baseline: `${fmtMs(baseline)} (idle)`,
      ratio: parley / baseline,
      goal: "< 50 ms",
      met: parley < 50,
    },
    notes: [
      `Smoothness: \`${text}\` (${RATE_TOKENS.toLocaleString("en")} tokens, one per SSE event, paced by the mock at ` +
        `${RATE_TPS.toLocaleString("en")}/s) sent into a seeded conversation of ${SMOOTH_MESSAGES} messages ` +
        `(opened in ${fmtMs(opened.ms)}, ${opened.messagesInDom} message elements in the DOM). Longest gap between ` +
        `requestAnimationFrame callbacks from send to done, per run: ${fmtList(streams.map((s) => s.frames.maxGapMs), fmtMs)}; ` +
        `p99 ${fmtList(streams.map((s) => s.frames.p99GapMs), fmtMs)}; gaps > 50 ms: ${streams.map((s) => s.frames.over50ms).join(", ")}; ` +
        `frames ${streams.map((s) => s.frames.count).join(", ")} over ${fmtList(streams.map((s) => s.ms), fmtMs)} ` +
        `(effective ${fmtList(tps, (v) => `${Math.round(v)} tokens/s`)} end to end). Baseline: the longest rAF gap in the same ` +
        `app and conversation, idle, over the same duration: ${fmtList(idles.map((s) => s.maxGapMs), fmtMs)}.`,
    ],
    raw: { streams, idles, opened },
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Start-up and memory

async function measureLaunch(dataDir, baseUrl, selector, name) {
  const launched = await launchApp(dataDir, baseUrl);
  try {
    let found;
    try {
      found = await waitForSelector(launched.driver, selector);
    } catch (error) {
      await screenshot(launched.driver, `startup-${name}`);
      throw error;
    }
    await sleep(IDLE_BEFORE_MEMORY_MS);
    const memory = appMemory(launched);
    return {
      ms: found.epochMs - launched.requestedAt,
      sessionMs: launched.sessionAt - launched.requestedAt,
      processToShownMs: launched.appStartedAt ? found.epochMs - launched.appStartedAt : null,
      pageStartToShownMs: found.epochMs - found.timeOrigin,
      alreadyThere: found.already,
      items: found.items,
      listCount: found.listCount,
      memory,
    };
  } finally {
    await quitApp(launched);
  }
}

async function chromiumMemory() {
  const dist = join(ROOT, "ui/dist");
  if (!existsSync(join(dist, "index.html"))) throw new Error("ui/dist is not built");
  const server = await serveStatic(dist);
  const profile = newDir("chromium-profile");
  const child = spawn(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      // Without this, Chromium asks the Secret Service on the session bus and hangs there.
      "--password-store=basic",
      `--user-data-dir=${profile}`,
      "--window-size=1100,760",
      server.url,
    ],
    { stdio: ["ignore", "ignore", "ignore"] },
  );
  try {
    const deadline = Date.now() + 30_000;
    while (server.requests() === 0 && Date.now() < deadline) await sleep(25);
    if (server.requests() === 0) throw new Error("chromium did not load the UI");
    // Until the page has fetched everything (no request for 500 ms), then idle.
    while (Date.now() - server.lastRequestAt() < 500 && Date.now() < deadline) await sleep(25);
    await sleep(IDLE_BEFORE_MEMORY_MS);
    const processes = processTree(child.pid);
    return { ...sumMemory(processes), names: processes.map((p) => p.comm), requests: server.requests() };
  } finally {
    const pids = processTree(child.pid).map((p) => p.pid);
    child.kill("SIGTERM");
    for (let i = 0; i < 60 && pids.some(alive); i++) await sleep(50);
    for (const pid of pids.filter(alive)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await server.close();
  }
}

async function benchStartup(mock, seedBinary) {
  const seeded = seed(seedBinary, { conversations: STARTUP_CONVERSATIONS, messages: 2 });
  log("start-up: a warm-up launch (not counted)");
  await measureLaunch(newDir("data"), mock.baseUrl, SEL.composer, "warmup");
  const full = [];
  const empty = [];
  for (let rep = 0; rep < REPS; rep++) {
    empty.push(await measureLaunch(newDir("data"), mock.baseUrl, SEL.composer, `empty-${rep + 1}`));
    full.push(await measureLaunch(copyOf(seeded.dir), mock.baseUrl, SEL.item, `seeded-${rep + 1}`));
    log(
      `start-up ${rep + 1}/${REPS}: ${STARTUP_CONVERSATIONS} conversations ${fmtMs(full.at(-1).ms)} ` +
        `(${full.at(-1).items} items rendered, data-count ${full.at(-1).listCount}), ${fmtMiB(full.at(-1).memory.bytes)}; ` +
        `empty ${fmtMs(empty.at(-1).ms)}, ${fmtMiB(empty.at(-1).memory.bytes)}`,
    );
  }
  const chromium = [];
  for (let rep = 0; rep < REPS; rep++) {
    chromium.push(await chromiumMemory());
    log(`memory baseline ${rep + 1}/${REPS}: chromium ${fmtMiB(chromium.at(-1).bytes)} in ${chromium.at(-1).processes.length} processes`);
  }

  const startParley = median(full.map((r) => r.ms));
  const startEmpty = median(empty.map((r) => r.ms));
  const memFull = median(full.map((r) => r.memory.bytes));
  const memEmpty = median(empty.map((r) => r.memory.bytes));
  const memChromium = median(chromium.map((r) => r.bytes));
  const kinds = [...new Set([...full, ...empty].flatMap((r) => r.memory.kinds).concat(chromium.flatMap((r) => r.kinds)))];
  const procNames = (names) =>
    Object.entries(names.reduce((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {}))
      .map(([n, c]) => (c > 1 ? `${n} ×${c}` : n))
      .join(", ");
  return {
    rows: [
      {
        benchmark: `Start-up: launch → ${STARTUP_CONVERSATIONS.toLocaleString("en")} stored conversations listed (median of ${REPS})`,
        parley: fmtMs(startParley),
        baseline: `${fmtMs(startEmpty)} (empty data dir → composer)`,
        ratio: startParley / startEmpty,
        goal: "< 1 s",
        met: startParley < 1000,
      },
      {
        benchmark: `Memory: PSS of the app and its child processes 2 s after start-up, ${STARTUP_CONVERSATIONS.toLocaleString("en")} conversations (median of ${REPS})`,
        parley: fmtMiB(memFull),
        baseline: `${fmtMiB(memChromium)} (Chromium, same UI)`,
        ratio: memFull / memChromium,
        goal: "–",
        met: null,
      },
      {
        benchmark: `Memory: the same, empty data dir (median of ${REPS})`,
        parley: fmtMiB(memEmpty),
        baseline: `${fmtMiB(memChromium)} (Chromium, same UI)`,
        ratio: memEmpty / memChromium,
        goal: "–",
        met: null,
      },
    ],
    notes: [
      `Start-up: from just before the WebDriver new-session request (which launches the app) until ` +
        `[data-testid=conversation-item] is in the page, seen by a MutationObserver in the page (Date.now() on both ` +
        `sides, same clock). Runs: ${fmtList(full.map((r) => r.ms), fmtMs)}. This includes WebKitWebDriver's automation ` +
        `set-up: the new-session request itself took ${fmtList(full.map((r) => r.sessionMs), fmtMs)}` +
        (full.some((r) => r.alreadyThere) ? ", and the list was already there when the session was ready (the time is an upper bound)" : "") +
        `. From the app process's start (/proc, ±20 ms) to the list: ${fmtList(full.map((r) => r.processToShownMs ?? NaN), fmtMs)}; ` +
        `from the page's navigation start: ${fmtList(full.map((r) => r.pageStartToShownMs), fmtMs)}. ` +
        `Items rendered: ${full.map((r) => r.items).join(", ")} (list data-count: ${full.map((r) => r.listCount ?? "absent").join(", ")}). ` +
        `Baseline: the same launch with an empty data directory until [data-testid=composer-input] is present: ` +
        `${fmtList(empty.map((r) => r.ms), fmtMs)}. One uncounted warm-up launch first (disk cache, D-Bus activation).`,
      `Memory: sum of ${kinds.join("/").toUpperCase()} (/proc/PID/smaps_rollup; RSS only where that is unreadable) over the app ` +
        `and all its descendants (${procNames(full[0].memory.names)}), 2 s after the list appeared, WebDriver session open. ` +
        `Runs: ${fmtList(full.map((r) => r.memory.bytes), fmtMiB)}; empty ${fmtList(empty.map((r) => r.memory.bytes), fmtMiB)}. ` +
        `Baseline: Debian's ${CHROMIUM} (${chromiumVersion()}; the engine Electron apps ship) headless with --no-sandbox ` +
        `--disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run ` +
        `--password-store=basic (else it waits on the Secret Service) and a fresh ` +
        `--user-data-dir, showing the built UI (ui/dist from a small node static server), summed over the browser and all ` +
        `its child processes (${procNames(chromium[0].names)}) 2 s after the page's last request: ` +
        `${fmtList(chromium.map((r) => r.bytes), fmtMiB)}. Without Tauri's IPC the UI there shows its empty/error state, ` +
        `so the baseline holds no conversations: it is a floor for an Electron build of the same UI (which would add Node.js ` +
        `and the app's own main process).`,
    ],
    raw: { full, empty, chromium },
  };
}

function chromiumVersion() {
  try {
    return execFileSync(CHROMIUM, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "version unknown";
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Size

function benchSize() {
  const rows = [];
  const notes = [];
  const binary = statSync(APP).size;
  const isRelease = APP.includes("/release/");
  rows.push({
    benchmark: `Size: app binary (${isRelease ? "release, stripped" : APP.replace(`${ROOT}/`, "")})`,
    parley: `${fmtMiB(binary)} (${binary.toLocaleString("en")} B)`,
    baseline: "–",
    ratio: null,
    goal: "–",
    met: null,
  });
  const debDir = join(ROOT, "target/release/bundle/deb");
  const debs = existsSync(debDir)
    ? readdirSync(debDir)
        .filter((f) => f.endsWith(".deb"))
        .map((f) => ({ f, s: statSync(join(debDir, f)) }))
        .sort((a, b) => b.s.mtimeMs - a.s.mtimeMs)
    : [];
  if (debs.length) {
    rows.push({
      benchmark: `Size: .deb package (${debs[0].f})`,
      parley: `${fmtMiB(debs[0].s.size)} (${debs[0].s.size.toLocaleString("en")} B)`,
      baseline: "–",
      ratio: null,
      goal: "–",
      met: null,
    });
  } else {
    notes.push("Size: no .deb under target/release/bundle/deb (build with `bash scripts/build-app.sh --release`).");
  }
  notes.push(
    "Size: no baseline. The binary relies on the system's WebKitGTK (libwebkit2gtk-4.1-0, a dependency of the .deb), " +
      "which an Electron app would instead bundle as Chromium plus Node.js.",
  );
  return { rows, notes, raw: { binary, deb: debs[0]?.s.size ?? null } };
}

// ---------------------------------------------------------------------------------------------

function machineNotes() {
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  };
  const memTotal = readFileSync("/proc/meminfo", "utf8").match(/^MemTotal:\s+(\d+)/m)?.[1];
  return [
    `Machine: ${sh("nproc", [])} CPUs (${cpus()[0]?.model ?? "?"}), ${memTotal ? (memTotal / 1024 / 1024).toFixed(1) : "?"} GiB RAM, ` +
      `${sh("uname", ["-sr"])}, WebKitGTK ${sh("dpkg-query", ["-W", "-f=${Version}", "libwebkit2gtk-4.1-0"])}, ` +
      `node ${process.version}; Xvfb ${process.env.DISPLAY ?? "(no DISPLAY)"}; ${new Date().toISOString()}.`,
    `App: ${APP}${APP.includes("/debug/") ? " (a DEBUG build: numbers are not representative of a release)" : ""}; ` +
      `mock server and seeder: ${MOCK_BIN.replace(`${ROOT}/`, "")}, ${SEED_BIN.replace(`${ROOT}/`, "")}. The API key is ` +
      `ANTHROPIC_API_KEY (no keychain), ANTHROPIC_BASE_URL the mock, PARLEY_DATA_DIR a fresh temp dir per launch.`,
  ];
}

function table(rows) {
  const cell = (v) => String(v).replaceAll("|", "\\|");
  const lines = [
    "| benchmark | Parley | baseline | ratio (Parley/baseline) | goal | met? |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const ratio = r.ratio == null || !Number.isFinite(r.ratio) ? "–" : `${r.ratio.toFixed(2)}×`;
    const met = r.met == null ? "–" : r.met ? "yes" : "**no**";
    lines.push(`| ${[r.benchmark, r.parley, r.baseline, ratio, r.goal, met].map(cell).join(" | ")} |`);
  }
  return lines.join("\n");
}

let MOCK_BIN = "";
let SEED_BIN = "";

async function main() {
  if (!existsSync(APP)) throw new Error(`the app is not built: ${APP}`);
  MOCK_BIN = pickBinary("parley-mock-claude", "PARLEY_MOCK_BINARY");
  SEED_BIN = pickBinary("parley-bench-seed", "PARLEY_SEED_BINARY");
  log(`app ${APP}; mock ${MOCK_BIN}; seeder ${SEED_BIN}; work dir ${workDir}`);
  const mock = await startMock(MOCK_BIN);
  const rows = [];
  const notes = [];
  const raw = {};
  let failed = false;
  const run = async (name, label, fn) => {
    if (!ONLY.has(name)) return;
    log(`--- ${label}`);
    try {
      const result = await fn();
      rows.push(...(result.rows ?? [result.row]));
      notes.push(...result.notes);
      raw[name] = result.raw;
    } catch (error) {
      failed = true;
      log(`${label} FAILED: ${error.stack ?? error}`);
      rows.push({ benchmark: label, parley: "failed", baseline: "–", ratio: null, goal: "–", met: null });
      notes.push(`${label}: failed: ${String(error.message ?? error).split("\n")[0]}`);
    }
  };
  try {
    await run("throughput", "Throughput", () => benchThroughput(mock));
    await run("smoothness", "Smoothness", () => benchSmoothness(mock, SEED_BIN));
    await run("startup", "Start-up and memory", () => benchStartup(mock, SEED_BIN));
    await run("size", "Size", async () => benchSize());
  } finally {
    mock.stop();
  }
  notes.push(...machineNotes());
  const markdown = `${table(rows)}\n\nNotes:\n\n${notes.map((n) => `- ${n}`).join("\n")}\n`;
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "results.md"), markdown);
  writeFileSync(join(OUT, "results.json"), JSON.stringify({ rows, raw, date: new Date().toISOString() }, null, 2));
  process.stdout.write(`\n${markdown}`);
  if (!process.env.PARLEY_BENCH_KEEP && !failed) rmSync(workDir, { recursive: true, force: true });
  else log(`kept ${workDir} (app logs: app-N.log)`);
  return failed ? 1 : 0;
}

export { launchApp, quitApp, waitForSelector, startMock, appMemory };

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      log(`fatal: ${error.stack ?? error}`);
      process.exit(2);
    },
  );
}
