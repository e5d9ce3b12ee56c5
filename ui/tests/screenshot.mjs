// `npm run screenshot`: renders the main screen with a conversation loaded, in light and dark,
// to /tmp/parley-ui-{light,dark}.png (and the settings dialog), for a human look at the design.
import { seedConversations } from "./fixtures/conversations.mjs";
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
  console.log(`screenshots written to ${out}/parley-ui-*.png`);
} finally {
  await browser.close();
  await server.close();
}
