import { describe, expect, it } from "vitest";
// Read as text: the test compares the two sides of the IPC boundary without running either.
import backendSource from "./backend.ts?raw";
import wiringSource from "../../../src-tauri/src/lib.rs?raw";

/** The command names in `tauri::generate_handler![...]`: the last segment of each path. */
function registeredCommands(rust: string): string[] {
  const list = /generate_handler!\[([^\]]*)\]/.exec(rust)?.[1];
  if (list === undefined) throw new Error("no generate_handler![...] in src-tauri/src/lib.rs");
  return list
    .split(",")
    .map((path) => path.replace(/\/\/.*$/gm, "").trim())
    .filter((path) => path !== "")
    .map((path) => path.split("::").pop()!);
}

/** The command names `backend.ts` invokes: the first argument of each `call(...)`/`invoke(...)`. */
function calledCommands(typescript: string): string[] {
  const calls = typescript.matchAll(/\b(?:call|invoke)(?:<[^>(]*>)?\(\s*"([a-z0-9_]+)"/g);
  return [...calls].map((match) => match[1]!);
}

const sorted = (names: string[]) => [...new Set(names)].sort();

describe("the IPC command names", () => {
  it("are parsed from both sides", () => {
    expect(registeredCommands("generate_handler![\n a::b::one,\n c::two, // x\n]")).toEqual([
      "one",
      "two",
    ]);
    expect(calledCommands('call("one"); call<T>("two", {}); invoke<X>("three")')).toEqual([
      "one",
      "two",
      "three",
    ]);
  });

  it("registered in generate_handler! are exactly those backend.ts calls", () => {
    const registered = sorted(registeredCommands(wiringSource));
    const called = sorted(calledCommands(backendSource));
    expect(registered.length).toBeGreaterThan(10);
    // A command only Rust registers is dead IPC surface; one only the UI calls fails at run time.
    expect(called, "commands backend.ts calls vs commands src-tauri registers").toEqual(registered);
  });
});
