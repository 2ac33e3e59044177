"""The theme's Font Awesome icons become inline SVGs at build time, and its icon script goes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from theme_icons import icon_table, inline_icons  # noqa: E402


@pytest.fixture(scope="module")
def table():
    import pydata_sphinx_theme

    static = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    return icon_table((static / "scripts" / "fontawesome.js").read_text(encoding="utf-8"))


def test_the_icon_table_is_read_from_the_pinned_theme_script(table):
    assert set(table) == {"fas", "fab", "far"}
    assert len(table["fas"]) > 1000 and len(table["fab"]) > 400  # every free icon, not a few
    width, height, path = table["fab"]["github"]
    assert (width, height) == (496, 512) and path.startswith("M165.9 397.4")
    assert table["fas"]["angle-left"][:2] == (320, 512)
    assert table["fas"]["search"] == table["fas"]["magnifying-glass"]  # an alias names the same icon


def test_each_icon_becomes_the_svg_font_awesome_would_draw_and_the_script_goes(table):
    page = ('<head><script defer src="../_static/scripts/fontawesome.js?digest=55c2"></script>\n'
            '<script defer src="../_static/doctools.js"></script></head>'
            '<a><i class="fab fa-github"></i></a>'
            '<button><span class="fa-solid fa-bars"></span></button>'
            '<i class="theme-switch fa-solid fa-moon   fa-lg" data-mode="dark"  title="Dark"></i>'
            '<span class="mord"></span><i>italic text</i>')
    out = inline_icons(page, table)
    assert "fontawesome.js" not in out and '<script defer src="../_static/doctools.js">' in out
    svgs = re.findall(r"<svg [^>]*>.*?</svg>", out)
    assert len(svgs) == 3 and "<i class" not in out and "fa-bars\"></span>" not in out
    github, bars, moon = svgs
    assert 'class="svg-inline--fa fa-github"' in github and 'viewBox="0 0 496 512"' in github
    assert f'd="{table["fab"]["github"][2]}"' in github and 'data-prefix="fab"' in github
    assert 'aria-hidden="true" focusable="false"' in github  # a decoration, silent to screen readers
    assert 'class="svg-inline--fa fa-bars"' in bars and 'data-prefix="fas"' in bars
    # the theme's other classes and attributes stay; a title names the icon to a screen reader
    assert 'class="svg-inline--fa fa-moon theme-switch fa-lg"' in moon and 'data-mode="dark"' in moon
    label = re.search(r'aria-labelledby="([\w-]+)"', moon).group(1)
    assert f'<title id="{label}">Dark</title>' in moon and "aria-hidden" not in moon
    assert '<span class="mord"></span><i>italic text</i>' in out  # not icons: left as they are


def test_two_titled_icons_on_a_page_get_different_title_ids(table):
    out = inline_icons('<i class="fas fa-sun" title="Light"></i><i class="fas fa-moon" title="Dark"></i>',
                       table)
    ids = re.findall(r'<title id="([\w-]+)">', out)
    assert len(ids) == 2 and ids[0] != ids[1]


@pytest.mark.parametrize("classes", ["fa-solid fa-no-such-icon", "fab fa-bars", "fa-solid"])
def test_an_icon_the_script_does_not_know_stops_the_build_instead_of_vanishing(table, classes):
    with pytest.raises(ValueError, match=re.escape(classes)):
        inline_icons(f'<i class="{classes}"></i>', table)


def test_the_theme_style_sheet_loses_only_its_web_font_icon_rules():
    import pydata_sphinx_theme
    from theme_icons import drop_icon_class_rules

    sheet = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    css = (sheet / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    out = drop_icon_class_rules(css)
    assert ".fa-github:before" in css and ".fa-github:before" not in out
    assert len(out) < 0.8 * len(css)
    for kept in (".fa-lg{", "--fa-font-solid:", "@font-face{", ".bd-sidebar-primary{",
                 "i.fa-arrow-circle-left:before{content:var(--pst-icon-angle-left)}"):
        assert out.count(kept) == css.count(kept) > 0, kept
    # a rule that also styles something else is left whole, never cut in two
    mixed = '.a{x:1}.b,.fa-bars:before{content:"\\f0c9"}.fa-x:before,.c:before{content:"y"}'
    assert drop_icon_class_rules(mixed) == mixed
    assert drop_icon_class_rules('.a{x:1}.fa-a:before,.fa-b::before{content:"\\f000"}.c{}') == ".a{x:1}.c{}"


def test_attributes_the_svg_sets_are_not_doubled_and_a_label_keeps_the_icon_audible(table):
    out = inline_icons('<i class="fa-brands fa-github fa-lg" aria-hidden="true"></i>'
                       '<i class="fa fa-moon" aria-label="Dark mode"></i>', table)
    github, moon = re.findall(r"<svg [^>]*>", out)
    assert github.count("aria-hidden") == 1 and 'data-prefix="fab"' in github
    assert 'aria-label="Dark mode"' in moon and "aria-hidden" not in moon  # "fa" is Font Awesome's solid
    assert 'data-prefix="fas"' in moon and 'data-icon="moon"' in moon


@pytest.mark.parametrize("element", ["<i class='fa-solid fa-moon'></i>",
                                     '<i class="fa-solid fa-xmark">&nbsp;</i>',
                                     '<span class="x fas fa-bars" title="a > b"></span>'])
def test_an_icon_written_another_way_stops_the_build_instead_of_vanishing(table, element):
    with pytest.raises(ValueError, match="not replaced"):
        inline_icons(f"<p>{element}</p>", table)


def test_the_icons_the_theme_script_makes_as_it_runs_keep_their_rules(table):
    import pydata_sphinx_theme
    from theme_icons import drop_icon_class_rules, runtime_icons

    static = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    made = runtime_icons((static / "scripts" / "pydata-sphinx-theme.js").read_text(encoding="utf-8"), table)
    assert made == {"xmark"}  # the close button of the announcement and version banners
    css = (static / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    out = drop_icon_class_rules(css, made)
    assert ".fa-xmark:before" in out and ".fa-github:before" not in out
