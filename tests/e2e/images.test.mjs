// End to end, images: real files dropped on the running app through the OS (a GTK drag source
// driven by xdotool under Xvfb) and picked through the native GTK open dialog (path typed with
// xdotool); the mock server's echo names the images it received, and after a restart the
// thumbnails are still in the transcript.

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

// --- OS-level input -------------------------------------------------------------------------

function xdotool(...args) {
  return execFileSync("xdotool", args, { encoding: "utf8" }).trim();
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

/** Types `path` into the native open dialog titled "Attach images" and confirms it. */
async function pickInNativeDialog(path) {
  const dialog = windowId("^Attach images$");
  // Without focus, GTK's location autocompletion garbles the typed path now and then.
  xdotool("windowfocus", "--sync", dialog);
  xdotool("key", "--window", dialog, "ctrl+l");
  await sleep(200);
  xdotool("type", "--delay", "20", path);
  await sleep(200);
  xdotool("key", "Return");
}

async function readyAttachments(app, count) {
  return app.waitFor(`${count} ready attachment(s) in the composer`, async () => {
    const chips = await app.findAll("attachment", '[data-status="ready"]');
    return chips.length === count ? chips : null;
  });
}

test("images dropped from the OS and picked in the native dialog are sent, and kept after a restart", async (t) => {
  const files = mkdtempSync(join(tmpdir(), "parley e2e images "));
  const dropped = join(files, "dropped screenshot.png");
  const picked = join(files, "picked.png");
  writeFileSync(dropped, pngFile(640, 400));
  writeFileSync(picked, pngFile(2400, 1600));
  const dataDir = newDataDir();
  let app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
  t.after(() => app.quit());
  try {
    await saveKeyInSettings(app, KEY);

    // 1. A real drop from another application.
    await dropFilesOnApp([dropped]);
    const [chip] = await readyAttachments(app, 1);
    assert.equal(await chip.attr("data-media-type"), "image/png");
    await sendMessage(app, "What is in the dropped image?");
    let reply = await lastAssistant(app, ["done"]);
    let text = await (await reply.find("message-content")).text();
    assert.match(text, /image\/png 640x400/, "the mock received the dropped image");

    // 2. The native open dialog; the 2400x1600 file is downscaled to the API's 1568 px bounds.
    await (await app.find("attach-image")).click();
    await pickInNativeDialog(picked);
    await readyAttachments(app, 1);
    await sendMessage(app, "And this one?");
    reply = await app.waitFor("the second reply", async () => {
      const last = await lastAssistant(app, ["done"]);
      const content = await (await last.find("message-content")).text();
      return content.includes("And this one?") ? content : null;
    });
    const [, width, height] = reply.match(/image\/(?:png|jpeg) (\d+)x(\d+)/) ?? [];
    assert.ok(Number(width) <= 1568 && Number(width) * Number(height) <= 1_150_000, reply);
    assert.equal(Math.round((Number(width) / Number(height)) * 10), 15, "aspect ratio kept");

    // 3. Restart: the thumbnails are still in the transcript.
    const conversationId = await (await app.find("conversation-item")).attr("data-id");
    await app.quit();
    app = await launchApp({ dataDir, baseUrl: mock.baseUrl });
    await (await app.find("conversation-item", `[data-id="${conversationId}"]`)).click();
    const thumbnails = await app.waitFor("two thumbnails in the transcript", async () => {
      const found = await app.findAll("attachment", '[data-status="ready"]');
      return found.length === 2 ? found : null;
    });
    const loaded = await app.execute(
      `return [...document.querySelectorAll('[data-testid="message"] [data-testid="attachment"] img')]
         .map((img) => img.complete && img.naturalWidth > 0 && img.src.startsWith("data:image/"))`,
    );
    assert.equal(thumbnails.length, 2);
    assert.deepEqual(loaded, [true, true], "the thumbnails are real images");
  } catch (error) {
    await saveScreenshot(app, "images-failure");
    throw error;
  }
});
