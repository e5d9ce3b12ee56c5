import { mount, unmount } from "svelte";
// For the start-up benchmark (bench/lib/page.mjs): when the app's script began to run.
performance.mark("parley:start:script");
import App from "./App.svelte";
import "./app.css";
import UpgradeScreen from "./lib/components/UpgradeScreen.svelte";
import { conversations } from "./lib/stores/conversations.svelte";
import { locale } from "./lib/stores/locale.svelte";
import { theme } from "./lib/stores/theme.svelte";

declare global {
  interface Window {
    /**
     * Set by Rust (an initialization script, `src-tauri/src/window.rs`) when the window opens
     * before the history does: an upgrade of it that takes long. No command works until then.
     */
    __PARLEY_UPGRADING__?: boolean;
    /**
     * Set by Rust on Linux (`src-tauri/src/window.rs`): the desktop's UI font as a CSS
     * `font-family`, named because WebKitGTK resolves `system-ui` slowly at the first layout.
     */
    __PARLEY_UI_FONT__?: string;
  }
}

// Before the first layout, which resolves the fonts.
if (window.__PARLEY_UI_FONT__) {
  document.documentElement.style.setProperty("--font-sans", window.__PARLEY_UI_FONT__);
}

// Before the first paint, so the page never flashes in the wrong theme.
theme.init();
// Before the first message is rendered, so the first paint is in the right language.
locale.init();

const target = document.getElementById("app");
if (!target) throw new Error("#app is missing from index.html");

function startApp(into: HTMLElement): void {
  // Asked before the app is built: Rust reads the list while the page builds.
  void conversations.loadFirst();
  mount(App, { target: into });
}

if (window.__PARLEY_UPGRADING__) {
  const upgrade = mount(UpgradeScreen, {
    target,
    props: {
      onReady: () => {
        void unmount(upgrade);
        startApp(target);
      },
    },
  });
} else {
  startApp(target);
}
