// The e2e tests' WebDriver client (tests/e2e/webdriver.mjs) with its HTTP requests made through
// node:http instead of fetch.
//
// Why: node's fetch (undici) gives up on a response whose headers take longer than 300 s
// (headersTimeout) and reuses keep-alive sockets that WebKitWebDriver may already have closed;
// both surface as a bare "fetch failed". A benchmark script that streams a whole reply inside
// one "execute async script" request can take minutes on a debug build, so here every request
// gets its own connection and only the caller's time-out applies.

import { request as httpRequest } from "node:http";

import { Driver } from "../../tests/e2e/webdriver.mjs";

/** One HTTP request with a JSON body; resolves to { status, json } (json is {} if unparsable). */
function httpJson(method, url, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpRequest(
      url,
      {
        method,
        agent: false,
        headers: {
          connection: "close",
          ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          let json = {};
          try {
            json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`${method} ${new URL(url).pathname}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on("close", () => clearTimeout(timer));
    if (payload) req.write(payload);
    req.end();
  });
}

export class BenchDriver extends Driver {
  async request(method, path, body, { retries = method === "GET" ? 3 : 0, timeoutMs = 60_000 } = {}) {
    for (let attempt = 0; ; attempt++) {
      try {
        const { status, json } = await httpJson(method, `${this.base}${path}`, body, timeoutMs);
        if (status < 200 || status >= 300) {
          const error = new Error(`${method} ${path}: ${status} ${json?.value?.error}: ${json?.value?.message}`);
          error.webdriverError = json?.value?.error;
          throw error;
        }
        return json.value;
      } catch (error) {
        if (error.webdriverError || attempt >= retries) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
