"""The site's explorer frames move out of the page into files loaded near the screen."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from page_weight import externalise_frames  # noqa: E402

from bplib.widgets.explorer import Explorer, Slider  # noqa: E402


def _explorer_html() -> str:
    import matplotlib.pyplot as plt

    def render(k=1):
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.plot([0, 1], [0, k])
        return fig

    return Explorer(render, [Slider("k", 0, 2, 1, value=1)], alt="a line").static_html()


def test_frames_move_to_one_file_per_explorer_and_the_page_keeps_a_placeholder(tmp_path):
    one = _explorer_html()
    frames = json.loads(re.search(r'class="bp-frames">(.*?)</script>', one, re.S).group(1))
    page = f"<html><body>{one}<p>text</p>{one}</body></html>"
    out = externalise_frames(page, tmp_path, "../")
    assert 'class="bp-frames">{' not in out
    srcs = re.findall(r'data-src="\.\./_static/bp-frames/(\w+)\.js"', out)
    assert len(srcs) == 2 and srcs[0] == srcs[1]  # the same frames are stored once
    stored = (tmp_path / "bp-frames" / f"{srcs[0]}.js").read_text()
    key, data = re.fullmatch(r'bpFrames\("(\w+)", (.*)\);\n', stored, re.S).groups()
    assert key == srcs[0] and json.loads(data) == frames
    assert 'img class="bp-frame"' in out and out.count("data:image/png;base64,") == 2  # default frames stay


def test_the_default_frame_becomes_a_png_file_and_the_page_carries_no_image(tmp_path):
    import base64

    from page_weight import externalise_default_frames, externalise_frames

    one = _explorer_html()
    inline = re.search(r'class="bp-frame"[^>]*src="data:image/png;base64,([^"]+)"', one).group(1)
    out = externalise_default_frames(externalise_frames(f"<body>{one}{one}</body>", tmp_path, "../"),
                                     tmp_path, "../")
    assert "data:image" not in out
    files = re.findall(r'<img width="(\d+)" height="(\d+)" class="bp-frame"[^>]*'
                       r'src="\.\./_static/bp-frames/(\w+\.png)"', out)
    assert len(files) == 2 and files[0] == files[1]
    width, height, name = files[0]
    assert (tmp_path / "bp-frames" / name).read_bytes() == base64.b64decode(inline)
    import matplotlib.image

    rows, cols = matplotlib.image.imread(tmp_path / "bp-frames" / name).shape[:2]
    assert (int(width), int(height)) == (cols, rows)  # the room kept before the image loads


def test_the_head_scripts_that_wait_for_the_page_are_deferred_and_keep_their_order():
    from page_weight import defer_waiting_scripts

    head = ('<script src="../_static/documentation_options.js?v=9eb32ce0"></script>\n'
            '<script src="../_static/doctools.js?v=9a2dae69"></script>\n'
            '<script src="../_static/copybutton.js?v=f281be69"></script>\n'
            '<script>let toggleHintShow = \'Click to show\';</script>\n'
            '<script src="../_static/togglebutton.js?v=b8b12719"></script>\n'
            '<script data-sd-tabs-storage-prefix="sphinx-design-tab-id-" '
            'src="../_static/design-tabs.js?v=fcb327ea"></script>\n'
            '<script src="../_static/searchtools.js"></script>\n'
            '<script src="../_static/language_data.js"></script>\n'
            '<script src="../searchindex.js"></script>\n'
            '<script src="../_static/someone-elses.js"></script>\n')
    out = defer_waiting_scripts(head)
    assert re.findall(r'<script defer[^>]* src="([^"]+)">', out) == [
        "../_static/doctools.js?v=9a2dae69", "../_static/copybutton.js?v=f281be69",
        "../_static/togglebutton.js?v=b8b12719", "../_static/design-tabs.js?v=fcb327ea",
        "../_static/searchtools.js", "../_static/language_data.js", "../searchindex.js"]
    # the tabs script reads its own attribute, which stays; the options stay blocking, since the
    # inline scripts after them set them; inline scripts and unknown scripts are left as they are
    assert '<script defer data-sd-tabs-storage-prefix="sphinx-design-tab-id-" src=' in out
    assert '<script src="../_static/documentation_options.js?v=9eb32ce0">' in out
    assert '<script>let toggleHintShow' in out and '<script src="../_static/someone-elses.js">' in out
    assert defer_waiting_scripts('<script src="searchindex.js"></script>') == \
        '<script defer src="searchindex.js"></script>'  # a page at the site's root
    assert defer_waiting_scripts(out) == out  # a page already deferred is left alone


def test_images_load_lazily_unless_they_say_otherwise():
    from page_weight import lazy_images

    html = ('<img alt="a" src="../_images/a.png" />'
            '<img loading="eager" alt="logo" src="logo.png" />'
            '<p>an <img\nalt="b" src="b.png"></p>')
    out = lazy_images(html)
    assert out.count('loading="lazy"') == 2  # the eager one is kept as it is
    assert '<img loading="lazy"\nalt="b"' in out
    assert '<img loading="eager" alt="logo"' in out
    assert lazy_images("<img alt=x src=y>") == '<img loading="lazy" alt=x src=y>'


def _installed_theme_script() -> str:
    import pydata_sphinx_theme

    static = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    return (static / "scripts" / "pydata-sphinx-theme.js").read_text(encoding="utf-8")


def test_the_theme_no_longer_measures_every_block_once_the_page_loads():
    from page_weight import drop_theme_tab_stops

    script = _installed_theme_script()
    out = drop_theme_tab_stops(script)
    assert '"complete"===document.readyState' in script and '"complete"===document.readyState' not in out
    assert len(out) == len(script) and out.replace(" ", "") != script.replace(" ", "")  # columns kept
    assert "MutationObserver(t).observe" in out  # the helper itself is left alone, now never called


def test_a_theme_bundle_that_is_not_the_pinned_one_stops_the_build_with_the_reason():
    from page_weight import drop_theme_tab_stops

    with pytest.raises(ValueError, match="found 0.*not the pinned version"):
        drop_theme_tab_stops("(()=>{function I(){}})();")
    other = ('function I(){console.log(1)}function _(){}'
             '"complete"===document.readyState?I():window.addEventListener("load",I)')
    with pytest.raises(ValueError, match=r"\(I\) does not set tab stops"):
        drop_theme_tab_stops(other)


def test_the_themes_preloads_of_its_deferred_scripts_go_and_the_scripts_stay():
    from page_weight import drop_script_preloads

    head = ('<link rel="preload" as="script" href="../_static/scripts/bootstrap.js?digest=5" />\n'
            '<link rel="preload" as="font" href="../_static/f.woff2" />\n'
            '<script defer src="../_static/scripts/bootstrap.js?digest=5"></script>\n')
    assert drop_script_preloads(head) == ('<link rel="preload" as="font" href="../_static/f.woff2" />\n'
                                          '<script defer src="../_static/scripts/bootstrap.js?digest=5">'
                                          '</script>\n')


def test_the_search_scripts_go_only_where_the_page_turns_search_as_you_type_off():
    from page_weight import drop_unused_search_scripts

    scripts = ('<script defer src="../_static/searchtools.js"></script>\n'
               '<script defer src="../_static/language_data.js"></script>\n'
               '<script defer src="../searchindex.js"></script>\n'
               '<script defer src="../_static/doctools.js"></script>\n')
    off = scripts + "<script>DOCUMENTATION_OPTIONS.search_as_you_type = false;</script>"
    assert drop_unused_search_scripts(off) == ('<script defer src="../_static/doctools.js"></script>\n'
                                               "<script>DOCUMENTATION_OPTIONS.search_as_you_type = false;</script>")
    on = scripts + "<script>DOCUMENTATION_OPTIONS.search_as_you_type = true;</script>"
    assert drop_unused_search_scripts(on) == on
