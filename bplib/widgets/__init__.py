"""Chapter explorers: a pure ``render(**params) -> Figure`` plus controls, live in a kernel and
pre-rendered on the static site (see ``bplib.widgets.explorer``)."""

from bplib.widgets.explorer import Choice, Explorer, Slider
from bplib.widgets.neuron import render_tangent, tangent_explorer
from bplib.widgets.overview import nudge_explorer
from bplib.widgets.algorithm import backward_pass_explorer
from bplib.widgets.gradcheck import render_step_sweep, step_explorer
from bplib.widgets.chain import chain_explorer, render_chain
from bplib.widgets.gates import gate_explorer, render_gate
from bplib.widgets.autodiff import neuron_graph_explorer, render_neuron_graph
from bplib.widgets.vanishing import gradient_profile_explorer, render_gradient_profile
from bplib.widgets.exploding import clipping_explorer, render_clipping
from bplib.widgets.training import render_training, symmetry_explorer, training_explorer
from bplib.widgets.optimizers import momentum_explorer, render_momentum
from bplib.widgets.rnn import bptt_explorer, render_gradient_in_time
from bplib.widgets.digits import digits_explorer, render_digits_training
