import { mount } from "svelte";
// For the start-up benchmark (bench/lib/page.mjs): when the app's script began to run.
performance.mark("parley:start:script");
import App from "./App.svelte";
import "./app.css";
import { conversations } from "./lib/stores/conversations.svelte";
import { locale } from "./lib/stores/locale.svelte";
import { theme } from "./lib/stores/theme.svelte";

// Before the first paint, so the page never flashes in the wrong theme.
theme.init();
// Before the first message is rendered, so the first paint is in the right language.
locale.init();

// Asked before the app is built: Rust reads the list while the page builds.
void conversations.loadFirst();

const target = document.getElementById("app");
if (!target) throw new Error("#app is missing from index.html");

export default mount(App, { target });
