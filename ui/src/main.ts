import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { theme } from "./lib/stores/theme.svelte";

// Before the first paint, so the page never flashes in the wrong theme.
theme.init();

const target = document.getElementById("app");
if (!target) throw new Error("#app is missing from index.html");

export default mount(App, { target });
