// When the marker was first painted, on the page's own clock (as bench/lib/page.mjs's
// pageWaitForSelector defines it: in the DOM, then through the next frame). The benchmark's
// script usually starts after this page has painted, and then could only give an upper bound.
// Null until that frame: the benchmark then waits for it.
window.__benchShownAtEpochMs = null;
requestAnimationFrame(() =>
  setTimeout(() => {
    window.__benchShownAtEpochMs = Date.now();
  }, 0),
);
