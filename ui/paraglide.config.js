// One Paraglide configuration for the Vite build, vitest and `npm run i18n:compile` (which
// svelte-check needs, as it reads the compiled messages without running Vite).
/** @type {import("@inlang/paraglide-js").CompilerOptions} */
export const paraglideOptions = {
  project: "./project.inlang",
  outdir: "./src/paraglide",
  // The locale is Parley's own state (stores/locale.svelte.ts chooses it, remembers it in
  // localStorage and hands it to Paraglide through overwriteGetLocale), so the runtime only
  // needs a fallback.
  strategy: ["globalVariable", "baseLocale"],
  emitTsDeclarations: true,
};
