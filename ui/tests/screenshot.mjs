// `npm run screenshot`: renders the main screen with a conversation loaded, in light and dark,
// to /tmp/parley-ui-{light,dark}.png (and the settings dialog), for a human look at the design.
import {
  paramsConversation,
  photoConversation,
  seedConversations,
} from "./fixtures/conversations.mjs";
import { launchBrowser, openApp, startServer, tid } from "./harness.mjs";

const out = process.env.SCREENSHOT_DIR || "/tmp";
const server = await startServer();
const browser = await launchBrowser();
try {
  for (const scheme of ["light", "dark"]) {
    const { page, context } = await openApp(browser, server.url, {
      colorScheme: scheme,
      conversations: seedConversations(),
    });
    await page.click(`${tid("conversation-item")}[data-id="c-rust"]`);
    await page.waitForSelector('[data-testid="message"][data-id="a-rust"]');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: `${out}/parley-ui-${scheme}.png` });
    await page.click(tid("settings-open"));
    await page.waitForSelector(`${tid("settings-dialog")}[open]`);
    await page.screenshot({ path: `${out}/parley-ui-settings-${scheme}.png` });
    await context.close();
  }
  // A first start (no key), and a reply with tool use, thinking and an error.
  const { page, context } = await openApp(browser, server.url, {
    keyStatus: "unset",
    conversations: seedConversations(),
  });
  await page.screenshot({ path: `${out}/parley-ui-empty.png` });
  await page.click(`${tid("conversation-item")}[data-id="c-blocks"]`);
  await page.waitForSelector('[data-testid="message"][data-id="a-blocks"]');
  await page.fill(tid("composer-input"), "And tomorrow?");
  await page.press(tid("composer-input"), "Enter");
  await page.waitForFunction(() => window.__MOCK__.lastChannel);
  await page.evaluate(() =>
    window.__MOCK__.finish({
      status: "error",
      error: {
        kind: "overloaded",
        message: "Overloaded",
        status: 529,
        requestId: "req_011CUfzGXoZ9yy1aE3Bq",
      },
    }),
  );
  await page.waitForSelector('[data-testid="message-error"]');
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${out}/parley-ui-blocks.png` });
  await context.close();

  // Images (issue 3): composer chips in every state, the transcript, the drop overlay, the viewer.
  for (const scheme of ["light", "dark"]) {
    const { page, context } = await openApp(browser, server.url, {
      colorScheme: scheme,
      conversations: [photoConversation(), ...seedConversations()],
    });
    await page.click(`${tid("conversation-item")}[data-id="c-photo"]`);
    await page.waitForSelector(`[data-testid="message"] ${tid("attachment")} img`);
    await page.evaluate(() => {
      window.__MOCK__.pickResult = [
        "/p/cat.jpg",
        "/p/a-very-long-screenshot-name-2025.png",
        "/p/bad.jpg",
        "/p/slow.png",
      ];
    });
    await page.click(tid("attach-image"));
    await page.waitForSelector(`${tid("attachment")}[data-status="error"]`);
    await page.evaluate(() => window.__MOCK__.holdImages());
    await page.evaluate(() => (window.__MOCK__.pickResult = ["/p/encoding.png"]));
    await page.click(tid("attach-image"));
    await page.fill(tid("composer-input"), "What differs between these?");
    await page.waitForSelector(`${tid("attachment")}[data-status="encoding"]`);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: `${out}/parley-ui-images-${scheme}.png` });
    await page.evaluate(() => window.__MOCK__.dragDrop("enter", { paths: ["/x/a.png"] }));
    await page.waitForSelector(tid("drop-overlay"));
    await page.screenshot({ path: `${out}/parley-ui-drop-${scheme}.png` });
    await page.evaluate(() => window.__MOCK__.dragDrop("leave"));
    await page.click(`[data-testid="message"] button${tid("attachment")}`);
    await page.waitForSelector(`${tid("image-viewer")}[data-state="ready"]`);
    await page.screenshot({ path: `${out}/parley-ui-viewer-${scheme}.png` });
    await page.evaluate(() => window.__MOCK__.releaseImages());
    await context.close();
  }
  // Request control (issue 10): the parameters panel with an error, stop reasons and costs, the
  // settings' prices and spend.
  for (const scheme of ["light", "dark"]) {
    const { page, context } = await openApp(browser, server.url, {
      colorScheme: scheme,
      conversations: [paramsConversation(), ...seedConversations()],
      presets: [
        {
          id: "p-review",
          name: "Code review",
          model: "claude-opus-4-1",
          systemPrompt: "Review the code.",
          params: {
            maxTokens: 8000,
            temperature: null,
            topP: null,
            topK: null,
            stopSequences: [],
            thinking: true,
            thinkingBudget: 4000,
          },
          isDefault: true,
          createdAt: 1,
          updatedAt: 1,
        },
      ],
    });
    await page.click(`${tid("conversation-item")}[data-id="c-params"]`);
    await page.waitForSelector('[data-testid="message"][data-id="a-long"]');
    await page.fill(tid("composer-input"), "Go on, please.");
    await page.fill(tid("composer-prefill"), "Chapter two:");
    await page.click(tid("params-open"));
    await page.fill(tid("param-top-k"), "0");
    await page.mouse.move(0, 0);
    await page.waitForSelector(tid("composer-token-count"));
    await page.screenshot({ path: `${out}/parley-ui-params-${scheme}.png` });
    await page.click(tid("params-open"));
    await page.screenshot({ path: `${out}/parley-ui-stops-${scheme}.png` });
    await page.click(tid("settings-open"));
    await page.waitForSelector(`${tid("settings-dialog")}[open]`);
    await page.locator(tid("settings-prices")).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${out}/parley-ui-prices-${scheme}.png` });
    await page.locator(tid("settings-spend")).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${out}/parley-ui-spend-${scheme}.png` });
    await context.close();
  }
  console.log(`screenshots written to ${out}/parley-ui-*.png`);
} finally {
  await browser.close();
  await server.close();
}
