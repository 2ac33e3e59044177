"""Each page's style sheets become one file, with the same rules in the same order."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from style_bundle import bundle_page  # noqa: E402


@pytest.fixture
def static(tmp_path):
    root = tmp_path / "_static"
    (root / "styles").mkdir(parents=True)
    (root / "a.css").write_text('@charset "UTF-8";.a{background:url(img/x.png)}')
    (root / "styles" / "b.css").write_text(
        '@import "../c.css";\n.b{src:url("../fonts/f.woff2?v=1") format("woff2")}\n'
        '/*# sourceMappingURL=b.css.map*/')
    (root / "c.css").write_text('.c{color:red;background:url(img/c.png)}/* @import "nowhere.css"; */'
                                '.e:after{content:"url(kept)"}')
    (root / "d.css").write_text(".d{background:url(data:image/png;base64,AAAA)}")
    return root


PAGE = ('<html><head>\n'
        '<link href="../_static/a.css?digest=1" rel="stylesheet" />\n'
        '<link rel="stylesheet" type="text/css" href="../_static/styles/b.css?v=2" />\n'
        '<link rel="stylesheet" type="text/css" href="../_static/d.css" />\n'
        '</head><body><link rel="stylesheet" href="../_static/late.css" /></body></html>')


def _bundle_of(page: str, static: Path) -> tuple[str, str]:
    href = re.search(r'<link rel="stylesheet" href="\.\./_static/(bp-styles-\w+\.css)\?v=(\w+)"', page)
    return (static / href.group(1)).read_text(), href.group(2)


def test_a_pages_style_sheets_become_one_file_in_the_same_order(static):
    page = bundle_page(PAGE, static, {})
    head = page.split("</head>")[0]
    assert len(re.findall(r'rel="stylesheet"', head)) == 1
    assert 'data-bp-bundles="a.css styles/b.css d.css"' in head
    assert '<link rel="stylesheet" href="../_static/late.css" />' in page  # the body is left alone
    css, _ = _bundle_of(page, static)
    order = [css.index(rule) for rule in (".a{", ".c{", ".b{", ".d{")]
    assert order == sorted(order)  # the import takes the place of the line that imported it
    assert 'url("img/x.png")' in css  # relative to the bundle's folder, _static/
    assert 'url("img/c.png")' in css  # in a file imported from styles/b.css: rebased once, not twice
    assert '/* @import "nowhere.css"; */' in css and 'content:"url(kept)"' in css  # comments, strings
    assert 'url("fonts/f.woff2?v=1")' in css  # was ../fonts/ from styles/: the same file
    assert "url(data:image/png;base64,AAAA)" in css
    assert "@charset" not in css and "sourceMappingURL" not in css
    assert "@import" not in css.replace('/* @import "nowhere.css"; */', "")


def test_a_page_bundled_before_gets_its_bundle_rebuilt_from_the_new_files(static):
    first = bundle_page(PAGE, static, {})
    old_css, old_key = _bundle_of(first, static)
    (static / "c.css").write_text(".c{color:blue}")  # what an incremental build copies again
    again = bundle_page(first, static, {})
    new_css, new_key = _bundle_of(again, static)
    assert ".c{color:blue}" in new_css and ".c{color:red}" not in new_css
    assert new_key != old_key  # browsers fetch the new content
    assert again.count("bp-styles-") == first.count("bp-styles-") == 1
    assert bundle_page(again, static, {}) == again  # nothing changed: nothing to do


@pytest.mark.parametrize("statement", ['@import url("https://fonts.example.org/x.css");',
                                       "@import url(https://fonts.example.org/x.css);",
                                       '@import "c2.css" print;', "@import url(c2.css) layer(base);"])
def test_an_import_a_bundle_cannot_hold_stops_the_build(static, statement):
    (static / "c2.css").write_text(".c2{}")
    (static / "c.css").write_text(statement)
    with pytest.raises(ValueError, match=re.escape(statement[:20])):
        bundle_page(PAGE, static, {})


def test_an_unquoted_import_is_inlined_too(static):
    (static / "c2.css").write_text(".c2{x:url(i.png)}")
    (static / "c.css").write_text("@import url(c2.css);")
    css, _ = _bundle_of(bundle_page(PAGE, static, {}), static)
    assert '.c2{x:url("i.png")}' in css and "@import" not in css


def test_a_page_with_a_sheet_that_cannot_join_the_bundle_keeps_all_its_links(static):
    for other in ('<link rel="stylesheet" href="https://cdn.example.org/x.css" />',
                  '<link rel="stylesheet" media="print" href="../_static/print.css" />'):
        page = PAGE.replace("</head>", other + "\n</head>")
        assert bundle_page(page, static, {}) == page  # bundling the rest would move them past it
