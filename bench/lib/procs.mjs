// Process trees and their memory, from /proc (Linux only).

import { readdirSync, readFileSync } from "node:fs";

/** pid -> { ppid, comm } for every process visible in /proc. */
function processTable() {
  const table = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name is in parentheses and may itself contain spaces or parentheses.
      const open = stat.indexOf("(");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(open + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      table.set(Number(entry), { ppid: Number(fields[1]), comm, starttime: Number(fields[19]) });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

/** `root` and all its descendants: [{ pid, comm }]. */
export function processTree(root) {
  const table = processTable();
  const children = new Map();
  for (const [pid, { ppid }] of table) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    const info = table.get(pid);
    if (!info) continue;
    out.push({ pid, comm: info.comm });
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The descendants of `root` (not `root` itself). */
export function descendants(root) {
  return processTree(root).filter((p) => p.pid !== root);
}

/** Proportional set size of one process in bytes (RSS when smaps_rollup is unreadable). */
export function pssBytes(pid) {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const match = rollup.match(/^Pss:\s+(\d+) kB/m);
    if (match) return { bytes: Number(match[1]) * 1024, kind: "pss" };
  } catch {
    // fall through to RSS
  }
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = status.match(/^VmRSS:\s+(\d+) kB/m);
    if (match) return { bytes: Number(match[1]) * 1024, kind: "rss" };
  } catch {
    // gone
  }
  return { bytes: 0, kind: "gone" };
}

/** Sums the memory of `pids`: { bytes, kinds: Set, processes: [{pid, comm, bytes}] }. */
export function sumMemory(processes) {
  let bytes = 0;
  const kinds = new Set();
  const detail = [];
  for (const { pid, comm } of processes) {
    const m = pssBytes(pid);
    if (m.kind === "gone") continue;
    bytes += m.bytes;
    kinds.add(m.kind);
    detail.push({ pid, comm, bytes: m.bytes });
  }
  return { bytes, kinds: [...kinds], processes: detail };
}

/**
 * When the process started, in ms since the epoch, or null. The start time is in clock ticks
 * since boot (10 ms); the boot instant comes from /proc/uptime read beside Date.now(), so the
 * result is good to about 20 ms.
 */
export function processStartEpochMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = Number(fields[19]);
    const now = Date.now();
    const uptimeSeconds = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const bootEpochMs = now - uptimeSeconds * 1000;
    const ticksPerSecond = 100; // CLK_TCK on Linux
    return bootEpochMs + (startTicks * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}

/** Whether `pid` still exists (and is not a zombie). */
export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
