// UI tests of image attachments (issue 3) against the fake backend: chips and their states,
// refusals, the 20-image cap, native drag and drop, paste, sending, the transcript and the viewer.
// Run with `npm run test:ui` (builds ui/dist first when it is stale).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  photoConversation,
  REMOTE_IMAGE,
  seedConversations,
  SHA_GONE,
  SHA_PHOTO,
} from "./fixtures/conversations.mjs";
import { calls, messageSel, appPerTest, tid } from "./harness.mjs";

const REMOTE = REMOTE_IMAGE;

const app = appPerTest(() => ({ conversations: [photoConversation(), ...seedConversations()] }));

const CHIPS = `${tid("composer-attachments")} ${tid("attachment")}`;
const chip = (n) => `${CHIPS}:nth-child(${n})`;
const mock = (page, fn, arg) => page.evaluate(fn, arg);
const count = (page, selector) => page.locator(selector).count();

/** Status and media type of every composer chip, in order. */
function chips(page) {
  return page.$$eval(CHIPS, (els) =>
    els.map((el) => `${el.dataset.status}:${el.dataset.mediaType ?? ""}`),
  );
}

/** Fires a paste on the composer with a DataTransfer built in the page; returns defaultPrevented. */
function paste(page, { files = [], text = null } = {}) {
  return page.evaluate(
    ({ sel, files, text }) => {
      const data = new DataTransfer();
      for (const f of files)
        data.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      if (text !== null) data.setData("text/plain", text);
      const event = new ClipboardEvent("paste", {
        clipboardData: data,
        bubbles: true,
        cancelable: true,
      });
      document.querySelector(sel).dispatchEvent(event);
      return event.defaultPrevented;
    },
    { sel: tid("composer-input"), files, text },
  );
}

describe("attaching images", () => {
  test("the attach button: chips are encoding, then ready with size and tokens; send waits", async () => {
    const page = await app();
    await mock(page, () => window.__MOCK__.holdImages());
    await page.fill(tid("composer-input"), "Compare these");
    await page.click(tid("attach-image"));
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, CHIPS);
    assert.deepEqual(await chips(page), ["encoding:", "encoding:"]);
    assert.ok(await page.isDisabled(tid("composer-send")), "no sending while images encode");
    assert.match(await page.locator(chip(1)).innerText(), /cat\.jpg[\s\S]*Preparing/);
    assert.equal(await count(page, `${chip(1)} .spinner`), 1, "a spinner while encoding");
    assert.equal(await page.getAttribute(tid("attach-image"), "aria-label"), "Attach images");

    const prepared = await calls(page, "prepare_image_file");
    assert.deepEqual(
      prepared.map((c) => c.args.path),
      ["/home/ada/Pictures/cat.jpg", "/home/ada/Pictures/diagram.png"],
      "one call per file, all started at once",
    );

    await mock(page, () => window.__MOCK__.releaseImages());
    await page.waitForSelector(`${chip(2)}[data-status="ready"]`);
    await page.waitForSelector(`${chip(1)}[data-status="ready"]`);
    assert.deepEqual(await chips(page), ["ready:image/jpeg", "ready:image/png"]);
    const first = await page.locator(chip(1)).innerText();
    assert.match(first, /cat\.jpg/);
    assert.match(first, /1568×1176/);
    assert.match(first, /~2,459 tokens/, "width * height / 750, rounded up");
    const thumb = await page.getAttribute(`${chip(1)} img`, "src");
    assert.ok(thumb.startsWith("data:image/png;base64,"), "the draft's thumbnail is shown");
    assert.ok(!(await page.isDisabled(tid("composer-send"))));

    const remove = page.locator(`${chip(1)} ${tid("attachment-remove")}`);
    assert.equal(await remove.getAttribute("aria-label"), "Remove cat.jpg");
    await remove.click();
    assert.deepEqual(await chips(page), ["ready:image/png"]);
    assert.equal(await page.inputValue(tid("composer-input")), "Compare these");
  });

  test("refusals name the file and the reason; typed text is kept and refused chips are not sent", async () => {
    const page = await app();
    await page.fill(tid("composer-input"), "keep me");
    const refusals = [
      ["notes-notimage.txt", "image_not_image", /not an image/],
      ["empty.png", "image_empty", /is empty/],
      ["bad-scan.jpg", "image_corrupt", /truncated or damaged/],
      ["IMG_0001.heic", "image_unsupported", /not supported/],
      ["bomb.png", "image_too_many_pixels", /more than Parley decodes/],
      ["huge.tiff", "image_too_large", /5 MB/],
    ];
    await mock(
      page,
      (paths) => (window.__MOCK__.pickResult = paths),
      refusals.map(([name]) => `/tmp/${name}`),
    );
    await page.click(tid("attach-image"));
    await page.waitForFunction(
      (sel) =>
        [...document.querySelectorAll(sel)].filter((c) => c.dataset.status === "error").length ===
        6,
      CHIPS,
    );
    for (const [i, [name, , reason]] of refusals.entries()) {
      const error = page.locator(`${chip(i + 1)} ${tid("attachment-error")}`);
      const shown = await error.innerText();
      assert.ok(shown.includes(name), `the message names ${name}: ${shown}`);
      assert.match(shown, reason);
    }
    assert.equal(await page.inputValue(tid("composer-input")), "keep me", "nothing typed is lost");
    assert.equal(await count(page, tid("image-placement-toggle")), 0, "no images to place");

    const dismiss = page.locator(`${chip(1)} ${tid("attachment-remove")}`);
    assert.equal(await dismiss.getAttribute("aria-label"), "Dismiss notes-notimage.txt");
    await dismiss.click();
    assert.equal(await count(page, CHIPS), 5);

    await page.press(tid("composer-input"), "Enter");
    await page.waitForFunction(() => window.__MOCK__.callsOf("send_message").length === 1);
    const [send] = await calls(page, "send_message");
    assert.equal(send.args.request.text, "keep me");
    assert.deepEqual(send.args.request.images, [], "refused chips are not sent");
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 0, CHIPS);
  });

  test("at most 20 images: the 21st is refused with image_too_many", async () => {
    const page = await app();
    await mock(page, () => {
      window.__MOCK__.imageDelayMs = 0;
      window.__MOCK__.pickResult = Array.from({ length: 21 }, (_, i) => `/p/photo-${i + 1}.jpg`);
    });
    await page.click(tid("attach-image"));
    await page.waitForFunction(
      (sel) => [...document.querySelectorAll(sel)].every((c) => c.dataset.status !== "encoding"),
      CHIPS,
    );
    const states = await chips(page);
    assert.equal(states.filter((s) => s.startsWith("ready")).length, 20);
    assert.equal(states[20], "error:");
    assert.match(
      await page.locator(`${chip(21)} ${tid("attachment-error")}`).innerText(),
      /photo-21\.jpg.*at most 20 images/,
    );
    assert.equal((await calls(page, "prepare_image_file")).length, 20, "the 21st is not encoded");
  });

  test("a failed send keeps the text and the images", async () => {
    const page = await app();
    await mock(page, () => {
      window.__MOCK__.handlers.send_message = () => {
        throw {
          kind: "image_missing",
          message: '"cat.jpg" is no longer in the image store.',
          status: null,
          requestId: null,
        };
      };
    });
    await page.click(tid("attach-image"));
    await page.waitForFunction(
      (sel) =>
        [...document.querySelectorAll(sel)].filter((c) => c.dataset.status === "ready").length ===
        2,
      CHIPS,
    );
    await page.fill(tid("composer-input"), "what is this?");
    await page.click(tid("composer-send"));
    const toast = page.locator(`${tid("toast")}[data-kind="error"]`);
    await toast.waitFor();
    assert.match(await toast.innerText(), /Image missing[\s\S]*cat\.jpg/);
    assert.equal(await page.inputValue(tid("composer-input")), "what is this?");
    assert.deepEqual(await chips(page), ["ready:image/jpeg", "ready:image/png"]);
  });
});

describe("drag and drop", () => {
  test("the overlay shows on enter and over, hides on leave and drop; a drop adds chips", async () => {
    const page = await app();
    await page.waitForFunction(() =>
      ["enter", "over", "drop", "leave"].every((t) =>
        window.__MOCK__.listeners.some((l) => l.event === `tauri://drag-${t}`),
      ),
    );
    const [listen] = await calls(page, "plugin:event|listen");
    assert.deepEqual(listen.args.target, { kind: "Webview", label: "main" });

    const paths = ["/home/ada/Desktop/receipt.png", "/home/ada/Desktop/notimage.pdf"];
    await mock(page, (p) => window.__MOCK__.dragDrop("enter", { paths: p }), paths);
    await page.waitForSelector(tid("drop-overlay"));
    await mock(page, () => window.__MOCK__.dragDrop("over", { position: { x: 300, y: 220 } }));
    assert.equal(await count(page, tid("drop-overlay")), 1);
    await mock(page, () => window.__MOCK__.dragDrop("leave"));
    await page.waitForSelector(tid("drop-overlay"), { state: "detached" });
    assert.equal((await calls(page, "prepare_image_file")).length, 0, "leave drops nothing");

    await mock(page, () => window.__MOCK__.holdImages());
    await mock(page, (p) => window.__MOCK__.dragDrop("enter", { paths: p }), paths);
    await page.waitForSelector(tid("drop-overlay"));
    await mock(page, (p) => window.__MOCK__.dragDrop("drop", { paths: p }), paths);
    await page.waitForSelector(tid("drop-overlay"), { state: "detached" });
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, CHIPS);
    assert.deepEqual(await chips(page), ["encoding:", "encoding:"]);
    await mock(page, () => window.__MOCK__.releaseImages());
    await page.waitForSelector(`${chip(1)}[data-status="ready"][data-media-type="image/png"]`);
    await page.waitForSelector(`${chip(2)}[data-status="error"]`);
    assert.match(
      await page.locator(`${chip(2)} ${tid("attachment-error")}`).innerText(),
      /notimage\.pdf/,
    );
    assert.deepEqual(
      (await calls(page, "prepare_image_file")).map((c) => c.args.path),
      paths,
    );
  });
});

describe("paste", () => {
  test("a pasted image file goes to prepare_image_bytes with its bytes and name", async () => {
    const page = await app();
    await page.fill(tid("composer-input"), "typed");
    const bytes = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3];
    const prevented = await paste(page, {
      files: [{ name: "Screenshot 2025.png", type: "image/png", bytes }],
    });
    assert.equal(prevented, true);
    await page.waitForSelector(`${chip(1)}[data-status="ready"][data-media-type="image/png"]`);
    const [call] = await calls(page, "prepare_image_bytes");
    assert.equal(call.args.byteLength, bytes.length);
    assert.deepEqual(call.args.bytes, bytes, "the raw bytes are the IPC body");
    assert.deepEqual(call.args.headers, { "x-parley-name": "Screenshot%202025.png" });
    assert.match(await page.locator(chip(1)).innerText(), /Screenshot 2025\.png/);
    assert.equal(await page.inputValue(tid("composer-input")), "typed");
    assert.equal((await calls(page, "paste_clipboard_image")).length, 0);
  });

  test("a pasted image URL becomes a url chip; other text pastes as text", async () => {
    const page = await app();
    const url = "https://cdn.example.org/photos/kyoto%20temple.JPG";
    assert.equal(await paste(page, { text: url }), true);
    await page.waitForSelector(`${chip(1)}[data-status="ready"][data-media-type="image/jpeg"]`);
    const shown = await page.locator(chip(1)).innerText();
    assert.match(shown, /kyoto temple\.JPG/);
    assert.match(shown, /cdn\.example\.org/);
    assert.equal(await count(page, `${chip(1)} img`), 0, "a URL image is never loaded");
    assert.equal(await page.inputValue(tid("composer-input")), "");

    assert.equal(await paste(page, { text: "see https://cdn.example.org/a.png" }), false);
    assert.equal(await paste(page, { text: "http://cdn.example.org/a.png" }), false);
    assert.equal(await count(page, CHIPS), 1);
    assert.equal((await calls(page, "paste_clipboard_image")).length, 0);
  });

  test("a paste without text or files asks Rust for the clipboard image", async () => {
    const page = await app();
    await paste(page, {});
    await page.waitForFunction(() => window.__MOCK__.callsOf("paste_clipboard_image").length === 1);
    await page.waitForTimeout(50);
    assert.equal(await count(page, CHIPS), 0, "no image on the clipboard: nothing happens");

    await mock(page, () => (window.__MOCK__.clipboardImage = "clip.png"));
    await paste(page, {});
    await page.waitForSelector(`${chip(1)}[data-status="ready"]`);
    assert.match(await page.locator(chip(1)).innerText(), /pasted image/);
  });
});

describe("sending images", () => {
  test("images are sent in the arranged order with the placement; a message may be images only", async () => {
    const page = await app();
    await page.click(tid("attach-image"));
    await page.waitForFunction(
      (sel) =>
        [...document.querySelectorAll(sel)].filter((c) => c.dataset.status === "ready").length ===
        2,
      CHIPS,
    );
    await paste(page, { text: REMOTE });
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 3, CHIPS);
    assert.ok(await page.isDisabled(`${chip(1)} ${tid("attachment-move-left")}`));
    assert.ok(await page.isDisabled(`${chip(3)} ${tid("attachment-move-right")}`));

    // Keyboard: move the diagram to the front; the focus stays on the moved chip.
    await page.focus(`${chip(2)} ${tid("attachment-move-left")}`);
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.innerText.includes("diagram.png"),
      chip(1),
    );
    assert.equal(
      await page.evaluate(() => document.activeElement?.dataset.testid),
      "attachment-move-right",
      "at the left end the focus moves to the other arrow",
    );
    await page.click(`${chip(2)} ${tid("attachment-move-right")}`);
    await page.click(`${chip(3)} ${tid("attachment-move-left")}`);
    assert.deepEqual(await chips(page), [
      "ready:image/png",
      "ready:image/jpeg",
      "ready:image/webp",
    ]);

    const toggle = tid("image-placement-toggle");
    assert.equal(await page.getAttribute(toggle, "data-value"), "beforeText");
    await page.click(toggle);
    assert.equal(await page.getAttribute(toggle, "data-value"), "afterText");

    assert.equal(await page.inputValue(tid("composer-input")), "");
    assert.ok(!(await page.isDisabled(tid("composer-send"))), "images alone can be sent");
    await page.click(tid("composer-send"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("send_message").length === 1);
    const [send] = await calls(page, "send_message");
    const sha = (name) => page.evaluate((n) => window.__MOCK__.sha(n), name);
    assert.deepEqual(send.args.request.images, [
      { type: "stored", sha256: await sha("diagram.png") },
      { type: "stored", sha256: await sha("cat.jpg") },
      { type: "url", url: REMOTE },
    ]);
    assert.equal(send.args.request.imagePlacement, "afterText");
    assert.equal(send.args.request.text, "");
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 0, CHIPS);

    // The sent message shows the images in order; stored ones reuse the draft's thumbnail.
    const user = '[data-testid="message"][data-role="user"]';
    await page.waitForSelector(`${user} ${tid("attachment")}`);
    const shown = await page.$$eval(`${user} ${tid("attachment")}`, (els) =>
      els.map((el) => `${el.dataset.status}:${el.dataset.mediaType ?? ""}`),
    );
    assert.deepEqual(shown, ["ready:image/png", "ready:image/jpeg", "ready:image/webp"]);
    assert.equal((await calls(page, "read_image")).length, 0, "drafts' thumbnails are cached");
  });

  test("text before images when asked, both kept in the message", async () => {
    const page = await app();
    await mock(page, () => (window.__MOCK__.pickResult = ["/p/chart.png"]));
    await page.click(tid("attach-image"));
    await page.waitForSelector(`${chip(1)}[data-status="ready"]`);
    await page.click(tid("image-placement-toggle"));
    await page.fill(tid("composer-input"), "Explain the chart");
    await page.press(tid("composer-input"), "Enter");
    await page.waitForFunction(() => window.__MOCK__.callsOf("send_message").length === 1);
    const [send] = await calls(page, "send_message");
    assert.equal(send.args.request.imagePlacement, "afterText");
    assert.equal(send.args.request.text, "Explain the chart");
    const user = '[data-testid="message"][data-role="user"]';
    await page.waitForSelector(`${user} ${tid("attachment")}`);
    const textFirst = await page.evaluate((sel) => {
      const content = document.querySelector(`${sel} [data-testid="message-content"]`);
      return content.firstElementChild.classList.contains("plain");
    }, user);
    assert.ok(textFirst, "the text comes before the image");
  });
});

describe("transcript images", () => {
  test("thumbnails load with read_image, in block order; links for URL images; errors per image", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-photo"]`);
    const msg = messageSel("u-photo");
    await page.waitForSelector(`${msg} ${tid("attachment")} img`);
    const thumbs = await calls(page, "read_image");
    assert.deepEqual(
      thumbs.map((c) => c.args).sort((a, b) => a.sha256.localeCompare(b.sha256)),
      [
        { sha256: SHA_PHOTO, variant: "thumbnail" },
        { sha256: SHA_GONE, variant: "thumbnail" },
      ].sort((a, b) => a.sha256.localeCompare(b.sha256)),
    );
    const src = await page.getAttribute(`${msg} ${tid("attachment")} img`, "src");
    assert.ok(src.startsWith("data:image/png;base64,"));

    // Order as in the message: image, text, link, image.
    const order = await page.evaluate((sel) => {
      const content = document.querySelector(`${sel} [data-testid="message-content"]`);
      return [...content.children].map((el) =>
        el.dataset.testid === "attachment"
          ? `${el.tagName.toLowerCase()}:${el.dataset.status}`
          : "text",
      );
    }, msg);
    assert.deepEqual(order, ["button:ready", "text", "a:ready", "button:ready"]);
    const link = page.locator(`${msg} a${tid("attachment")}`);
    assert.equal(await link.getAttribute("href"), REMOTE);
    assert.equal(await link.getAttribute("data-media-type"), "image/webp");
    assert.match(await link.innerText(), /sunset\.webp[\s\S]*images\.example\.com/);
    await link.click();
    await page.waitForFunction(
      () => window.__MOCK__.callsOf("plugin:opener|open_url").length === 1,
    );
    assert.ok(page.url().startsWith(app.baseUrl()), "the webview did not navigate");
    assert.equal(await count(page, `img[src^="https:"]`), 0, "no remote image is loaded");
  });

  test("a missing stored image says so in its place", async () => {
    const page = await app();
    await mock(
      page,
      (gone) => {
        window.__MOCK__.handlers.read_image = (args, defaults) => {
          if (args.sha256 === gone) {
            throw {
              kind: "image_missing",
              message: "The image file is gone from the image store.",
              status: null,
              requestId: null,
            };
          }
          return defaults.read_image(args);
        };
      },
      SHA_GONE,
    );
    await page.click(`${tid("conversation-item")}[data-id="c-photo"]`);
    const failed = `${messageSel("u-photo")} ${tid("attachment")}[data-status="error"]`;
    await page.waitForSelector(failed);
    assert.match(
      await page.locator(`${failed} ${tid("attachment-error")}`).innerText(),
      /gone from the image store/,
    );
  });

  test("a click or Enter opens the full image in a viewer; Escape closes it", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-photo"]`);
    const thumb = `${messageSel("u-photo")} button${tid("attachment")}`;
    await page.waitForSelector(`${thumb} img`);
    await page.locator(thumb).first().click();
    const viewer = page.locator(tid("image-viewer"));
    await viewer.waitFor();
    await page.waitForSelector(`${tid("image-viewer")}[data-state="ready"] img`);
    const full = (await calls(page, "read_image")).filter((c) => c.args.variant === "full");
    assert.deepEqual(
      full.map((c) => c.args),
      [{ sha256: SHA_PHOTO, variant: "full" }],
    );
    assert.equal(await viewer.getAttribute("aria-label"), "Image viewer");
    const natural = await page.$eval(`${tid("image-viewer")} img`, (img) => img.naturalWidth);
    assert.equal(natural, 800, "the full variant is shown");
    assert.ok(
      await page.evaluate(
        (sel) => document.querySelector(sel).contains(document.activeElement),
        tid("image-viewer"),
      ),
      "the focus is inside the viewer",
    );
    await page.keyboard.press("Tab");
    assert.ok(
      await page.evaluate(
        (sel) =>
          document.querySelector(sel).contains(document.activeElement) ||
          document.activeElement === document.body,
        tid("image-viewer"),
      ),
      "Tab does not leave the viewer for the page behind it",
    );
    await page.keyboard.press("Escape");
    await viewer.waitFor({ state: "detached" });
    assert.equal(
      await page.evaluate(() => document.activeElement?.dataset.testid),
      "attachment",
      "the focus returns to the thumbnail",
    );

    await page.keyboard.press("Enter");
    await viewer.waitFor();
    await page.click(`${tid("image-viewer")} [aria-label="Close image"]`);
    await viewer.waitFor({ state: "detached" });
  });

  test("edit and resend shows the images read-only and keeps them", async () => {
    const page = await app();
    await page.click(`${tid("conversation-item")}[data-id="c-photo"]`);
    await page.waitForSelector(`${messageSel("u-photo")} ${tid("attachment")} img`);
    await page.click(`${messageSel("u-photo")} ${tid("message-edit")}`);
    const kept = `${messageSel("u-photo")} ${tid("message-edit-images")}`;
    await page.waitForSelector(`${kept} ${tid("attachment")}`);
    assert.equal(await count(page, `${kept} ${tid("attachment")}`), 3);
    assert.equal(await count(page, `${messageSel("u-photo")} ${tid("attachment-remove")}`), 0);
    await page.fill(tid("message-edit-input"), "And the colour of the sofa?");
    await page.click(tid("message-edit-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("edit_and_resend").length === 1);
    const [edit] = await calls(page, "edit_and_resend");
    assert.equal(edit.args.messageId, "u-photo");
    assert.equal(edit.args.text, "And the colour of the sofa?");
    const user = '[data-testid="message"][data-role="user"]';
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.innerText.includes("colour of the sofa"),
      `${user} ${tid("message-content")}`,
    );
    assert.equal(await count(page, `${user} ${tid("attachment")}`), 3, "the images stay");
  });
});

describe("image settings", () => {
  test("'Send images at full resolution' round-trips through save_settings", async () => {
    const page = await app();
    await page.click(tid("settings-open"));
    const box = tid("settings-image-full-resolution");
    await page.waitForSelector(`${tid("settings-dialog")}[open] ${box}`);
    assert.equal(await page.isChecked(box), false, "off by default");
    await page.check(box);
    await page.click(tid("settings-save"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("save_settings").length === 1);
    const [save] = await calls(page, "save_settings");
    assert.equal(save.args.settings.imageFullResolution, true);
    await page.click(tid("settings-close"));
    await page.click(tid("settings-open"));
    await page.waitForFunction(() => window.__MOCK__.callsOf("get_settings").length >= 3);
    await page.waitForSelector(`${box}:checked`);
  });

  test("chips and the drop overlay follow the dark theme", async () => {
    const page = await app({ colorScheme: "dark" });
    await page.click(tid("attach-image"));
    await page.waitForSelector(`${chip(2)}[data-status="ready"]`);
    const chipBg = await page.$eval(chip(1), (el) => getComputedStyle(el).backgroundColor);
    assert.equal(chipBg, "rgb(43, 42, 39)", "the dark muted surface");
    await page.waitForFunction(() => window.__MOCK__.listeners.length >= 4);
    await mock(page, () => window.__MOCK__.dragDrop("enter", { paths: ["/x/a.png"] }));
    await page.waitForSelector(tid("drop-overlay"));
    const cardBg = await page.$eval(
      tid("drop-overlay"),
      (el) => getComputedStyle(el.firstElementChild).backgroundColor,
    );
    assert.equal(cardBg, "rgb(38, 37, 35)", "the dark surface");
    await mock(page, () => window.__MOCK__.dragDrop("leave"));
    await page.waitForSelector(tid("drop-overlay"), { state: "detached" });
  });
});
