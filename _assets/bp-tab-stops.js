// Keyboard users reach every code block and output that scrolls sideways (axe's
// "scrollable-region-focusable"), without measuring the whole page at load.
//
// pydata-sphinx-theme does this by reading scrollWidth of every block on load and on every DOM
// change, which lays out the whole page, including the sections the browser would otherwise skip
// while they are off screen (content-visibility: auto, bplib.css). _ext/page_weight.py removes
// that call; this script sets the same tab stops lazily: every block starts focusable
// (tabIndex 0, no measurement), and a block that comes near the screen keeps tabIndex 0 only if
// it scrolls (the theme's rule), -1 otherwise. A resize measures the blocks again as they are seen.
(function () {
  var SELECTOR = ["pre", ".nboutput > .output_area", ".cell_output > .output",
                  ".jp-RenderedHTMLCommon", ".pst-scrollable-table-container"].join(", ");
  var observer = null;

  function measure(block) {
    var scrolls = block.scrollWidth > block.clientWidth || block.scrollHeight > block.clientHeight;
    block.tabIndex = scrolls ? 0 : -1;
  }

  // every block under root becomes focusable now and is measured when it nears the screen
  function watch(root) {
    var blocks = root.matches && root.matches(SELECTOR) ? [root] : [];
    if (root.querySelectorAll) { blocks = blocks.concat(Array.from(root.querySelectorAll(SELECTOR))); }
    blocks.forEach(function (block) {
      block.tabIndex = 0;
      if (observer) { observer.unobserve(block); observer.observe(block); } else { measure(block); }
    });
  }

  function start() {
    var main = document.getElementById("main-content") || document.body;
    if ("IntersectionObserver" in window) {
      observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) { observer.unobserve(entry.target); measure(entry.target); }
        });
      }, { rootMargin: "100% 0px" });
    }
    watch(main);
    new MutationObserver(function (records) {
      records.forEach(function (record) { record.addedNodes.forEach(watch); });
    }).observe(main, { subtree: true, childList: true });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { watch(main); }, 300);
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
