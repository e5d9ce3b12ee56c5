// A tiny static file server for the built UI (the Chromium baseline).
//
// With `scripts`, index.html gets `<script src=...>` tags for them at the top of <head>, so they
// run before the app's module script (the way the UI tests inject their fake backend). A page can
// report a moment to the server with `POST /__bench/mark` (a JSON body); `marks()` returns them,
// each with the server's Date.now() when it arrived.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

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

/**
 * Serves `root` on 127.0.0.1. `scripts` is a list of { name, source } served as
 * /__bench/NAME and loaded first by index.html. Resolves to
 * { url, lastRequestAt(), requests(), paths(), marks(), close() }.
 */
export function serveStatic(root, { scripts = [] } = {}) {
  let last = 0;
  let count = 0;
  const paths = [];
  const marks = [];
  const injected = new Map(scripts.map((s) => [`/__bench/${s.name}`, s.source]));
  const tags = [...injected.keys()].map((path) => `<script src="${path}"></script>`).join("");

  const server = createServer(async (req, res) => {
    last = Date.now();
    count += 1;
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    paths.push(`${req.method} ${path}`);
    if (path === "/__bench/mark" && req.method === "POST") {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      let body = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        // keep null
      }
      marks.push({ receivedAt: Date.now(), body });
      res.writeHead(204).end();
      return;
    }
    if (injected.has(path)) {
      res.writeHead(200, { "content-type": TYPES[".js"], "cache-control": "no-store" });
      res.end(injected.get(path));
      return;
    }
    let rel = normalize(path === "/" ? "/index.html" : path);
    let file = join(root, rel);
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    let body;
    try {
      body = await readFile(file);
    } catch {
      if (extname(rel)) {
        res.writeHead(404).end("not found");
        return;
      }
      // A single-page app: unknown paths get the index.
      rel = "/index.html";
      file = join(root, rel);
      try {
        body = await readFile(file);
      } catch {
        res.writeHead(404).end("not found");
        return;
      }
    }
    if (rel === "/index.html" && tags) body = Buffer.from(body.toString("utf8").replace("<head>", `<head>${tags}`));
    res.writeHead(200, { "content-type": TYPES[extname(rel)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(body);
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
        paths: () => [...paths],
        marks: () => [...marks],
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}
