// A small SOCKS5 proxy (RFC 1928, CONNECT only; RFC 1929 user/password when `credentials` are
// given) on 127.0.0.1, for the end-to-end test and the benchmark of streaming through a proxy.
// It records each tunnel's target, so a test can prove a request went through it.

import net from "node:net";

/**
 * Starts the proxy; resolves to `{ url, port, targets, credentials, close }`. `targets` and
 * `credentials` are arrays filled as clients come.
 */
export function startSocks5({ credentials = null } = {}) {
  const targets = [];
  const seenCredentials = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    let buffer = Buffer.alloc(0);
    let stage = "greeting";
    const need = (n) => buffer.length >= n;
    const take = (n) => {
      const part = buffer.subarray(0, n);
      buffer = buffer.subarray(n);
      return part;
    };
    const onData = (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (stage === "greeting") {
          if (!need(2) || !need(2 + buffer[1])) return;
          const methods = [...take(2 + buffer[1]).subarray(2)];
          const method = credentials ? 2 : 0;
          if (!methods.includes(method)) {
            client.end(Buffer.from([5, 0xff]));
            return;
          }
          client.write(Buffer.from([5, method]));
          stage = credentials ? "auth" : "request";
        } else if (stage === "auth") {
          if (!need(2)) return;
          const userLen = buffer[1];
          if (!need(2 + userLen + 1)) return;
          const passLen = buffer[2 + userLen];
          if (!need(3 + userLen + passLen)) return;
          const auth = take(3 + userLen + passLen);
          const user = auth.subarray(2, 2 + userLen).toString();
          const pass = auth.subarray(3 + userLen).toString();
          seenCredentials.push(`${user}:${pass}`);
          const ok = user === credentials.user && pass === credentials.password;
          client.write(Buffer.from([1, ok ? 0 : 1]));
          if (!ok) {
            client.end();
            return;
          }
          stage = "request";
        } else if (stage === "request") {
          if (!need(5)) return;
          const type = buffer[3];
          const length = type === 1 ? 4 : type === 3 ? 1 + buffer[4] : 16;
          if (!need(4 + length + 2)) return;
          const request = take(4 + length + 2);
          const host =
            type === 1
              ? [...request.subarray(4, 8)].join(".")
              : type === 3
                ? request.subarray(5, 5 + request[4]).toString()
                : "::1";
          const port = request.readUInt16BE(4 + length);
          targets.push(`${host}:${port}`);
          client.removeListener("data", onData);
          const upstream = net.connect(port, host, () => {
            client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
            if (buffer.length) upstream.write(buffer);
            client.pipe(upstream);
            upstream.pipe(client);
          });
          sockets.add(upstream);
          upstream.on("close", () => sockets.delete(upstream));
          upstream.on("error", () => client.destroy());
          return;
        }
      }
    };
    client.on("data", onData);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `socks5h://127.0.0.1:${port}`,
        port,
        targets,
        credentials: seenCredentials,
        close: () => {
          for (const socket of sockets) socket.destroy();
          server.close();
        },
      });
    });
  });
}
