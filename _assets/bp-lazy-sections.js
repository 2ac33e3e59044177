// What the site needs because sections off screen are laid out only when they come near it
// (content-visibility: auto, bplib.css): tab stops set without measuring the whole page, and a
// link to a section far down that lands on its heading.
//
// Tab stops. Keyboard users reach every code block and output that scrolls sideways (axe's
// "scrollable-region-focusable"). pydata-sphinx-theme does this by reading scrollWidth of every
// block on load and on every DOM change, which lays out the whole page, the sections the browser
// would skip included. _ext/page_weight.py removes that call; here every block starts focusable
// (tabIndex 0, no measurement), and a block that comes near the screen keeps tabIndex 0 only if
// it scrolls (the theme's rule), -1 otherwise. A resize measures the blocks again as they are seen.
//
// Landing on a section. The browser scrolls to page.html#id while the sections above it still
// have their estimated height; drawn, they can be shorter or taller, and the heading moves off the
// top of the screen. Once that has settled, the heading is put back at the top, unless the reader
// has scrolled meanwhile.
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
      }, { rootMargin: "100% 0px" });  // a screen ahead; in a section not drawn yet, once it is drawn
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

  var readerScrolled = false;
  ["wheel", "touchmove", "keydown", "mousedown"].forEach(function (type) {
    window.addEventListener(type, function () { readerScrolled = true; }, { passive: true });
  });

  function landOnTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    if (!target || readerScrolled) { return; }
    // two frames: the sections the scroll brought near the screen are drawn by then
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { if (!readerScrolled) { target.scrollIntoView(); } });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  if (document.readyState === "complete") { landOnTarget(); } else { window.addEventListener("load", landOnTarget); }
  window.addEventListener("hashchange", function () { readerScrolled = false; landOnTarget(); });
})();
