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

_ANY_SHEET = re.compile(r'<link (?=[^>]*\brel="stylesheet")[^>]*>')
# a style sheet of the site's for every screen; a page with any other (one medium, another site)
# is left as it is, since bundling the rest would move them past it in the cascade
_LINK = re.compile(r'[ \t]*<link (?=[^>]*\brel="stylesheet")(?![^>]*\bmedia=)[^>]*\bhref="((?:\.\./)*)'
                   r'_static/([^"?]+)(?:\?[^"]*)?"[^>]*>\n?')
_BUNDLED = re.compile(r'<link rel="stylesheet" href="((?:\.\./)*)_static/bp-styles-\w+\.css(?:\?v=\w+)?" '
                      r'data-bp-bundles="([^"]+)" />')
# one pass over a sheet: comments and strings are passed over whole, so a url( or an @import
# inside them is left alone; url(...) and @import statements are rewritten
_TOKENS = re.compile(
    r'(?P<comment>/\*.*?\*/)'
    r'|(?P<import>@import\s+(?:url\(\s*(?P<iq>["\']?)(?P<iu>[^"\')]+)(?P=iq)\s*\)|(?P<sq>["\'])(?P<is>[^"\']+)(?P=sq))'
    r'\s*(?P<conditions>[^;]*);)'
    r'|(?P<url>url\(\s*(?P<q>["\']?)(?P<u>[^"\')]+)(?P=q)\s*\))'
    r'|(?P<string>"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\')', re.S)
_CHARSET = re.compile(r'@charset\s+"[^"]*"\s*;')
_SOURCE_MAP = re.compile(r'/\*# sourceMappingURL=[^*]*\*/')  # it would point next to the bundle
_ELSEWHERE = re.compile(r"[a-z][a-z0-9+.-]*:|/|#", re.I)  # data:, http:, absolute, a fragment


def _rebased(url: str, folder: Path, static: Path) -> str:
    path, query = url.split("?", 1) if "?" in url else (url, "")
    new = os.path.relpath(os.path.normpath(folder / path), static).replace(os.sep, "/")
    return f'url("{new}{"?" + query if query else ""}")'


def read_sheet(path: Path, static: Path, seen: frozenset = frozenset()) -> str:
    """A style sheet's text for the bundle, where ``static`` is the bundle's folder: its relative
    URLs made relative to ``static``, each ``@import`` of a site file replaced by that file's text
    (treated the same way), no ``@charset`` or source map. Raises ValueError for an import the
    bundle cannot hold: another site's file, or one for some media or layers only."""
    if path in seen:
        raise ValueError(f"{path.relative_to(static)} imports itself (through {len(seen)} files)")
    css = _SOURCE_MAP.sub("", _CHARSET.sub("", path.read_text(encoding="utf-8")))

    def rewrite(match: re.Match) -> str:
        if match.group("url"):
            url = match.group("u").strip()
            return match.group(0) if _ELSEWHERE.match(url) else _rebased(url, path.parent, static)
        if match.group("import"):
            target = (match.group("iu") or match.group("is")).strip()
            if _ELSEWHERE.match(target) or match.group("conditions").strip():
                raise ValueError(f"{path.relative_to(static)} has {match.group('import')!r}, which a "
                                 "bundle cannot hold (only a plain import of a file of the site).")
            return read_sheet(path.parent / target, static, seen | {path})
        return match.group(0)  # a comment or a string
    return _TOKENS.sub(rewrite, css)


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
    head_end = head_end if head_end >= 0 else len(page)
    links = list(_LINK.finditer(page, 0, head_end))
    if not links or len(links) != len(_ANY_SHEET.findall(page, 0, head_end)):
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
