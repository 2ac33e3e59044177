"""The theme's icons drawn once, at build time, instead of by Font Awesome's script on every visit.

pydata-sphinx-theme (0.17.1) loads ``scripts/fontawesome.js`` on every page: 1.49 MB (530 KB
gzipped), the largest file a chapter loads, and about 110 ms of script in Chromium on this 2-core
machine (Lighthouse's phone counts four times that). Once the page has loaded it replaces each
``<i class="fa-solid fa-NAME">`` (or ``<span>``) with that icon's SVG, then watches every later
change to the page for new icons. All of the site's icons are in its HTML, so this module makes
the same replacement while the site is built, from the icon table in that same script, and drops
the script: the page gets the SVG that Font Awesome would have made, with no script to fetch or run.

The theme's other icons, drawn by its style sheet (the arrow after an external link, for one),
keep using the Font Awesome web fonts that style sheet declares. The style sheet's 1,881 rules
``.fa-NAME:before{content:"..."}``, which draw each icon from a web font, go: no page draws an icon
that way any more (20 of the sheet's 65 KB gzipped, which the browser must load before it paints),
except the few the theme's script makes while it runs (``fa-xmark``, on a banner it may add).
The ``svg-inline--fa`` rules that the script used to inject are in ``bplib.css``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ICON_SCRIPT = Path("scripts") / "fontawesome.js"
# Font Awesome's style classes and the packs (prefixes) they name
STYLES = {"fa": "fas", "fas": "fas", "fa-solid": "fas", "fab": "fab", "fa-brands": "fab",
          "far": "far", "fa-regular": "far"}
_SET_BY_SVG = {"aria-hidden", "focusable", "role", "xmlns", "viewbox", "data-prefix", "data-icon",
               "aria-labelledby"}  # attributes the SVG gets here, so not copied from the element
# any element still carrying a style class after the replacement (another quoting, some content)
_LEFT_OVER = re.compile(r'<(?:i|span)\b[^>]*\bclass\s*=\s*["\']?(?:[^"\'>]*\s)?('
                        + "|".join(re.escape(s) for s in STYLES) + r')(?=[\s"\'>])[^>]*>')
_PACK = re.compile(r'\bd\("(fas|fab|far)",(\w+)\)')  # where the bundle defines one pack
_UNQUOTED_KEY = re.compile(r'([{,])([\w$]+):\[')
_ICON_TAG = re.compile(r'<(i|span)\s([^>]*)>\s*</\1>')  # the elements Font Awesome replaces
_ATTRIBUTE = re.compile(r'([\w:-]+)(="[^"]*")?')
THEME_STYLES = Path("styles") / "pydata-sphinx-theme.css"
THEME_SCRIPT = Path("scripts") / "pydata-sphinx-theme.js"
_ICON_CLASS_RULE = re.compile(r'(?<=})(?:\.fa-[a-z0-9-]+:{1,2}before,?)+\{content:"[^"]*"\}')
_SCRIPT_TAG = re.compile(r'<script defer src="(?:\.\./)*_static/scripts/fontawesome\.js[^"]*"></script>\n?')


def icon_table(script: str) -> dict[str, dict[str, tuple[int, int, str]]]:
    """``{prefix: {icon name: (width, height, SVG path)}}`` read from Font Awesome's bundle.

    Each pack is an object literal ``var p={name:[width,height,[aliases],"code","path"],...}``
    passed to ``d("fas",p)``; names given as aliases map to the same icon.
    """
    packs: dict[str, dict[str, tuple[int, int, str]]] = {}
    decoder = json.JSONDecoder()
    for call in _PACK.finditer(script):
        prefix, var = call.groups()
        start = script.rfind(f"var {var}={{", 0, call.start())
        if start < 0:
            continue
        start += len(f"var {var}=")
        end = script.find("}", start)
        # the literal holds no braces inside (only numbers, names and path strings): quote its keys
        literal = _UNQUOTED_KEY.sub(r'\1"\2":[', script[start:end + 1])
        icons, _ = decoder.raw_decode(literal)
        table = packs.setdefault(prefix, {})
        for name, (width, height, aliases, _code, path) in icons.items():
            if not isinstance(path, str):  # a two-tone icon: not drawn by this module
                continue
            for key in [name, *(a for a in aliases if isinstance(a, str))]:
                table.setdefault(key, (width, height, path))
    return packs


def _svg(attributes: dict[str, str | None], table, number: int) -> str:
    """The SVG for one icon element's attributes; ``number`` makes its title's id unique."""
    classes = (attributes.pop("class", None) or "").split()
    prefixes = {STYLES[c] for c in classes if c in STYLES}
    names = [c[3:] for c in classes if c.startswith("fa-") and c not in STYLES
             and any(c[3:] in table.get(p, {}) for p in prefixes)]
    if len(prefixes) != 1 or len(names) != 1:
        raise ValueError(f"an icon of class=\"{' '.join(classes)}\" names no single Font Awesome "
                         f"icon of {ICON_SCRIPT} (style classes {sorted(STYLES)}); it would be lost "
                         "without the script, so draw it some other way or fix its classes.")
    prefix, name = prefixes.pop(), names[0]
    width, height, path = table[prefix][name]
    rest = [c for c in classes if c not in STYLES and c != f"fa-{name}"]
    title = attributes.pop("title", None)
    extra = "".join(f' {k}="{v}"' if v is not None else f" {k}" for k, v in attributes.items()
                    if k.lower() not in _SET_BY_SVG)
    if title:  # as Font Awesome does it: the title names the icon to a screen reader
        label = f"bp-icon-title-{number}"
        a11y, inner = f' aria-labelledby="{label}"', f'<title id="{label}">{title}</title>'
    elif "aria-label" in attributes:  # named by its own label, kept in ``extra``
        a11y, inner = "", ""
    else:
        a11y, inner = ' aria-hidden="true" focusable="false"', ""
    return (f'<svg class="{" ".join(["svg-inline--fa", f"fa-{name}", *rest])}"{extra}{a11y} '
            f'data-prefix="{prefix}" data-icon="{name}" role="img" '
            f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}">{inner}'
            f'<path fill="currentColor" d="{path}"></path></svg>')


def inline_icons(page: str, table) -> str:
    """``page`` with each Font Awesome icon (an empty ``<i>`` or ``<span>``) replaced by its SVG,
    and without the icon script.

    Raises ValueError for one with a Font Awesome style class whose icon is not in ``table``.
    """
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        # attribute values stay as written (already escaped); a bare attribute has the value None
        attributes = {k: v[2:-1] if v else None for k, v in _ATTRIBUTE.findall(match.group(2))}
        if not set((attributes.get("class") or "").split()) & set(STYLES):
            return match.group(0)
        count += 1
        return _svg(attributes, table, count)

    out = _ICON_TAG.sub(replace, page)
    left = _LEFT_OVER.search(out)
    if left:
        raise ValueError(f"an icon written as {left.group(0)!r} was not replaced (only an empty <i> or "
                         "<span> with its class in double quotes is); it would be lost without the "
                         "script, so write it that way.")
    return _SCRIPT_TAG.sub("", out)


def drop_icon_class_rules(css: str, keep: set[str] = frozenset()) -> str:
    """The theme's style sheet without its rules that draw ``.fa-NAME`` icons from a web font,
    except those for the icons named in ``keep`` (which the theme's script makes as it runs)."""
    def drop(match: re.Match) -> str:
        names = set(re.findall(r"\.fa-([a-z0-9-]+):", match.group(0)))
        return match.group(0) if names & keep else ""
    return _ICON_CLASS_RULE.sub(drop, css)


def runtime_icons(script: str, table) -> set[str]:
    """Icons the theme's script makes as it runs (a banner's close button, ``fa-xmark``)."""
    return {name for name in re.findall(r"fa-([a-z0-9-]+)", script)
            if name not in ("solid", "regular", "brands") and any(name in icons for icons in table.values())}


def _rewrite_pages(app, exception) -> None:
    from sphinx.errors import ExtensionError

    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    script = out / "_static" / ICON_SCRIPT
    if not script.exists():  # another theme: no Font Awesome script to replace
        return
    table = icon_table(script.read_text(encoding="utf-8"))
    if set(table) != {"fas", "fab", "far"}:
        raise ExtensionError(f"{ICON_SCRIPT}: found the icon packs {sorted(table)}, expected fas, fab "
                             "and far; pydata-sphinx-theme is not the pinned version "
                             "(requirements.txt), so _ext/theme_icons.py must be updated for it.")
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        try:
            new = inline_icons(text, table)
        except ValueError as error:
            raise ExtensionError(f"{page.relative_to(out)}: {error}") from None
        if new != text:
            page.write_text(new, encoding="utf-8")
    styles, theme_script = out / "_static" / THEME_STYLES, out / "_static" / THEME_SCRIPT
    if styles.exists():
        css = styles.read_text(encoding="utf-8")
        made = runtime_icons(theme_script.read_text(encoding="utf-8"), table) if theme_script.exists() else set()
        trimmed = drop_icon_class_rules(css, made)
        if trimmed != css:
            styles.write_text(trimmed, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _rewrite_pages, priority=400)  # before the style sheets are bundled
    return {"parallel_read_safe": True, "parallel_write_safe": True}
