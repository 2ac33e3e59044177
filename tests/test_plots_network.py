"""bplib.plots.network.labelled_network_figure: the hand-computation figure of chapter 5."""

import numpy as np
import pytest

from bplib.plots import display, network

W1 = np.array([[0.5, -0.4], [0.3, 0.8]])
W2 = np.array([[0.7, -0.6], [-0.2, 0.9]])
LABELS = [["x1", "x2"], ["h1", "h2"], ["o1", "o2"]]


def texts(ax):
    return [t.get_text() for t in ax.texts]


def test_every_edge_carries_its_weight_and_every_node_its_label():
    fig = network.labelled_network_figure([W1, W2], [("the network", LABELS)])
    (ax,) = fig.axes
    assert ax.get_title() == "the network"
    shown = texts(ax)
    for W in (W1, W2):
        for value in W.ravel():
            assert f"{value:.2f}" in shown
    assert all(label in shown for layer in LABELS for label in layer)
    assert len(ax.lines) == 8  # 2·2 + 2·2 edges


def test_one_panel_per_title_and_panels_show_their_own_labels():
    other = [["", ""], ["δ=1", "δ=2"], ["δ=3", "δ=4"]]
    fig = network.labelled_network_figure([W1, W2], [("forward", LABELS), ("backward", other)])
    assert [ax.get_title() for ax in fig.axes] == ["forward", "backward"]
    assert "δ=3" in texts(fig.axes[1]) and "δ=3" not in texts(fig.axes[0])
    png = display.figure_to_png(fig, dpi=30)
    assert png != display.figure_to_png(network.labelled_network_figure([W1, W2], [("f", LABELS)]), dpi=30)


def test_labels_that_do_not_fit_the_network_are_rejected():
    with pytest.raises(ValueError, match=r"node labels for layers of sizes \[2, 2\], but the network "
                                         r"has sizes \[2, 2, 2\]"):
        network.labelled_network_figure([W1, W2], [("bad", LABELS[:2])])
