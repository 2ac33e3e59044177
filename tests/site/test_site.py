"""The published site in a real headless browser: offline, typeset, interactive, tidy."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from sitepaths import SITE, site_pages

pytestmark = pytest.mark.site

PAGES = site_pages() if SITE.exists() else []
CHAPTERS = [p for p in PAGES if p.startswith("notebooks/")]


def test_the_site_has_every_chapter_in_the_toc():
    toc = (SITE.parents[1] / "_toc.yml").read_text()
    listed = re.findall(r"file:\s*(\S+)", toc)
    assert listed, "no pages in _toc.yml"
    for entry in listed:
        assert (SITE / f"{entry}.html").exists(), f"{entry} is in _toc.yml but was not built"


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_console_errors_or_offsite_requests(visit, page):
    v = visit(page)
    v.page.wait_for_load_state("networkidle")
    offsite = [u for u in v.requests if urlparse(u).hostname not in ("127.0.0.1", None) and not u.startswith("data:")]
    assert offsite == [], f"{page} requested resources off the site: {offsite[:5]}"
    assert v.errors == [], f"{page} logged console errors: {v.errors[:5]}"


@pytest.mark.parametrize("page", PAGES[:1] + CHAPTERS[:1])
def test_a_desktop_window_shows_one_search_field_in_the_sidebar(visit, page):
    v = visit(page)  # playwright's default window, 1280 x 720
    fields = v.page.locator(".search-button-field")
    visible = [i for i in range(fields.count()) if fields.nth(i).is_visible()]
    assert len(visible) == 1, f"{page}: {len(visible)} search fields are visible"
    assert fields.nth(visible[0]).locator("xpath=ancestor::*[contains(@class, 'bd-sidebar')]").count()
    assert not v.page.locator("header.bd-header").is_visible(), f"{page}: an empty top bar is shown"


@pytest.mark.parametrize("page", [p for p in PAGES if 'class="math' in (SITE / p).read_text()])
def test_math_is_typeset_at_build_time_and_drawn_in_katex_fonts(visit, page):
    v = visit(page)
    formulas = v.page.locator(".math .katex")
    assert formulas.count() == v.page.locator(".math").count() > 0, "a formula was not typeset"
    # screen readers read the MathML KaTeX writes beside the drawing
    assert v.page.locator(".math .katex-mathml math").count() == formulas.count()
    # (the MathML's TeX annotation is never drawn)
    assert not v.page.locator("text=\\frac >> visible=true").count(), "raw TeX left on the page"
    assert not [u for u in v.requests if "mathjax" in u.lower()], "the page still loads MathJax"
    # a formula in a section far down is laid out, and its font fetched, only once it nears the screen
    v.page.locator(".math .katex >> visible=true").first.scroll_into_view_if_needed()
    v.page.wait_for_function("document.fonts.check('16px KaTeX_Main')", timeout=10_000)


@pytest.mark.parametrize("page", [p for p in CHAPTERS if "bp-explorer" in (SITE / p).read_text()])
def test_every_explorer_fallback_changes_its_figure_when_a_control_moves(visit, page):
    v = visit(page)
    explorers = v.page.locator("div.bp-explorer")
    assert explorers.count() > 0
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        img = explorer.locator("img.bp-frame")
        assert img.get_attribute("alt"), f"explorer {e} on {page} has no alt text"
        controls = explorer.locator(".bp-controls input, .bp-controls select")
        assert controls.count() > 0
        for c in range(controls.count()):
            control = controls.nth(c)
            before = img.get_attribute("src")
            if control.evaluate("el => el.tagName") == "SELECT":
                # choose by index: option labels may look like other options' values ("1", "3")
                current = int(control.input_value())
                control.select_option(index=1 if current == 0 else 0)
            else:
                maximum, value = control.get_attribute("max"), control.input_value()
                control.fill("0" if value != "0" else maximum)
            # the frames arrive in their own file when the explorer nears the screen: allow it a moment
            changed = v.page.wait_for_function("([img, before]) => img.getAttribute('src') !== before",
                                               arg=[img.element_handle(), before], timeout=10_000)
            assert changed, f"moving control {c} of explorer {e} on {page} did not change the figure"


@pytest.mark.parametrize("page", [p for p in CHAPTERS if "tag_bp-solution" in (SITE / p).read_text()])
def test_solutions_stay_folded_until_clicked(visit, page):
    v = visit(page)
    solutions = v.page.locator("div.tag_bp-solution details.hide")
    assert solutions.count() >= 3, f"{page}: expected at least 3 folded solutions"
    assert "BEGIN SOLUTION" not in v.page.content(), f"{page}: nbgrader's marker lines are on the page"
    first = solutions.first
    code = first.locator("pre")
    assert not code.is_visible(), "a solution is visible before it is opened"
    first.locator("summary").click()
    assert code.is_visible(), "clicking the toggle did not reveal the solution"


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_figure_has_alt_text(visit, page):
    v = visit(page)
    images = v.page.locator("article img")
    for i in range(images.count()):
        alt = images.nth(i).get_attribute("alt") or ""
        assert alt.strip() and not alt.endswith(".png"), f"image {i} on {page} has no descriptive alt text"


@pytest.mark.parametrize("page", [p for p in CHAPTERS if (SITE / p).read_text().count("_images/") >= 4][:2])
def test_figures_far_down_a_chapter_load_only_when_scrolled_near(visit, page):
    v = visit(page)
    v.page.wait_for_load_state("networkidle")
    figure = v.page.locator('article img[src*="_images/"]').last
    src = figure.get_attribute("src").rsplit("/", 1)[-1]
    assert not [u for u in v.requests if u.endswith(src)], f"{page}: its last figure loaded before it was near"
    figure.scroll_into_view_if_needed()
    v.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=figure.element_handle(),
                             timeout=10_000)


@pytest.mark.parametrize("page", [p for p in CHAPTERS if "bp-explorer" in (SITE / p).read_text()])
def test_explorer_frames_are_not_inline_and_load_only_near_the_screen(visit, page):
    html = (SITE / page).read_text()
    assert 'class="bp-frames">{' not in html, "frames are still inline in the page"
    assert "application/vnd.jupyter.widget-state+json" not in html
    v = visit(page)
    holders = v.page.locator("script.bp-frames")
    last = holders.nth(holders.count() - 1)
    top = v.page.evaluate("el => el.parentElement.getBoundingClientRect().top", last.element_handle())
    if top > 3 * v.page.viewport_size["height"]:
        assert not last.evaluate("el => !!el.bpFrames"), "a far-away explorer loaded its frames at once"
    last.evaluate("el => el.parentElement.scrollIntoView()")
    v.page.wait_for_function("el => !!el.bpFrames", arg=last.element_handle(), timeout=10_000)


# The blocks pydata-sphinx-theme makes focusable when they scroll sideways.
_BLOCKS = "pre, .nboutput > .output_area, .cell_output > .output, .jp-RenderedHTMLCommon, " \
          ".pst-scrollable-table-container"
# Records every element whose scrollWidth is read: reading it lays the element out.
_RECORD_MEASURED = """
window.bpMeasured = new Set();
const width = Object.getOwnPropertyDescriptor(Element.prototype, "scrollWidth");
Object.defineProperty(Element.prototype, "scrollWidth", {
  configurable: true, get() { window.bpMeasured.add(this); return width.get.call(this); } });
"""
LONG_CHAPTERS = sorted(CHAPTERS, key=lambda p: -(SITE / p).stat().st_size)[:2]


@pytest.mark.parametrize("page", LONG_CHAPTERS)
def test_sections_far_down_a_phone_screen_are_not_laid_out_when_the_page_loads(visit, page):
    v = visit(page, phone=True, init_script=_RECORD_MEASURED)
    v.page.wait_for_timeout(1000)  # the theme's helper ran at load and 300 ms after each change
    seen = v.page.evaluate(f"""() => {{
        const blocks = Array.from(document.querySelectorAll({_BLOCKS!r}));
        const skipped = blocks.filter(b => !b.checkVisibility({{contentVisibilityAuto: true}}));
        return {{blocks: blocks.length, skipped: skipped.length,
                 measured: skipped.filter(b => window.bpMeasured.has(b)).length}};
    }}""")
    assert seen["skipped"] > seen["blocks"] // 2, f"{page}: most blocks are far down, yet rendered: {seen}"
    assert seen["measured"] == 0, f"{page}: a script measured blocks the browser had not laid out: {seen}"


@pytest.mark.parametrize("page", LONG_CHAPTERS)
def test_every_block_that_scrolls_sideways_on_a_phone_takes_keyboard_focus(visit, page):
    v = visit(page, phone=True)
    v.page.wait_for_timeout(500)
    measure = f"""() => Array.from(document.querySelectorAll({_BLOCKS!r})).map(b => ({{
        scrolls: b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight, tab: b.tabIndex,
        near: b.getBoundingClientRect().top >= 0 && b.getBoundingClientRect().top < innerHeight }}))"""
    v.page.locator(_BLOCKS).first.scroll_into_view_if_needed()
    v.page.wait_for_timeout(300)
    blocks = v.page.evaluate(measure)
    assert any(b["scrolls"] for b in blocks), f"{page}: no block scrolls on a phone; the test shows nothing"
    assert not [b for b in blocks if b["scrolls"] and b["tab"] < 0], f"{page}: a scrolling block is unfocusable"
    # on the screen, the theme's rule holds: a block that does not scroll is no tab stop
    near = [b for b in blocks if b["near"]]
    assert near and all(b["tab"] == (0 if b["scrolls"] else -1) for b in near), near
    v.page.locator(_BLOCKS).last.scroll_into_view_if_needed()
    v.page.wait_for_timeout(300)
    last = v.page.evaluate(measure)[-1]
    assert last["tab"] == (0 if last["scrolls"] else -1), f"{page}: the last block, scrolled to: {last}"


@pytest.mark.parametrize("page", LONG_CHAPTERS)
def test_a_link_to_a_section_far_down_lands_on_its_heading(visit, page):
    sections = re.findall(r'<section id="([\w-]+)"', (SITE / page).read_text())
    target = sections[2 * len(sections) // 3]  # far down, with more than a screen of page after it
    v = visit(f"{page}#{target}", phone=True)
    v.page.wait_for_timeout(800)  # sections above it are drawn as they pass, and may grow
    top = v.page.evaluate(f"document.getElementById({target!r}).getBoundingClientRect().top")
    assert 0 <= top < 200, f"{page}#{target}: the section's top is at {top:.0f} px, not at the top of the screen"


@pytest.mark.parametrize("page", LONG_CHAPTERS)
def test_a_link_within_the_page_to_a_section_far_down_lands_on_its_heading(visit, page):
    sections = re.findall(r'<section id="([\w-]+)"', (SITE / page).read_text())
    target = sections[2 * len(sections) // 3]
    v = visit(page)
    v.page.evaluate(f"location.hash = {'#' + target!r}")  # what clicking a link to it does
    v.page.wait_for_timeout(800)
    top = v.page.evaluate(f"document.getElementById({target!r}).getBoundingClientRect().top")
    assert 0 <= top < 200, f"{page}: after following #{target}, the section's top is at {top:.0f} px"


@pytest.mark.parametrize("page", PAGES[:1] + CHAPTERS[:1])
def test_the_theme_icons_are_drawn_without_the_icon_script(visit, page):
    v = visit(page, phone=True)
    assert not [u for u in v.requests if "fontawesome" in u], f"{page} still loads Font Awesome's script"
    assert v.page.locator(":is(i, span):is(.fa, .fas, .far, .fab, .fa-solid, .fa-regular, .fa-brands)").count() == 0
    shown = v.page.evaluate("""() => [...document.querySelectorAll('svg.svg-inline--fa')]
        .map(s => s.getBoundingClientRect()).filter(r => r.width > 0 && r.top < innerHeight)
        .map(r => [r.width, r.height])""")
    # the phone's top bar: menu, repository, download, full screen, theme, search (and a chapter's
    # launch and contents buttons)
    assert len(shown) >= 6 and all(w >= 10 and h >= 10 for w, h in shown), shown
    # the theme button shows one icon for the current mode, and another once clicked
    switch = "svg.theme-switch >> visible=true"
    assert v.page.locator(switch).count() == 1
    before = v.page.locator(switch).get_attribute("data-icon")
    v.page.locator(".theme-switch-button >> visible=true").first.click()
    assert v.page.locator(switch).count() == 1
    assert v.page.locator(switch).get_attribute("data-icon") != before


@pytest.mark.parametrize("page", [p for p in PAGES if not p.endswith("search.html")])
def test_the_first_paint_waits_for_one_style_sheet_and_one_small_script(page):
    head = (SITE / page).read_text(encoding="utf-8").split("</head>")[0]
    blocking = re.findall(r'<script(?![^>]*\b(?:defer|async)\b)[^>]*\bsrc="([^"]+)"', head)
    assert [s.split("?")[0].rsplit("/", 1)[-1] for s in blocking] == ["documentation_options.js"], blocking
    sheets = re.findall(r'<link [^>]*rel="stylesheet"[^>]*>', head)
    assert len(sheets) == 1 and "bp-styles-" in sheets[0], sheets
    assert 'rel="preload" as="script"' not in head


@pytest.mark.parametrize("page", CHAPTERS[:1])
def test_the_deferred_scripts_still_do_their_work(visit, page):
    v = visit(page)
    v.page.wait_for_selector("button.copybtn", state="attached", timeout=10_000)  # copy buttons
    assert v.page.locator("button.copybtn").count() == v.page.locator("div.highlight pre").count()
    assert v.page.locator(".bd-header-article.noprint").count() == 1  # sphinx-book-theme's print rule
    assert v.page.evaluate("typeof Documentation === 'object' && typeof togglebuttonSelector === 'string'")
    assert not [u for u in v.requests if "searchindex" in u]  # the search page loads it, not every page


@pytest.mark.parametrize("page", CHAPTERS[:1])
def test_a_search_from_a_chapter_lists_the_pages_that_match(visit, page):
    v = visit(page)
    v.page.keyboard.press("Control+k")  # the theme's shortcut opens its search dialog
    field = v.page.locator("#pst-search-dialog input[name=q]")
    field.fill("chain rule")
    field.press("Enter")
    v.page.wait_for_url("**/search.html?q=chain+rule*")
    v.page.wait_for_selector("#search-results li a", timeout=20_000)
    found = v.page.locator("#search-results li a").all_inner_texts()
    assert any("chain rule" in text.lower() for text in found), found
