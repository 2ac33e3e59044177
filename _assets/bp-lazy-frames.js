// Explorer frames on the site: load each explorer's frames file when it comes near the screen
// (see _ext/page_weight.py), hand them to the explorer and redraw it with the current controls.
(function () {
  var holders = {};
  window.bpFrames = function (id, frames) {
    var holder = holders[id];
    if (!holder) { return; }
    holder.bpFrames = frames;
    if (holder.parentElement.bpShow) { holder.parentElement.bpShow(); }
  };
  function load(holder) {
    if (holder.dataset.loading) { return; }
    holder.dataset.loading = "1";
    var script = document.createElement("script");
    script.src = holder.dataset.src;
    script.async = true;
    document.head.appendChild(script);
  }
  function start() {
    var all = document.querySelectorAll("script.bp-frames[data-src]");
    all.forEach(function (holder) {
      holders[holder.dataset.id] = holder;
      // a control touched before the frames arrived (by pointer, keyboard or script): fetch them now
      ["pointerdown", "focusin", "input", "change"].forEach(function (type) {
        holder.parentElement.addEventListener(type, function () { load(holder); }, { once: true });
      });
    });
    if (!("IntersectionObserver" in window)) { all.forEach(load); return; }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          seen.unobserve(entry.target);
          load(entry.target.querySelector("script.bp-frames"));
        }
      });
    }, { rootMargin: "100% 0px" });  // a screen ahead; in a section not drawn yet, once it is drawn
    all.forEach(function (holder) { seen.observe(holder.parentElement); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
