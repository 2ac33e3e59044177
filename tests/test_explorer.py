"""bplib.widgets.explorer: controls, static fallback, live ipywidgets view; chapter explorers."""

import json
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

import bplib as bp
from bplib.plots.display import figure_to_png
from bplib.widgets import algorithm as algorithm_widgets
from bplib.widgets import neuron as neuron_widgets
from bplib.widgets import overview as overview_widgets
from bplib.widgets.explorer import MAX_FRAMES, Choice, Explorer, Slider

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def render_line(slope: float = 1.0, color: str = "C0") -> Figure:
    """A tiny, fast figure whose pixels depend on both parameters."""
    fig = Figure(figsize=(1.5, 1.0))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, slope], color=color, lw=3)
    ax.set_ylim(-1, 1)
    ax.set_axis_off()
    return fig


def small_explorer() -> Explorer:
    return Explorer(
        render_line,
        [
            Slider("slope", -1.0, 1.0, 0.5, value=0.5, label="slope"),
            Choice("color", ["C0", "C1"], labels=["blue", "orange"], label="colour"),
        ],
        alt="A line whose slope and colour you choose",
        title="Line",
    )


def frames_of(page: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" class="bp-frames">(.*?)</script>', page).group(
            1
        )
    )


# -------------------------------------------------------------------------- controls


def test_slider_grid_values_are_every_step():
    s = Slider("w", -1.0, 1.0, 0.5)
    assert s.values == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert s.value == -1.0 and not s.is_integer and s.text(0.5) == "0.50"


def test_slider_grid_has_no_float_noise():
    assert Slider("lr", 0.1, 0.5, 0.1).values == [0.1, 0.2, 0.3, 0.4, 0.5]


def test_integer_slider_gives_ints():
    s = Slider("step", 0, 3, 1, value=2)
    assert s.values == [0, 1, 2, 3] and all(type(v) is int for v in s.values)
    assert s.is_integer and s.text(2) == "2" and s.value == 2


def test_slider_default_snaps_to_the_grid():
    assert Slider("w", 0.0, 1.0, 0.25, value=0.3).value == 0.25
    assert Slider("w", 0.0, 1.0, 0.25, value=0.9).value == 1.0
    assert Slider("w", 0.0, 1.0, 0.25, value=0.3).index_of(0.3) == 1


@pytest.mark.parametrize(
    "args, match",
    [
        ((1.0, 1.0, 0.1), "need min < max and step > 0"),
        ((0.0, 1.0, 0.0), "need min < max and step > 0"),
        ((2.0, 1.0, 0.5), "need min < max and step > 0, got min=2.0, max=1.0"),
    ],
)
def test_bad_slider_is_explained(args, match):
    with pytest.raises(ValueError, match=rf"Slider 'w': {match}"):
        Slider("w", *args)


def test_slider_value_outside_range_is_explained():
    with pytest.raises(ValueError, match=r"Slider 'w': value 5 is outside \[0.0, 1.0\]"):
        Slider("w", 0.0, 1.0, 0.5, value=5)


def test_choice_defaults_labels_and_errors():
    c = Choice("act", ["relu", "tanh"])
    assert (
        c.value == "relu"
        and c.labels == ["relu", "tanh"]
        and c.text("tanh") == "tanh"
        and c.index_of("tanh") == 1
    )
    assert Choice("n", [1, 2], labels=["one", "two"], value=2).text(2) == "two"
    with pytest.raises(ValueError, match="Choice 'act': needs at least one option"):
        Choice("act", [])
    with pytest.raises(
        ValueError, match=r"Choice 'act': value 'gelu' is not one of \['relu', 'tanh'\]"
    ):
        Choice("act", ["relu", "tanh"], value="gelu")


def test_explorer_needs_alt_text():
    with pytest.raises(ValueError, match="give an alt text"):
        Explorer(render_line, [Slider("slope", 0.0, 1.0, 0.5)], alt="")


def test_explorer_refuses_too_many_frames():
    controls = [Slider("slope", 0, 10, 1), Choice("color", ["C0", "C1", "C2", "C3", "C4", "C5"])]
    with pytest.raises(
        ValueError, match=rf"66 combinations .* too many frames .*limit {MAX_FRAMES}"
    ):
        Explorer(render_line, controls, alt="x")


def test_explorer_defaults_and_figure():
    ex = small_explorer()
    assert ex.defaults == {"slope": 0.5, "color": "C0"} and ex.num_frames == 10
    assert isinstance(ex.figure(slope=-1.0), Figure)
    assert Explorer(lambda: render_line(), [], alt="x").num_frames == 1


# --------------------------------------------------------------------- static fallback


@pytest.fixture(scope="module")
def small_page():
    return small_explorer().static_html()


def test_static_html_has_one_frame_per_combination(small_page):
    frames = frames_of(small_page)
    assert sorted(frames) == sorted(f"{i}-{j}" for i in range(5) for j in range(2))
    assert all(v.startswith("data:image/png;base64,") for v in frames.values())


def test_static_html_controls_have_the_right_counts(small_page):
    assert small_page.count('<input type="range"') == 1
    assert 'min="0" max="4" step="1" value="3"' in small_page  # default slope 0.5 is index 3
    assert small_page.count("<select") == 1 and small_page.count("<option") == 2
    assert '<option value="0" selected>blue</option>' in small_page
    assert "<output>0.50</output>" in small_page


def test_static_html_shows_default_frame_with_alt_text(small_page):
    frames = frames_of(small_page)
    assert f'alt="A line whose slope and colour you choose" src="{frames["3-0"]}"' in small_page
    assert '<div class="bp-explorer-title">Line</div>' in small_page
    assert "document.currentScript" in small_page and "http" not in small_page


def test_frames_differ_between_different_params(small_page):
    frames = frames_of(small_page)
    assert len(set(frames.values())) == len(frames)


def test_static_html_is_deterministic(small_page):
    assert small_explorer().static_html() == small_page


def test_labels_are_escaped():
    ex = Explorer(
        render_line, [Choice("color", ["C0"], labels=["<b>"], label="a & b")], alt='say "hi"'
    )
    page = ex.static_html()
    assert "&lt;b&gt;" in page and "a &amp; b" in page and 'alt="say &quot;hi&quot;"' in page


# ------------------------------------------------------------------------ live widget


def test_widget_builds_and_a_control_change_updates_the_image():
    ex = small_explorer()
    box = ex.widget()
    header, controls, image = box.children
    slider, dropdown = controls.children
    assert image.format == "png" and slider.value == 0.5 and dropdown.value == "C0"
    before = image.value
    slider.value = -1.0
    after_slider = image.value
    assert after_slider != before
    dropdown.value = "C1"
    assert image.value != after_slider
    assert image.value == ex.png(dpi=80, slope=-1.0, color="C1")


def test_integer_slider_becomes_an_int_slider():
    import ipywidgets

    ex = Explorer(lambda step=0: render_line(slope=step / 3), [Slider("step", 0, 3, 1)], alt="x")
    assert isinstance(ex.widget().children[0].children[0], ipywidgets.IntSlider)


def test_mimebundle_has_html_text_and_widget_view():
    ex = small_explorer()
    bundle = ex._repr_mimebundle_()
    assert {"text/html", "text/plain", WIDGET_VIEW} <= set(bundle)
    assert bundle["text/plain"] == "<Explorer: A line whose slope and colour you choose>"
    assert 'class="bp-explorer"' in bundle["text/html"]


# ------------------------------------------------------------------ chapter explorers


def xor_setup():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    model = bp.MLP([2, 2, 1], activation="sigmoid", output_activation="sigmoid", seed=1)
    return model, bp.MSELoss(), x, y


def chapter5_trace():
    rng = np.random.default_rng(0)
    sizes = [3, 4, 4, 2]
    weights = [rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:], strict=False)]
    biases = [rng.normal(size=(n, 1)) for n in sizes[1:]]
    return bp.algorithm.backprop(weights, biases, rng.normal(size=(3, 1)), np.array([[1.0], [0.0]]))


CHAPTER_EXPLORERS = {
    "tangent": (lambda: bp.widgets.tangent_explorer(), 17),
    "nudge": (lambda: bp.widgets.nudge_explorer(*xor_setup()), 6 * 5),
    "backward_pass": (lambda: bp.widgets.backward_pass_explorer(chapter5_trace()), 4),
}


@pytest.mark.parametrize("name", CHAPTER_EXPLORERS)
def test_chapter_explorer_fallback_is_complete_and_under_1_mb(name):
    make, frames = CHAPTER_EXPLORERS[name]
    ex = make()
    assert ex.num_frames == frames
    page = ex.static_html()
    assert len(page.encode()) < 1_000_000
    assert len(frames_of(page)) == frames and ex.alt in page


def test_render_tangent_depends_on_w():
    a = figure_to_png(neuron_widgets.render_tangent(w=-1.0), dpi=40)
    b = figure_to_png(neuron_widgets.render_tangent(w=1.0), dpi=40)
    assert a != b
    assert a == figure_to_png(neuron_widgets.render_tangent(w=-1.0), dpi=40)


def test_nudge_render_depends_on_weight_and_nudge_and_restores_the_model():
    model, loss_fn, x, y = xor_setup()
    before = [p.data.copy() for p in model.parameters()]
    ex = overview_widgets.nudge_explorer(model, loss_fn, x, y)
    weights = ex.controls[0].options
    assert ex.controls[0].labels[:2] == ["0.W[0, 0]", "0.W[0, 1]"] and len(weights) == 6
    base = ex.png(dpi=40)
    assert ex.png(dpi=40, nudge=1.0) != base
    assert ex.png(dpi=40, weight=weights[-1]) != base
    for p, b in zip(model.parameters(), before, strict=False):
        np.testing.assert_array_equal(p.data, b)


def test_backward_pass_render_depends_on_step():
    ex = algorithm_widgets.backward_pass_explorer(chapter5_trace())
    assert ex.controls[0].values == [0, 1, 2, 3]
    pngs = {ex.png(dpi=40, step=s) for s in range(4)}
    assert len(pngs) == 4


def test_the_live_view_reuses_the_static_frames_and_renders_only_off_the_grid():
    calls = []

    def render(a: float = 0.0, kind: str = "x"):
        calls.append((a, kind))
        fig = Figure(figsize=(2, 1))
        fig.add_subplot().set_title(f"{a} {kind}")
        return fig

    explorer = Explorer(render, [Slider("a", 0.0, 1.0, 0.5), Choice("kind", ["x", "y"])], alt="test")
    explorer.static_html()
    assert len(calls) == 6
    calls.clear()
    assert explorer.live_png(a=0.5, kind="y") == explorer._frame_png[(1, 1)]
    assert explorer.live_png(a=1.0 + 1e-12) == explorer._frame_png[(2, 0)]
    assert calls == []
    explorer.live_png(a=0.25, kind="y")  # between two frames: a fresh render
    assert calls == [(0.25, "y")]


def test_a_live_control_change_swaps_in_the_matching_frame():
    explorer = Explorer(lambda a=0.0: _tiny_figure(a), [Slider("a", 0.0, 1.0, 0.5)], alt="test")
    explorer.static_html()
    box = explorer.widget()
    slider, image = box.children[0].children[0], box.children[-1]
    slider.value = 1.0
    assert image.value == explorer._frame_png[(2,)]


def _tiny_figure(a: float):
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [0, a])
    return fig
