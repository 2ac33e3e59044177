"""Figures used by the chapters; every function returns a ``matplotlib.figure.Figure``."""

from bplib.plots.display import figure_to_png, register_notebook_display
from bplib.plots.gradients import *  # noqa: F403
from bplib.plots.backprop import backward_step_figure, delta_norms, gradient_comparison, nudge_figure
from bplib.plots.neuron import neuron_loss_and_tangent, sigmoid_loss_gradients
from bplib.plots.network import draw_network, labelled_network_figure
from bplib.plots.graph import draw_graph
from bplib.plots.gradcheck import step_sweep_figure
from bplib.plots.gates import draw_gate
from bplib.plots.style import COLORS, new_figure
from bplib.plots.training import *  # noqa: F403
from bplib.plots.optimizers import step_sizes, surface_paths
from bplib.plots.rnn import *  # noqa: F403
from bplib.plots.stability import cliff_figure, inactive_units_figure, loss_along_b_figure, saturation_profile
from bplib.plots.memory import cache_memory_figure, checkpoint_tradeoff_figure
from bplib.plots.digits import *  # noqa: F403

register_notebook_display()
