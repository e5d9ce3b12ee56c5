// Compiles the catalogs (messages/{locale}.json and messages/<area>/{locale}.json) into src/paraglide (typed message functions) outside Vite, for
// svelte-check; the Vite plugin does the same for `vite build`, `vite dev` and vitest.
import { compile } from "@inlang/paraglide-js";
import { paraglideOptions } from "../paraglide.config.js";

await compile(paraglideOptions);
