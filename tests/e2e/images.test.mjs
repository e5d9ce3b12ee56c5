// End to end, images: a real file dropped on the running app through the OS (a GTK drag source
// driven by xdotool under Xvfb); the mock server's echo names the image it received; after a
// restart the thumbnail is still in the transcript and the images gallery opens its message. An
// image picked through the native open dialog (answered by typing into it, as a user would) is
// sent too.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { setTimeout as sleep } from "node:timers/promises";

import {
  ROOT,
  lastAssistant,
  launchApp,
  newDataDir,
  saveKeyInSettings,
  saveScreenshot,
  sendMessage,
  startMockServer,
} from "./harness.mjs";
import { stopGroup } from "./webdriver.mjs";
import { answerFileDialog, dialogOpen } from "./tools/native_dialog.mjs";

const KEY = "sk-ant-e2e-images-0123456789";
let mock;

before(async () => {
  mock = await startMockServer();
});
after(() => mock?.stop());

// --- fixtures -------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A width x height RGB PNG with a gradient, written by hand (no image library in node). */
function pngFile(width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      rows[row + 1 + x * 3] = (x * 255) / width;
      rows[row + 2 + x * 3] = (y * 255) / height;
      rows[row + 3 + x * 3] = 128;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Progress on stderr, so a hang in CI shows where it stopped. */
function step(text) {
  process.stderr.write(`[e2e images] ${text}\n`);
}

// --- OS-level input -------------------------------------------------------------------------

function xdotool(...args) {
  // A time limit, so a window that never appears fails the test instead of hanging it.
  return execFileSync("xdotool", args, { encoding: "utf8", timeout: 20_000 }).trim();
}

/** The first visible X window whose name matches `pattern`, waiting for it to appear. */
function windowId(pattern) {
  return xdotool("search", "--sync", "--onlyvisible", "--name", pattern).split("\n")[0];
}

function geometry(id) {
  const shell = Object.fromEntries(
    xdotool("getwindowgeometry", "--shell", id)
      .split("\n")
      .map((line) => line.split("=")),
  );
  return { x: +shell.X, y: +shell.Y, width: +shell.WIDTH, height: +shell.HEIGHT };
}

/** Drags `files` from a GTK drag source window onto the middle of the app window. */
async function dropFilesOnApp(files) {
  const source = spawn("/usr/bin/python3", [join(ROOT, "tests/e2e/tools/drag_source.py"), "0", "0", ...files], {
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  try {
    const from = geometry(windowId("^parley-drag-source$"));
    const to = geometry(windowId("^Parley$"));
    step(`dragging from ${JSON.stringify(from)} to ${JSON.stringify(to)}`);
    const start = { x: from.x + 40, y: from.y + 40 };
    const end = { x: to.x + Math.round(to.width / 2), y: to.y + Math.round(to.height / 2) };
    xdotool("mousemove", "--sync", String(start.x), String(start.y));
    await sleep(150);
    xdotool("mousedown", "1");
    // Small steps: GTK starts a drag only after motion past its threshold, and the target
    // needs motion events to accept it.
    const steps = 12;
    for (let i = 1; i <= steps; i++) {
      const x = Math.round(start.x + ((end.x - start.x) * i) / steps);
      const y = Math.round(start.y + ((end.y - start.y) * i) / steps);
      xdotool("mousemove", String(x), String(y));
      await sleep(40);
    }
    await sleep(200);
    xdotool("mouseup", "1");
    await sleep(300);
  } finally {
    await stopGroup(source);
  }
}

async function readyAttachments(app, count) {
  return app.waitFor(`${count} ready attachment(s) in the composer`, async () => {
    const chips = await app.findAll("attachment", '[data-status="ready"]');
    return chips.length === count ? chips : null;
  });
}

test("an image dropped from another application is sent, and its thumbnail is kept after a restart", async (t) => {
  const files = mkdtempSync(join(tmpdir(), "parley e2e images "));
  const dropped = join(files, "dropped screenshot.png");
  writeFileSync(dropped, pngFile(640, 400));
  const dataDir = newDataDir();
  let app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);

    // 1. A real drop from another application.
    step("dropping a file from the GTK drag source");
    await dropFilesOnApp([dropped]);
    step("waiting for the dropped image's chip");
    const [chip] = await readyAttachments(app, 1);
    assert.equal(await chip.attr("data-media-type"), "image/png");
    await sendMessage(app, "What is in the dropped image?");
    const reply = await lastAssistant(app, ["done"]);
    const text = await (await reply.find("message-content")).text();
    assert.match(text, /image\/png 640x400/, "the mock received the dropped image");

    // 2. Restart: the thumbnail is still in the transcript.
    step("restarting the app");
    const conversationId = await (await app.find("conversation-item")).attr("data-id");
    await app.quit();
    app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
    await (await app.find("conversation-item", `[data-id="${conversationId}"]`)).click();
    const thumbnails = await app.waitFor("the thumbnail in the transcript", async () => {
      const found = await app.findAll("attachment", '[data-status="ready"]');
      return found.length === 1 ? found : null;
    });
    const loaded = await app.execute(
      `return [...document.querySelectorAll('[data-testid="message"] [data-testid="attachment"] img')]
         .map((img) => img.complete && img.naturalWidth > 0 && img.src.startsWith("data:image/"))`,
    );
    assert.equal(thumbnails.length, 1);
    assert.deepEqual(loaded, [true], "the thumbnail is a real image");

    // 3. The images gallery lists it; a click opens its message.
    step("opening the images gallery");
    await (await app.find("conversation-new")).click();
    await (await app.find("gallery-open")).click();
    const item = await app.find("gallery-item");
    assert.equal(await item.attr("data-conversation-id"), conversationId);
    const messageId = await item.attr("data-message-id");
    await item.click();
    await app.waitFor("the image's message highlighted", async () => {
      const message = await app.find("message", `[data-id="${messageId}"]`);
      return (await message.attr("data-highlighted")) === "true";
    });
  } catch (error) {
    await saveScreenshot(app, "images-failure");
    throw error;
  }
});

test("an image picked in the native open dialog is sent", async (t) => {
  const files = mkdtempSync(join(tmpdir(), "parley e2e picked "));
  const picked = join(files, "picked photo.png");
  writeFileSync(picked, pngFile(320, 200));
  const app = await launchApp({ dataDir: newDataDir(), baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);
    step("opening the native dialog");
    await (await app.find("attach-image")).click();
    await answerFileDialog("Attach images", picked);
    step("waiting for the picked image's chip");
    await readyAttachments(app, 1);
    assert.equal(dialogOpen("Attach images"), false, "the dialog closed");
    await sendMessage(app, "Describe the picked image");
    const reply = await lastAssistant(app, ["done"]);
    const text = await (await reply.find("message-content")).text();
    assert.match(text, /image\/png 320x200/, "the mock received the picked image");
  } catch (error) {
    await saveScreenshot(app, "images-picker-failure");
    throw error;
  }
});
