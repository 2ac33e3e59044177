"""Every page's style sheets in one file, so a phone waits for one request before it paints.

A page of this site links twelve style sheets (the theme's, Sphinx's, each extension's, KaTeX's,
ours), and one of them imports a thirteenth. The browser paints nothing until it has them all; on
a slow phone connection each one costs a round trip, and they share a handful of connections.
After the build, each page's style sheets, in their order, become one file,
``_static/bp-styles-<key>.css``: the same rules in the same order (so the cascade is unchanged),
each file's relative ``url(...)`` rewritten for the bundle's folder and its ``@import`` of a local
file replaced by that file's text.

The page keeps the list of files it bundled (``data-bp-bundles``), so an incremental build, which
copies the style sheets again but leaves unchanged pages alone, rewrites the bundle those pages
use from the new files; the ``?v=`` key changes with the bundle's content.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

# a style sheet of the site's for every screen (a sheet for one medium would keep its own link)
_LINK = re.compile(r'[ \t]*<link (?=[^>]*\brel="stylesheet")(?![^>]*\bmedia=)[^>]*\bhref="((?:\.\./)*)'
                   r'_static/([^"?]+)(?:\?[^"]*)?"[^>]*>\n?')
_BUNDLED = re.compile(r'<link rel="stylesheet" href="((?:\.\./)*)_static/bp-styles-\w+\.css(?:\?v=\w+)?" '
                      r'data-bp-bundles="([^"]+)" />')
_URL = re.compile(r'url\(\s*(["\']?)([^"\')]+)\1\s*\)')
_IMPORT = re.compile(r'@import\s+(?:url\()?\s*["\']([^"\')]+)["\']\s*\)?\s*;')
_CHARSET = re.compile(r'@charset\s+"[^"]*"\s*;')
_SOURCE_MAP = re.compile(r'/\*# sourceMappingURL=[^*]*\*/')  # it would point next to the bundle


def rebase(css: str, folder: Path, static: Path) -> str:
    """``css`` from a file in ``folder`` with its relative URLs made relative to ``static``."""
    def fix(match: re.Match) -> str:
        url = match.group(2).strip()
        if re.match(r"[a-z]+:|/|#", url):  # data:, http:, absolute, a fragment: unchanged
            return match.group(0)
        path, query = url.split("?", 1) if "?" in url else (url, "")
        new = os.path.relpath(os.path.normpath(folder / path), static).replace(os.sep, "/")
        return f'url("{new}{"?" + query if query else ""}")'
    return _URL.sub(fix, css)


def read_sheet(path: Path, static: Path, seen: frozenset = frozenset()) -> str:
    """A style sheet's text for the bundle: imports inlined, URLs rebased, no ``@charset`` or map."""
    if path in seen:
        raise ValueError(f"{path.relative_to(static)} imports itself (through {len(seen)} files)")
    css = _SOURCE_MAP.sub("", _CHARSET.sub("", path.read_text(encoding="utf-8")))

    def inline(match: re.Match) -> str:
        target = match.group(1)
        if re.match(r"[a-z]+:|/", target):
            raise ValueError(f"{path.relative_to(static)} imports {target}, which is not a file of "
                             "the site; a bundle cannot hold it.")
        return read_sheet(path.parent / target, static, seen | {path})
    return rebase(_IMPORT.sub(inline, css), path.parent, static)


def bundle(sheets: list[str], static: Path) -> tuple[str, str]:
    """(file name, content key) of the bundle of ``sheets`` (paths under ``static``), written there."""
    text = "\n".join(f"/* {name} */\n{read_sheet(static / name, static)}" for name in sheets)
    name = f"bp-styles-{hashlib.sha256(' '.join(sheets).encode()).hexdigest()[:12]}.css"
    target = static / name
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return name, hashlib.sha256(text.encode()).hexdigest()[:10]


def bundle_page(page: str, static: Path, made: dict) -> str:
    """``page`` with its style sheet links replaced by one link to their bundle.

    ``made`` caches {tuple of sheets: (file name, key)} across the pages of one build.
    """
    def link(prefix: str, sheets: list[str]) -> str:
        key = tuple(sheets)
        if key not in made:
            made[key] = bundle(sheets, static)
        name, version = made[key]
        return (f'<link rel="stylesheet" href="{prefix}_static/{name}?v={version}" '
                f'data-bp-bundles="{" ".join(sheets)}" />')

    done = _BUNDLED.search(page)
    if done:  # bundled by an earlier build: the bundle is made again from the files it lists
        return page[:done.start()] + link(done.group(1), done.group(2).split()) + page[done.end():]
    head_end = page.find("</head>")
    links = [m for m in _LINK.finditer(page, 0, head_end if head_end >= 0 else len(page))]
    if not links:
        return page
    new = link(links[0].group(1), [m.group(2) for m in links]) + "\n"
    out, last = [], 0
    for i, match in enumerate(links):
        out += [page[last:match.start()], new if i == 0 else ""]
        last = match.end()
    return "".join(out) + page[last:]


def _rewrite_pages(app, exception) -> None:
    from sphinx.errors import ExtensionError

    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    static, made = out / "_static", {}
    for page in out.rglob("*.html"):
        if static in page.parents:
            continue
        text = page.read_text(encoding="utf-8")
        try:
            new = bundle_page(text, static, made)
        except (OSError, ValueError) as error:
            raise ExtensionError(f"{page.relative_to(out)}: its style sheets cannot be bundled: "
                                 f"{error}") from None
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _rewrite_pages, priority=600)  # after the theme's CSS is trimmed
    return {"parallel_read_safe": True, "parallel_write_safe": True}
