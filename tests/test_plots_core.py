"""bplib.plots backprop/neuron/network/style/display: figures with titles and labelled axes."""

import numpy as np
import pytest
from matplotlib.figure import Figure

import bplib as bp
from bplib.plots import backprop, display, network, neuron, style

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def labelled(ax) -> bool:
    return (
        bool(ax.get_title())
        and bool(ax.get_xlabel() or ax.get_xticklabels())
        and bool(ax.get_ylabel())
    )


@pytest.fixture
def xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    return (
        bp.MLP([2, 2, 1], activation="sigmoid", output_activation="sigmoid", seed=1),
        bp.MSELoss(),
        x,
        y,
    )


@pytest.fixture
def trace(rng):
    sizes = [3, 4, 2]
    weights = [rng.normal(size=(n, m)) for m, n in zip(sizes[:-1], sizes[1:], strict=False)]
    biases = [rng.normal(size=(n, 1)) for n in sizes[1:]]
    return bp.algorithm.backprop(weights, biases, rng.normal(size=(3, 2)), rng.uniform(size=(2, 2)))


# ------------------------------------------------------------------------------ style


def test_palette_is_okabe_ito():
    assert len(style.COLORS) == 8 and all(c.startswith("#") and len(c) == 7 for c in style.COLORS)
    assert style.BLUE == "#0072B2" and style.ORANGE == "#E69F00"


def test_new_figure_returns_figure_and_axes():
    fig, ax = style.new_figure(4, 3)
    assert isinstance(fig, Figure) and ax.figure is fig
    assert tuple(fig.get_size_inches()) == (4, 3)
    fig, axes = style.new_figure(6, 3, ncols=2, layout="fixed")
    assert axes.shape == (2,) and fig.get_layout_engine() is None


def test_new_figure_fixed_margins_are_inches_and_titles_are_not_moved():
    fig, ax = style.new_figure(8, 4, layout="fixed", margins={"top": 1.0, "left": 2.0})
    params = fig.subplotpars
    assert params.top == pytest.approx(1 - 1.0 / 4) and params.left == pytest.approx(2.0 / 8)
    assert params.bottom == pytest.approx(0.6 / 4)  # a default margin
    ax.set_title("title")
    assert ax._autotitlepos is False  # no measuring of tick labels at every draw
    assert ax.xaxis.get_major_locator()._nbins == style._FIXED_NBINS


def test_new_figure_rejects_margins_it_cannot_use():
    with pytest.raises(ValueError, match="layout='fixed' only"):
        style.new_figure(margins={"top": 1.0})
    with pytest.raises(ValueError, match="margins can set"):
        style.new_figure(layout="fixed", margins={"middle": 1.0})


def test_new_figure_rejects_an_unknown_layout():
    with pytest.raises(
        ValueError, match="new_figure: layout must be 'constrained' or 'fixed', got 'tight'"
    ):
        style.new_figure(layout="tight")


# ----------------------------------------------------------------------------- display


def test_figure_to_png_is_deterministic_without_metadata():
    fig, ax = style.new_figure(3, 2)
    ax.plot([0, 1], [0, 1])
    a, b = display.figure_to_png(fig, dpi=50), display.figure_to_png(fig, dpi=50)
    assert a.startswith(PNG_SIGNATURE) and a == b
    assert b"Software" not in a and b"matplotlib" not in a


@pytest.mark.parametrize("layout", ["fixed", "constrained"])
def test_figure_image_matches_savefig_pixel_for_pixel(layout):
    import io

    from PIL import Image

    fig, (left, right) = style.new_figure(5, 2.5, ncols=2, layout=layout)
    left.plot([0, 1, 2], [1, 0, 1], label="a line")
    left.set(title="$x^2$ and text", xlabel="x", ylabel="y")
    right.semilogy([1, 10, 1000])
    left.legend()
    for dpi in (50, 72):
        saved = io.BytesIO()
        fig.savefig(saved, format="png", dpi=dpi)
        expected = np.asarray(Image.open(saved).convert("RGB"))
        np.testing.assert_array_equal(np.asarray(display.figure_image(fig, dpi)), expected)
    assert fig.dpi == 100  # the figure is left at its own dpi


def test_figure_to_png_draws_two_figures_of_one_size_independently():
    first, ax = style.new_figure(3, 2, layout="fixed")
    ax.plot([0, 1], [0, 1])
    alone = display.figure_to_png(first, dpi=50)
    second, ax = style.new_figure(3, 2, layout="fixed")
    ax.plot([0, 1], [1, 0], color="red")
    display.figure_to_png(second, dpi=50)  # shares the renderer: nothing of it may remain
    assert display.figure_to_png(first, dpi=50) == alone


def test_figures_drawn_from_several_threads_come_out_as_drawn_alone():
    from concurrent.futures import ThreadPoolExecutor

    def figure(slope):
        fig, ax = style.new_figure(3, 2, layout="fixed")
        ax.plot([0, 1], [0, slope])
        ax.set_title(f"slope {slope}")
        return fig

    figures = [figure(s) for s in range(8)]
    alone = [display.figure_to_png(f, dpi=40) for f in figures]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda f: display.figure_to_png(f, dpi=40), figures))
    assert together == alone


def test_figure_to_png_with_few_colors_is_smaller():
    fig, ax = style.new_figure(4, 3)
    x = np.linspace(0, 1, 50)
    for i, c in enumerate(style.COLORS):
        ax.plot(x, x ** (i + 1), color=c, lw=2)
    ax.fill_between(x, x, x**2, alpha=0.3)
    full, small = display.figure_to_png(fig, dpi=72), display.figure_to_png(fig, dpi=72, colors=32)
    assert small.startswith(PNG_SIGNATURE) and len(small) < len(full)
    assert small == display.figure_to_png(fig, dpi=72, colors=32)


def test_register_notebook_display_is_false_outside_ipython():
    assert display.register_notebook_display() is False


# ----------------------------------------------------------------------------- neuron


def test_neuron_loss_and_tangent_has_two_labelled_panels():
    fig = neuron.neuron_loss_and_tangent(np.array([-1.0, 1.0]), np.array([0.0, 1.0]), w0=0.5, b=0.0)
    left, right = fig.axes
    assert labelled(left) and labelled(right)
    assert left.get_title() == "Loss and tangent at w = 0.50"
    assert "∂L/∂w" in right.texts[0].get_text()


# ----------------------------------------------------------------------------- network


def test_draw_network_draws_every_edge_and_highlights_one():
    fig, ax = style.new_figure(4, 3)
    network.draw_network(
        ax, [2, 3, 1], edge_values=[np.ones((3, 2)), -np.ones((1, 3))], highlight=(0, 1, 0)
    )
    assert len(ax.lines) == 2 * 3 + 3 * 1
    assert sum(line.get_color() == "black" for line in ax.lines) == 1
    assert {line.get_color() for line in ax.lines} == {style.BLUE, style.VERMILION, "black"}
    assert len(ax.collections) == 3 and [t.get_text() for t in ax.texts] == [
        "input",
        "layer 1",
        "layer 2",
    ]


def test_draw_network_accepts_node_values_and_missing_layers():
    fig, ax = style.new_figure(4, 3)
    network.draw_network(
        ax,
        [2, 2],
        edge_values=[None],
        node_values=[None, np.array([0.5, -0.5])],
        layer_labels=["a", "b"],
    )
    assert {line.get_color() for line in ax.lines} == {"0.75"}
    assert [t.get_text() for t in ax.texts] == ["a", "b"]


# ----------------------------------------------------------------------------- backprop


def test_gradient_comparison_has_bars_title_and_labels():
    fig = backprop.gradient_comparison(["w1", "w2", "w3"], [0.1, -0.2, 0.3], [0.1, -0.2, 0.3])
    ax = fig.axes[0]
    assert labelled(ax) and len(ax.patches) == 6
    assert [t.get_text() for t in ax.get_xticklabels()] == ["w1", "w2", "w3"]


def test_loss_along_weight_restores_the_weight(xor):
    model, loss_fn, x, y = xor
    before = model[0].W.data.copy()
    losses = backprop.loss_along_weight(
        model, loss_fn, x, y, "0.W", (0, 1), np.array([-0.1, 0.0, 0.1])
    )
    np.testing.assert_array_equal(model[0].W.data, before)
    assert losses.shape == (3,) and losses[1] == pytest.approx(loss_fn(model(x), y))


def test_nudge_figure_has_labelled_loss_panel_and_network(xor):
    model, loss_fn, x, y = xor
    fig = backprop.nudge_figure(model, loss_fn, x, y, "0.W", (1, 0), nudge=0.5)
    left, right = fig.axes
    assert labelled(left) and left.get_xlabel() == "nudge added to 0.W[1, 0]"
    assert left.get_title().startswith("Nudge +0.50: loss ")
    assert right.get_title() and sum(line.get_color() == "black" for line in right.lines) == 1


def test_delta_norms_one_bar_per_layer(trace):
    fig = backprop.delta_norms(trace)
    ax = fig.axes[0]
    assert labelled(ax) and len(ax.patches) == trace.num_layers and ax.get_yscale() == "log"


@pytest.mark.parametrize("step", [0, 1, 2])
def test_backward_step_figure_titles_each_step(trace, step):
    fig = backprop.backward_step_figure(trace, step)
    title = fig.axes[0].get_title()
    assert title.startswith({0: "Step 1, forward pass", 1: "Step 2: δ[K]", 2: "Step 3: δ[1]"}[step])


def test_backward_step_figures_differ_between_steps(trace):
    pngs = [
        display.figure_to_png(backprop.backward_step_figure(trace, s), dpi=30) for s in range(3)
    ]
    assert len(set(pngs)) == 3
