"""Keep chapter pages light: explorer frames load when an explorer nears the screen, not inline.

Each explorer's static fallback carries every frame as base64 PNGs in a JSON script (hundreds of
KiB per explorer). After the build, every page's frames move to ``_static/bp-frames/<id>.js``
(``bpFrames("<id>", {...})``), and the page keeps an empty placeholder with ``data-src``;
``bp-lazy-frames.js`` loads the file with a plain ``<script>`` tag (which works from ``file://``
too) when the explorer comes within a screen of view, then redraws it. The default frame stays
in the page, so an explorer is never blank.

myst-nb also embeds the notebook's saved ipywidgets state in every page (images included); the
site never loads a widget manager (``nb_ipywidgets_js: {}``), so that state is dead weight and
is dropped.

Figures load lazily (``loading="lazy"``): the browser fetches an image when it nears the screen,
so the PNGs of a long chapter no longer compete with its first screen for the network.

pydata-sphinx-theme loads Sphinx's search tools and the whole search index on every page, as
blocking scripts in the head, for its search field; they are deferred (run in the same order, after
the page is parsed), which the field does not notice: it is used after the page has loaded.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

_FRAMES = re.compile(r'<script type="application/json" class="bp-frames">(.*?)</script>', re.S)
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
FOLDER = "bp-frames"
_SEARCH_SCRIPTS = re.compile(
    r'<script src="((?:\.\./)*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js))">')


def _drop_widget_state(app, pagename, templatename, context, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"]
                                   if getattr(s, "attributes", {}).get("type") != _WIDGET_STATE]


def externalise_frames(html: str, static: Path, prefix: str) -> str:
    """``html`` with each inline frames JSON replaced by a placeholder; the JSON goes to ``static``."""
    def move(match: re.Match) -> str:
        data = match.group(1)
        key = hashlib.sha256(data.encode()).hexdigest()[:16]
        target = static / FOLDER / f"{key}.js"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f'bpFrames("{key}", {data});\n', encoding="utf-8")
        return (f'<script type="application/json" class="bp-frames" data-id="{key}" '
                f'data-src="{prefix}_static/{FOLDER}/{key}.js"></script>')
    return _FRAMES.sub(move, html)


_EAGER_IMG = re.compile(r'<img(?=\s)(?![^>]*\bloading=)')


def lazy_images(html: str) -> str:
    """``html`` with every image that does not say how to load marked ``loading="lazy"``."""
    return _EAGER_IMG.sub('<img loading="lazy"', html)


def defer_search_scripts(html: str) -> str:
    """``html`` with the theme's search scripts in the head loaded with ``defer``."""
    return _SEARCH_SCRIPTS.sub(r'<script defer src="\1">', html)


def _rewrite_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    static = out / "_static"
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = lazy_images(text if page.name == "search.html" else defer_search_scripts(text))
        if 'class="bp-frames">' in new:
            depth = len(page.relative_to(out).parts) - 1
            new = externalise_frames(new, static, "../" * depth)
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    app.add_js_file("bp-lazy-frames.js", loading_method="defer")
    app.connect("html-page-context", _drop_widget_state, priority=900)
    app.connect("build-finished", _rewrite_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
