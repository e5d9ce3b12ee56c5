// Math in replies (issue 12): LaTeX streamed in pieces renders as MathML once each formula is
// closed, prices stay text, and copying a reply gives the LaTeX source. Run with
// `node tests/run.mjs tests/math.test.mjs`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { appPerTest, emit, finish, messageSel, send, tid } from "./harness.mjs";

const app = appPerTest();

/** Emits one text delta and waits until the reply shows `until` (a text it now contains). */
async function delta(page, id, text, until) {
  await emit(page, { type: "textDelta", messageId: id, index: 0, text });
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.textContent.includes(want),
    [messageSel(id, ` ${tid("message-content")}`), until],
  );
}

describe("math in replies", () => {
  test("inline and display LaTeX stream in as <math>; copying gives the LaTeX source", async () => {
    const page = await app();
    const id = await send(page, "Some physics please");
    const content = messageSel(id, ` ${tid("message-content")}`);
    await emit(page, {
      type: "blockStart",
      messageId: id,
      index: 0,
      block: { type: "text", text: "" },
    });

    await delta(page, id, "Energy is $E = m", "$E = m");
    assert.equal(await page.locator(`${content} math`).count(), 0, "an open formula is source");
    await delta(page, id, "c^2$ at rest.\n\nThe integral:\n\n$$\\int_0^1", "The integral");
    assert.equal(await page.locator(`${content} math`).count(), 1, "the closed one is math");
    assert.equal(
      await page.locator(`${content} math[display="block"]`).count(),
      0,
      "an unclosed $$ stays source while streaming",
    );
    assert.match(await page.locator(content).innerText(), /\$\$\\int_0\^1/);
    await delta(page, id, " x\\,dx = \\frac{1}{2}$$\n\nIt costs $5 and $10.", "It costs");
    await finish(page);
    await page.waitForSelector(messageSel(id, '[data-status="done"]'));

    const tex = await page.$$eval(`${content} math`, (maths) =>
      maths.map((m) => ({
        display: m.getAttribute("display") === "block",
        tex: m.querySelector('annotation[encoding="application/x-tex"]')?.textContent,
      })),
    );
    assert.deepEqual(tex, [
      { display: false, tex: "E = mc^2" },
      { display: true, tex: "\\int_0^1 x\\,dx = \\frac{1}{2}" },
    ]);
    assert.ok(
      await page.locator(`${content} math[display="block"] mfrac`).count(),
      "the fraction is MathML layout, not text",
    );
    const box = await page.locator(`${content} math[display="block"]`).boundingBox();
    assert.ok(box && box.height > 20, "the webview lays the display formula out");
    const shown = await page.locator(content).innerText();
    assert.match(shown, /It costs \$5 and \$10\./, "prices stay text");
    assert.doesNotMatch(shown, /\$E|\$\$/, "no delimiters are left around rendered math");

    // Select the whole reply and copy it as a user would.
    await page.evaluate((sel) => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector(sel));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }, content);
    await page.keyboard.press("Control+C");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /Energy is \$E = mc\^2\$ at rest\./, "inline math copies as $...$");
    assert.match(copied, /\$\$\\int_0\^1 x\\,dx = \\frac\{1\}\{2\}\$\$/, "display as $$...$$");
    assert.match(copied, /It costs \$5 and \$10\./);

    // The message's Copy button still copies the markdown source as it came.
    await page.click(messageSel(id, ` ${tid("message-copy")}`));
    await page.waitForFunction(async () =>
      (await navigator.clipboard.readText()).startsWith("Energy is $E = mc^2$ at rest.\n\n"),
    );
  });

  test("malformed LaTeX shows as its source, never an error", async () => {
    const page = await app();
    const id = await send(page, "Broken math");
    await emit(
      page,
      { type: "blockStart", messageId: id, index: 0, block: { type: "text", text: "" } },
      { type: "textDelta", messageId: id, index: 0, text: "Bad: $\\frac{1}{$ and $\\oops{x}$." },
    );
    await finish(page);
    const content = messageSel(id, ` ${tid("message-content")}`);
    await page.waitForSelector(messageSel(id, '[data-status="done"]'));
    assert.equal(await page.locator(`${content} math`).count(), 0);
    assert.equal(await page.locator(content).innerText(), "Bad: $\\frac{1}{$ and $\\oops{x}$.");
  });
});
