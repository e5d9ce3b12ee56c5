// A small W3C WebDriver client for driving the real Parley app through WebKitWebDriver.
//
// WebKitWebDriver is started per app launch with TAURI_WEBVIEW_AUTOMATION=true in its environment;
// the app inherits that environment, which is how each launch gets its own PARLEY_DATA_DIR and
// ANTHROPIC_BASE_URL. (tauri-driver would only proxy to the same WebKitWebDriver on Linux.)

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export class Driver {
  /** Starts WebKitWebDriver and the app `binary` with `env` added to the environment. */
  static async launch(binary, env) {
    const port = await freePort();
    const child = spawn("WebKitWebDriver", [`--port=${port}`], {
      env: { ...process.env, ...env, TAURI_WEBVIEW_AUTOMATION: "true" },
      stdio: ["ignore", "inherit", "inherit"],
      // Its own process group, so quit() can stop the driver and the app it started together.
      detached: true,
    });
    const driver = new Driver(`http://127.0.0.1:${port}`, child);
    driver.binaryPath = binary;
    await driver.waitReady();
    const session = await driver.request("POST", "/session", {
      capabilities: {
        alwaysMatch: { "webkitgtk:browserOptions": { binary, args: [] } },
      },
    });
    driver.session = session.sessionId;
    // The first lookup can come before the page has loaded.
    await driver.cmd("POST", "/timeouts", { implicit: 10000, script: 30000 });
    return driver;
  }

  constructor(base, child) {
    this.base = base;
    this.child = child;
    this.session = null;
  }

  async waitReady() {
    for (let i = 0; i < 200; i++) {
      try {
        const res = await fetch(`${this.base}/status`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error("WebKitWebDriver did not start");
  }

  async request(
    method,
    path,
    body,
    { retries = method === "GET" ? 3 : 0, timeoutMs = 60000 } = {},
  ) {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`${this.base}${path}`, {
          method,
          headers: body ? { "content-type": "application/json" } : {},
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const json = await res.json().catch(() => ({}));
        if (!res.ok) {
          const err = new Error(
            `${method} ${path}: ${res.status} ${json?.value?.error}: ${json?.value?.message}`,
          );
          err.webdriverError = json?.value?.error;
          throw err;
        }
        return json.value;
      } catch (error) {
        if (error.webdriverError || attempt >= retries) throw error;
        await sleep(200);
      }
    }
  }

  cmd(method, path, body, options) {
    return this.request(
      method,
      `/session/${this.session}${path}`,
      body,
      options,
    );
  }

  async find(testid, extra = "") {
    const value = await this.cmd("POST", "/element", {
      using: "css selector",
      value: `[data-testid="${testid}"]${extra}`,
    });
    return new Element(this, value[ELEMENT]);
  }

  async findAll(testid, extra = "") {
    const values = await this.cmd("POST", "/elements", {
      using: "css selector",
      value: `[data-testid="${testid}"]${extra}`,
    });
    return values.map((v) => new Element(this, v[ELEMENT]));
  }

  execute(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Polls `check` (an async function returning a truthy value) until it succeeds. */
  async waitFor(what, check, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        const value = await check();
        if (value) return value;
      } catch (error) {
        last = error;
      }
      await sleep(100);
    }
    throw new Error(
      `timed out waiting for ${what}${last ? `: ${last.message}` : ""}`,
    );
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  /** Ends the session, which closes the app, and stops the driver and anything it started. */
  async quit() {
    try {
      if (this.session)
        await this.cmd("DELETE", "", undefined, { timeoutMs: 10000 });
    } catch {
      // the app may already be gone
    }
    this.session = null;
    await stopGroup(this.child);
  }
}

/** SIGTERM to a detached child's process group, SIGKILL if it is still there after 3 s. */
export async function stopGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

export class Element {
  constructor(driver, id) {
    this.driver = driver;
    this.id = id;
  }
  click() {
    return this.driver.cmd("POST", `/element/${this.id}/click`, {});
  }
  type(text) {
    return this.driver.cmd("POST", `/element/${this.id}/value`, { text });
  }
  clear() {
    return this.driver.cmd("POST", `/element/${this.id}/clear`, {});
  }
  attr(name) {
    return this.driver.cmd("GET", `/element/${this.id}/attribute/${name}`);
  }
  text() {
    return this.driver.cmd("GET", `/element/${this.id}/text`);
  }
  async find(testid) {
    const value = await this.driver.cmd("POST", `/element/${this.id}/element`, {
      using: "css selector",
      value: `[data-testid="${testid}"]`,
    });
    return new Element(this.driver, value[ELEMENT]);
  }
}

export const ENTER = "\uE007";
