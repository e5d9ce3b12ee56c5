// End to end: API keys are bound to the origin they were saved for. The built app, a real
// Secret Service (scripts/with-keyring.sh), and a plain HTTP listener standing in for a gateway
// that must never see the environment's Anthropic key.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";

import {
  keychainLookup,
  launchApp,
  newDataDir,
  saveScreenshot,
  sendMessage,
  typeAndSaveKey,
} from "./harness.mjs";

const ENV_KEY = "sk-ant-env-must-stay-home-0123456789";
const GATEWAY_KEY = "sk-gateway-e2e-0123456789";

/** Every request the stand-in gateway received: method, path and headers. */
const received = [];
let gateway;
let gatewayUrl;

before(async () => {
  gateway = createServer((request, response) => {
    received.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
    });
    request.resume();
    response.writeHead(401, { "content-type": "application/json" });
    response.end(
      JSON.stringify({
        type: "error",
        error: { type: "authentication_error", message: "invalid x-api-key" },
      }),
    );
  });
  await new Promise((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  gatewayUrl = `http://127.0.0.1:${gateway.address().port}`;
});
after(() => gateway?.close());

test("ANTHROPIC_API_KEY never reaches another origin; a new origin asks for its own key", async (t) => {
  const app = await launchApp({
    dataDir: newDataDir(),
    baseUrl: gatewayUrl,
    extraEnv: { ANTHROPIC_API_KEY: ENV_KEY },
  });
  t.after(() => app.quit());
  try {
    // The environment holds an Anthropic key, but the base URL is another origin: no key, so
    // the first start's key setup asks for one for that origin.
    const setup = await app.find("onboarding");
    assert.equal(await setup.attr("data-origin"), new URL(gatewayUrl).origin);

    // Sending anyway reaches nobody: the error names the origin that needs a key.
    await sendMessage(app, "this must not leave the machine with the env key");
    await app.waitFor("the no-key error", async () => {
      const toasts = await app.findAll("toast", '[data-kind="error"]');
      for (const toast of toasts)
        if ((await toast.text()).includes(gatewayUrl)) return true;
      return false;
    });
    assert.equal(received.length, 0, "the gateway received no request at all");

    // Settings describe the key of the chosen origin and ask for it.
    await (await app.find("settings-open")).click();
    const status = await app.find("settings-api-key-status");
    assert.equal(await status.attr("data-state"), "unset");
    assert.equal(await status.attr("data-origin"), gatewayUrl);
    await app.find("settings-api-key-needed");
    const keyInput = await app.find("settings-api-key");
    assert.equal(
      await keyInput.attr("aria-label"),
      "API key for the local gateway",
    );

    // A key saved now is this origin's, in the real keychain, and is what the gateway gets.
    await typeAndSaveKey(app, GATEWAY_KEY);
    assert.equal(keychainLookup(gatewayUrl), GATEWAY_KEY);
    await app.find("settings-key-origin", `[data-origin="${gatewayUrl}"]`);

    // Typing another origin (another port) switches the status to that origin, unsaved.
    const otherUrl = `http://127.0.0.1:${gateway.address().port === 1 ? 2 : 1}`;
    const url = await app.find("settings-base-url");
    await url.clear();
    await url.type(otherUrl);
    await app.waitFor("the status of the typed origin", async () => {
      const shown = await app.find("settings-api-key-status");
      return (
        (await shown.attr("data-origin")) === otherUrl &&
        (await shown.attr("data-state")) === "unset"
      );
    });
    await app.find("settings-api-key-needed");
    await (await app.find("settings-close")).click();

    // The saved origin is unchanged: a send goes to the gateway with its own key only.
    await sendMessage(app, "now with the gateway's key");
    await app.waitFor("the gateway's request", async () => received.length > 0);
    for (const request of received) {
      assert.equal(request.headers["x-api-key"], GATEWAY_KEY);
      assert.ok(
        !JSON.stringify(request.headers).includes(ENV_KEY),
        "the environment's key is in no header",
      );
    }
  } catch (error) {
    await saveScreenshot(app, "keys-origin");
    throw error;
  }
});
