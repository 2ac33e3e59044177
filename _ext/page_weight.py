"""Keep chapter pages light: explorer frames load when an explorer nears the screen, not inline.

Each explorer's static fallback carries every frame as base64 PNGs in a JSON script (hundreds of
KiB per explorer). After the build, every page's frames move to ``_static/bp-frames/<id>.js``
(``bpFrames("<id>", {...})``), and the page keeps an empty placeholder with ``data-src``;
``bp-lazy-frames.js`` loads the file with a plain ``<script>`` tag (which works from ``file://``
too) when the explorer comes within a screen of view (inside a section the browser has not drawn
yet, once it draws it), then redraws it. The default frame becomes a PNG file of its own, shown
by the explorer's ``<img>`` like any figure, so an explorer is never blank and the page's HTML
carries no image (a base64 PNG does not compress: it was a third of a chapter's gzipped HTML,
which the browser must fetch before it paints anything).

myst-nb also embeds the notebook's saved ipywidgets state in every page (images included); the
site never loads a widget manager (``nb_ipywidgets_js: {}``), so that state is dead weight and
is dropped.

Figures load lazily (``loading="lazy"``): the browser fetches an image when it nears the screen,
so the PNGs of a long chapter no longer compete with its first screen for the network.

pydata-sphinx-theme makes scrollable code blocks focusable by measuring every block once the page
has loaded and after every change to it; that lays out the whole page, sections off screen
included, which ``content-visibility: auto`` (bplib.css) would skip. That call is taken out of the
theme's script, and ``bp-lazy-sections.js`` sets the same tab stops as blocks come into view.

The head's scripts block the first paint: the browser stops parsing until each is fetched and run.
Those that only act once the page is parsed (each waits for the DOM to be ready) are deferred: they
run in the same order, after the page is parsed, before DOMContentLoaded, and find the page they
would have waited for. They are Sphinx's own (doctools, highlighting), the copy and toggle buttons',
sphinx-design's tabs, sphinx-book-theme's, and the search tools that pydata-sphinx-theme loads
on every page. ``documentation_options.js`` stays as it is: the inline scripts after it set its
options.

The theme loads Sphinx's search tools and the whole search index (131 KB) on every page for
search-as-you-type results in its search field. That option is off here
(``DOCUMENTATION_OPTIONS.search_as_you_type = false``, which the page itself says): the field then
sends the query to ``search.html``, which loads its own copy, and the theme's script never touches
them. Pages that say so lose the three scripts; with the option on, they stay, deferred.

The theme also asks for its two deferred scripts (Bootstrap and its own, 30 KB gzipped) at the
top of the head with ``<link rel="preload" as="script">``, at high priority: on a slow connection
they then compete with the style sheets and the page itself, which the first paint waits for. The
preloads go; the scripts load at the priority a deferred script gets, and run when they did.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from pathlib import Path

_FRAMES = re.compile(r'<script type="application/json" class="bp-frames">(.*?)</script>', re.S)
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
FOLDER = "bp-frames"
# scripts that wait for the DOM before they act; each may carry Sphinx's ?v= cache key
_WAITING_SCRIPTS = ("doctools", "sphinx_highlight", "clipboard.min", "copybutton", "togglebutton",
                    "design-tabs", "scripts/sphinx-book-theme", "searchtools", "language_data")
_DEFERRABLE = re.compile(
    r'<script((?:\s[\w-]+="[^"]*")*?) src="((?:\.\./)*(?:_static/(?:'
    + "|".join(re.escape(name) for name in _WAITING_SCRIPTS) + r')\.js(?:\?v=\w+)?|searchindex\.js))">')


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


_DEFAULT_FRAME = re.compile(r'(?<=<img )([^>]*\bclass="bp-frame"[^>]*\bsrc=")data:image/png;base64,([A-Za-z0-9+/=]+)"')


def externalise_default_frames(html: str, static: Path, prefix: str) -> str:
    """``html`` with each explorer's inline default frame (a base64 PNG) moved to a PNG file."""
    def move(match: re.Match) -> str:
        png = base64.b64decode(match.group(2))
        target = static / FOLDER / f"{hashlib.sha256(png).hexdigest()[:16]}.png"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(png)
        # the image's size, from the PNG header, so the page keeps its room before it loads
        width, height = struct.unpack(">II", png[16:24])
        return (f'width="{width}" height="{height}" '
                f'{match.group(1)}{prefix}_static/{FOLDER}/{target.name}"')
    return _DEFAULT_FRAME.sub(move, html)


_EAGER_IMG = re.compile(r'<img(?=\s)(?![^>]*\bloading=)')


def lazy_images(html: str) -> str:
    """``html`` with every image that does not say how to load marked ``loading="lazy"``."""
    return _EAGER_IMG.sub('<img loading="lazy"', html)


_SCRIPT_PRELOAD = re.compile(r'[ \t]*<link rel="preload" as="script" href="[^"]*"\s*/?>\n?')


_SEARCH_SCRIPTS = re.compile(r'[ \t]*<script(?: defer)? src="(?:\.\./)*(?:_static/searchtools\.js|'
                             r'_static/language_data\.js|searchindex\.js)"></script>\n?')
_NO_SEARCH_AS_YOU_TYPE = "DOCUMENTATION_OPTIONS.search_as_you_type = false;"


def drop_unused_search_scripts(html: str) -> str:
    """``html`` without the search tools and index, if the page turns search-as-you-type off."""
    return _SEARCH_SCRIPTS.sub("", html) if _NO_SEARCH_AS_YOU_TYPE in html else html


def drop_script_preloads(html: str) -> str:
    """``html`` without ``<link rel="preload" as="script">`` (the scripts themselves stay)."""
    return _SCRIPT_PRELOAD.sub("", html)


def defer_waiting_scripts(html: str) -> str:
    """``html`` with the head's scripts that wait for the DOM anyway loaded with ``defer``."""
    return _DEFERRABLE.sub(r'<script defer\1 src="\2">', html)


# The end of pydata-sphinx-theme's bundle (0.17.1): run the tab-stop helper once the page loads.
_THEME_TAB_STOPS_CALL = re.compile(
    r'"complete"===document\.readyState\?(\w+)\(\):window\.addEventListener\("load",\1\)')
THEME_SCRIPT = Path("scripts") / "pydata-sphinx-theme.js"


def drop_theme_tab_stops(script: str) -> str:
    """The theme's bundle without its load-time call to the tab-stop helper.

    Raises ValueError when the call is not there or the function it calls does not set tab stops
    from scrollWidth (a theme version other than the pinned one): the site would otherwise lose
    either its speed or its keyboard access without a word.
    """
    calls = list(_THEME_TAB_STOPS_CALL.finditer(script))
    if len(calls) != 1:
        raise ValueError(f"{THEME_SCRIPT}: expected one load-time call of the theme's tab-stop helper, "
                         f"found {len(calls)}; pydata-sphinx-theme is not the pinned version "
                         "(requirements.txt), so _ext/page_weight.py must be updated for it.")
    name = calls[0].group(1)
    body = re.search(r"function " + re.escape(name) + r"\(\)\{(.{0,600}?)\}function ", script, re.S)
    if body is None or "scrollWidth" not in body.group(1) or "tabIndex" not in body.group(1):
        raise ValueError(f"{THEME_SCRIPT}: the function called on load ({name}) does not set tab stops "
                         "from scrollWidth; pydata-sphinx-theme is not the pinned version "
                         "(requirements.txt), so _ext/page_weight.py must be updated for it.")
    start, end = calls[0].span()
    return script[:start] + "0".ljust(end - start) + script[end:]  # same length: the source map holds


def _patch_theme_script(static: Path) -> None:
    from sphinx.errors import ExtensionError

    path = static / THEME_SCRIPT
    if not path.exists():  # another theme: nothing of pydata-sphinx-theme's to change
        return
    text = path.read_text(encoding="utf-8")
    if "bp-lazy-sections" in text:  # already done by an earlier incremental build
        return
    try:
        new = drop_theme_tab_stops(text)
    except ValueError as error:
        raise ExtensionError(str(error)) from None
    marker = "\n// tab stops: bp-lazy-sections.js"
    marked = new.replace("\n//# sourceMappingURL=", marker + "\n//# sourceMappingURL=", 1)  # the map stays last
    path.write_text(marked if marked != new else new + marker + "\n", encoding="utf-8")


def _rewrite_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    static = out / "_static"
    _patch_theme_script(static)
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = lazy_images(drop_script_preloads(
            text if page.name == "search.html" else defer_waiting_scripts(drop_unused_search_scripts(text))))
        if 'class="bp-frames">' in new:
            prefix = "../" * (len(page.relative_to(out).parts) - 1)
            new = externalise_default_frames(externalise_frames(new, static, prefix), static, prefix)
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    app.add_js_file("bp-lazy-frames.js", loading_method="defer")
    app.add_js_file("bp-lazy-sections.js", loading_method="defer")
    app.connect("html-page-context", _drop_widget_state, priority=900)
    app.connect("build-finished", _rewrite_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
