// A tiny static file server for the built UI (the Chromium memory baseline).

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".wasm": "application/wasm",
};

/** Serves `root` on 127.0.0.1; resolves to { url, lastRequestAt(), requests(), close() }. */
export function serveStatic(root) {
  let last = 0;
  let count = 0;
  const server = createServer(async (req, res) => {
    last = Date.now();
    count += 1;
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const rel = normalize(path === "/" ? "/index.html" : path).replace(/^(\.\.[/\\])+/, "");
    try {
      const body = await readFile(join(root, rel));
      res.writeHead(200, { "content-type": TYPES[extname(rel)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      // A single-page app: unknown paths get the index.
      try {
        const body = await readFile(join(root, "index.html"));
        res.writeHead(extname(rel) ? 404 : 200, { "content-type": TYPES[".html"] });
        res.end(extname(rel) ? "not found" : body);
      } catch {
        res.writeHead(404).end("not found");
      }
    }
    last = Date.now();
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/`,
        lastRequestAt: () => last,
        requests: () => count,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
