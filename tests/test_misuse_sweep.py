"""The rest of the misuse sweep (issue 17): every public function refuses a bad argument with a bplib
error that names the argument, what was given and what was expected; valid but surprising values warn.
Companion of tests/test_misuse.py; here one case per argument the sweep found unguarded."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from test_misuse import raises_clearly

import bplib as bp

matplotlib.use("Agg")

F = bp.functional


def _param() -> bp.Parameter:
    return bp.Parameter(np.ones(3))


def _x() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((8, 3))


def _f() -> float:
    return 1.0


def _trace():
    return bp.algorithm.backprop([np.ones((2, 3)), np.ones((1, 2))], [np.zeros(2), np.zeros(1)],
                                 np.ones(3), np.ones(1))


def _surface_point_path(**kw):
    args = dict(surface="quadratic", make_optimizer=lambda ps: bp.optim.SGD(ps, lr=0.1), steps=3)
    args.update(kw)
    return bp.optim.optimizer_path(**args)


_FRESH_CACHE = F.linear_forward(np.ones((4, 3)), np.ones((2, 3)), None)[1]

CASES = {
    # layers
    "Linear with bias='no'": (lambda: bp.Linear(3, 2, bias="no"), TypeError,
                              r"bias must be True or False.*non-empty string counts as True"),
    "Linear with an integer dtype": (lambda: bp.Linear(3, 2, dtype=int), TypeError,
                                     r"Linear\(3, 2\): dtype must be a floating-point type"),
    "BatchNorm1d with a string momentum": (lambda: bp.BatchNorm1d(3, momentum="a"), TypeError,
                                           r"BatchNorm1d.*momentum must be a number, got the string 'a'"),
    "Parameter with a numeric name": (lambda: bp.Parameter(np.ones(2), name=3), TypeError,
                                      "name must be a string"),
    # optimisers
    "SGD with nesterov='yes'": (lambda: bp.optim.SGD([_param()], lr=0.1, momentum=0.9, nesterov="yes"),
                                TypeError, "SGD: nesterov must be True or False"),
    "RMSprop with centered='y'": (lambda: bp.optim.RMSprop([_param()], centered="y"), TypeError,
                                  "RMSprop: centered must be True or False"),
    "optimizer_path with an unknown surface": (lambda: _surface_point_path(surface="bowl"), ValueError,
                                               r"unknown surface 'bowl'.*quadratic"),
    "optimizer_path with a number as surface": (lambda: _surface_point_path(surface=3), TypeError,
                                                "surface must be a Surface"),
    "optimizer_path with steps=-1": (lambda: _surface_point_path(steps=-1), ValueError,
                                     "steps must be a whole number >= 0, got -1"),
    "optimizer_path with steps=1.5": (lambda: _surface_point_path(steps=1.5), ValueError,
                                      "steps must be a whole number >= 0, got 1.5"),
    "optimizer_path with a ready optimiser": (
        lambda: _surface_point_path(make_optimizer=bp.optim.SGD([_param()], lr=0.1)), TypeError,
        r"make_optimizer must be a function.*lambda ps: SGD\(ps, lr=0.1\)"),
    "optimizer_path with a 3-D start": (lambda: _surface_point_path(start=(1.0, 2.0, 3.0)), ValueError,
                                        r"start must be a point \(w1, w2\).*shape \(3,\)"),
    # functional
    "linear_forward with a bias of the wrong length": (
        lambda: F.linear_forward(np.ones((4, 3)), np.ones((2, 3)), np.ones(3)), ValueError,
        r"linear_forward: b has shape \(3,\).*expected b of shape \(2,\)"),
    "linear_backward with dout of the wrong shape": (
        lambda: F.linear_backward(np.ones((4, 5)), _FRESH_CACHE), ValueError,
        r"linear_backward: dout has shape \(4, 5\), expected \(4, 2\)"),
    "linear_backward without a cache": (lambda: F.linear_backward(np.ones((4, 2)), None), TypeError,
                                        "cache must be the .* that linear_forward returned"),
    "relu_forward of a string": (lambda: F.relu_forward("a"), TypeError, "relu_forward: x must be an array"),
    "sigmoid of a string": (lambda: F.sigmoid("a"), TypeError, "sigmoid: x must be an array"),
    "tanh_forward of a string": (lambda: F.tanh_forward("a"), TypeError, "tanh_forward: x must be an array"),
    "leaky_relu_forward with a string slope": (lambda: F.leaky_relu_forward(np.ones(3), "a"), TypeError,
                                               "negative_slope must be a number"),
    "log_softmax of a string": (lambda: F.log_softmax("a"), TypeError, "log_softmax: logits must be"),
    "sigmoid_backward with dout of the wrong shape": (
        lambda: F.sigmoid_backward(np.ones(5), F.sigmoid_forward(np.ones(3))[1]), ValueError,
        r"sigmoid_backward: dout has shape \(5,\) but the forward output had shape \(3,\)"),
    "tanh_backward with dout of the wrong shape": (
        lambda: F.tanh_backward(np.ones(5), F.tanh_forward(np.ones(3))[1]), ValueError,
        r"tanh_backward: dout has shape \(5,\)"),
    "relu_backward with dout of the wrong shape": (
        lambda: F.relu_backward(np.ones(5), F.relu_forward(np.ones(3))[1]), ValueError,
        r"relu_backward: dout has shape \(5,\)"),
    "leaky_relu_backward with dout of the wrong shape": (
        lambda: F.leaky_relu_backward(np.ones(5), F.leaky_relu_forward(np.ones(3))[1]), ValueError,
        r"leaky_relu_backward: dout has shape \(5,\)"),
    "softmax_backward with dout of the wrong shape": (
        lambda: F.softmax_backward(np.ones((2, 5)), F.softmax_forward(np.ones((2, 3)))[1]), ValueError,
        r"softmax_backward: dout has shape \(2, 5\)"),
    "mse with dloss but reduction='mean'": (
        lambda: F.mse(np.ones((4, 1)), np.zeros((4, 1)), dloss=np.ones(3)), ValueError,
        r"dloss is only used with reduction='none'.*'mean'"),
    # init
    "calculate_gain with a string slope": (lambda: bp.init.calculate_gain("leaky_relu", "a"), TypeError,
                                           "calculate_gain: negative_slope must be a number"),
    "xavier_uniform with a string gain": (
        lambda: bp.init.xavier_uniform((3, 2), np.random.default_rng(0), gain="a"), TypeError,
        "xavier_uniform: gain must be a number"),
    "normal with a NaN mean": (lambda: bp.init.normal((3, 2), np.random.default_rng(0), float("nan"), 1.0),
                               ValueError, "normal: mean must be a finite number"),
    "normal with a string std": (lambda: bp.init.normal((3, 2), np.random.default_rng(0), 0.0, "a"),
                                 TypeError, "normal: std must be a number"),
    "uniform with a string bound": (lambda: bp.init.uniform((3, 2), np.random.default_rng(0), "a", 1.0),
                                    TypeError, "uniform: low must be a number"),
    "he_normal with an integer dtype": (lambda: bp.init.he_normal((3, 2), np.random.default_rng(0), dtype=int),
                                        TypeError, "dtype must be a floating-point type"),
    "he_normal with fan_in 0": (lambda: bp.init.he_normal((3, 0), np.random.default_rng(0)), ValueError,
                                r"shape \(3, 0\) has fan_in = 0"),
    "lecun_uniform with fan_in 0": (lambda: bp.init.lecun_uniform((3, 0), np.random.default_rng(0)),
                                    ValueError, "lecun_uniform: .*fan_in = 0"),
    # gradcheck
    "numerical_gradient with a number for f": (lambda: bp.gradcheck.numerical_gradient(3, np.ones(3)),
                                               TypeError, "f must be a function of no arguments"),
    "numerical_gradient with f(x) instead of f()": (
        lambda: bp.gradcheck.numerical_gradient(lambda v: float(np.sum(v ** 2)), np.ones(3)), TypeError,
        r"f is called with no arguments.*needs 1 \(v\).*lambda: f\(x\)"),
    "numerical_gradient_array with dout of the wrong shape": (
        lambda: bp.gradcheck.numerical_gradient_array(lambda: np.ones(3), np.ones(3), np.ones(4)), ValueError,
        r"dout has shape \(4,\) but f\(\) returns shape \(3,\)"),
    "rel_error of a string": (lambda: bp.gradcheck.rel_error("a", 1.0), TypeError,
                              "rel_error: a and b must be numbers"),
    "random_coords with k=0": (lambda: bp.gradcheck.random_coords((3, 2), 0, np.random.default_rng(0)),
                               ValueError, "random_coords: k must be a positive whole number"),
    "random_coords with k=-1": (lambda: bp.gradcheck.random_coords((3, 2), -1, np.random.default_rng(0)),
                                ValueError, "got -1"),
    "gradcheck of a class": (lambda: bp.gradcheck.gradcheck(bp.Linear, _x()), TypeError,
                             r"fn is the class Linear, not an instance"),
    "gradcheck with a string seed": (lambda: bp.gradcheck.gradcheck(bp.Linear(3, 2, seed=0), _x(), seed="a"),
                                     TypeError, "gradcheck: seed must be a whole number"),
    # data
    "moons with a string noise": (lambda: bp.data.moons(10, noise="a"), TypeError,
                                  "moons: noise must be a number, got the string 'a'"),
    "spirals with a string turns": (lambda: bp.data.spirals(turns="a"), TypeError,
                                    "spirals: turns must be a number"),
    "sine_waves with one frequency": (lambda: bp.data.sine_waves(frequencies=1.0), TypeError,
                                      r"frequencies must be a pair \(low, high\)"),
    "sine_waves with a string dt": (lambda: bp.data.sine_waves(dt="a"), TypeError, "dt must be a number"),
    "digits with seed -1": (lambda: bp.data.digits(seed=-1), ValueError, "digits: seed must be a whole number >= 0"),
    # rnn
    "RNN with a string seed": (lambda: bp.RNN(2, 3, seed="a"), TypeError, r"RNN\(2, 3\): seed must be"),
    "spectral_radius of a matrix with NaN": (lambda: bp.rnn.spectral_radius(np.full((2, 2), np.nan)),
                                             ValueError, "spectral_radius: W contains nan"),
    "rnn_step_forward with W_xh of the wrong shape": (
        lambda: bp.rnn.rnn_step_forward(np.ones((4, 2)), np.ones((4, 3)), np.ones((3, 5)), np.ones((3, 3)),
                                        np.ones(3)), ValueError, r"shapes do not fit.*W_xh \(3, 5\)"),
    "rnn_step_forward with an unknown nonlinearity": (
        lambda: bp.rnn.rnn_step_forward(np.ones((4, 2)), np.ones((4, 3)), np.ones((3, 2)), np.ones((3, 3)),
                                        np.ones(3), "bogus"), ValueError, "nonlinearity must be 'tanh' or 'relu'"),
    "last_step_head with T=0": (lambda: bp.rnn.last_step_head(bp.Linear(3, 1), bp.MSELoss(), np.ones((4, 1)), 0),
                                ValueError, r"last_step_head: T \(the number of time steps\) must be"),
    "last_step_head with the loss class": (
        lambda: bp.rnn.last_step_head(bp.Linear(3, 1), bp.MSELoss, np.ones((4, 1)), 5), TypeError,
        r"loss_fn is the class MSELoss.*MSELoss\(\)"),
    "chunked_bptt with a head that is not a function": (
        lambda: bp.rnn.chunked_bptt(bp.RNN(2, 3, seed=0), np.ones((4, 5, 2)), 2, 3), TypeError,
        "chunked_bptt: head must be a function"),
    # train, curvature, regularisation
    "fit with shuffle='no'": (
        lambda: (m := bp.MLP([3, 1], seed=0), bp.fit(m, bp.MSELoss(), bp.optim.SGD(m.parameters(), lr=0.1),
                                                      _x(), np.zeros((8, 1)), shuffle="no", progress=False)),
        TypeError, "fit: shuffle must be True or False"),
    "accuracy with logits='no'": (lambda: bp.train.accuracy(np.zeros((4, 1)), np.zeros((4, 1)), logits="no"),
                                  TypeError, "accuracy: logits must be True or False"),
    "accuracy of an empty set": (lambda: bp.train.accuracy(np.zeros((0, 3)), np.zeros(0, int)), ValueError,
                                 "at least one example"),
    "compute_gradients with the model class": (
        lambda: bp.train.compute_gradients(bp.MLP, bp.MSELoss(), _x(), np.zeros((8, 1))), TypeError,
        "compute_gradients: model is the class MLP"),
    "compute_gradients with the loss class": (
        lambda: bp.train.compute_gradients(bp.MLP([3, 1]), bp.MSELoss, _x(), np.zeros((8, 1))), TypeError,
        "compute_gradients: loss_fn is the class MSELoss"),
    "curvature.gradient with the loss class": (
        lambda: bp.curvature.gradient(bp.MLP([3, 1]), bp.MSELoss, _x(), np.zeros((8, 1))), TypeError,
        "gradient: loss_fn is the class MSELoss"),
    # autodiff
    "jacobian_forward with a number for f": (lambda: bp.autodiff.jacobian_forward(3, [1.0]), TypeError,
                                             "f must be a function of one list of inputs"),
    "jacobian_forward with f(a, b)": (lambda: bp.autodiff.jacobian_forward(lambda a, b: [a * b], [1.0, 2.0]),
                                      TypeError, r"one argument, the list of inputs.*lambda v: \[v\[0\] \* v\[1\]"),
    "jacobian_reverse with f(a, b)": (lambda: bp.autodiff.jacobian_reverse(lambda a, b: [a * b], [1.0, 2.0]),
                                      TypeError, "one argument, the list of inputs"),
    "jacobian_forward with a scalar xs": (lambda: bp.autodiff.jacobian_forward(lambda v: [v[0]], 1.0),
                                          TypeError, r"xs must be a list of numbers.*write \[x\]"),
    "jacobian_reverse with a nested output": (lambda: bp.autodiff.jacobian_reverse(lambda v: [v], [1.0, 2.0]),
                                              TypeError, "output 0 of f is a list"),
    "topological_order of a number": (lambda: bp.autodiff.topological_order(3), TypeError,
                                      "topological_order: root must be a Value"),
    "ScalarMLP with a zero width": (lambda: bp.autodiff.ScalarMLP([2, 0, 1]), ValueError,
                                    r"ScalarMLP: sizes\[1\] must be a whole number >= 1"),
    "ScalarMLP with a string seed": (lambda: bp.autodiff.ScalarMLP([2, 3, 1], seed="a"), TypeError,
                                     "ScalarMLP: seed must be a whole number"),
    # neuron, chain, gates
    "neuron_output with 2-D x": (lambda: bp.neuron.neuron_output(np.ones((4, 3)), 1.0, 0.0), ValueError,
                                 r"neuron_output: x must be one number or a 1-D array.*\(4, 3\)"),
    "neuron_output with a vector bias": (lambda: bp.neuron.neuron_output(np.ones(4), 1.0, np.ones(3)), ValueError,
                                         "b must be one number"),
    "neuron_output with a 2-D w": (lambda: bp.neuron.neuron_output(np.ones(4), np.ones((2, 2)), 0.0), ValueError,
                                   "w must be one weight or a 1-D array"),
    "neuron_output of a string": (lambda: bp.neuron.neuron_output("a", 1.0, 0.0), TypeError,
                                  "neuron_output: x must be an array of numbers"),
    "neuron_loss with one target too many": (lambda: bp.neuron.neuron_loss(np.ones(4), np.ones(5), 1.0, 0.0),
                                             ValueError, r"y has shape \(5,\) but x has shape \(4,\)"),
    "neuron_gradients with column targets": (
        lambda: bp.neuron.neuron_gradients(np.ones(4), np.ones((4, 1)), 1.0, 0.0), ValueError,
        r"neuron_gradients: y has shape \(4, 1\)"),
    "neuron_loss bce with a target of 2": (
        lambda: bp.neuron.neuron_loss(np.ones(4), np.full(4, 2.0), 1.0, 0.0, loss="bce"), ValueError,
        r"targets y must be in \[0, 1\]"),
    "chain.power of a string": (lambda: bp.chain.power("a"), TypeError, "power: n must be a number"),
    "chain.affine of a string": (lambda: bp.chain.affine("a"), TypeError, "affine: a must be a number"),
    "chain.central_difference with h=0": (lambda: bp.chain.central_difference(lambda u: u * u, 1.0, h=0),
                                          ValueError, "h must be a positive step"),
    "chain.central_difference of a number": (lambda: bp.chain.central_difference(3, 1.0), TypeError,
                                             "central_difference: f must be a function"),
    "gates.central_difference with h=0": (lambda: bp.gates.central_difference(lambda u: u, 1.0, h=0),
                                          ValueError, "h must be a positive step"),
    "neuron_partials with a string weight": (lambda: bp.chain.neuron_partials("a", 0.0, 1.0, 1.0), TypeError,
                                             "neuron_partials: w must be a number"),
    "neuron_partials with an array weight": (lambda: bp.chain.neuron_partials(np.ones(2), 0.0, 1.0, 1.0),
                                             TypeError, "neuron_partials: w must be a number"),
    "chain table at a string x": (lambda: bp.chain.compose("sin", "square").table("a"), TypeError,
                                  "chain: x must be a number"),
    "gate with string inputs": (lambda: bp.gates.gate_forward("multiply", ["a", "b"]), TypeError,
                                r"gate 'multiply': inputs\[0\] must be a number"),
    "gate with one number as inputs": (lambda: bp.gates.gate_forward("multiply", 2.0), TypeError,
                                       r"inputs must be a list of numbers.*write \[x\]"),
    "gate with a number as upstream": (lambda: bp.gates.gate_backward("add", [1.0, 2.0], 1.0), TypeError,
                                       "upstream must be a list of numbers"),
    # algorithm
    "backprop with one array for weights": (
        lambda: bp.algorithm.backprop(np.ones((2, 3)), np.zeros(2), np.ones(3), np.ones(1)), TypeError,
        r"backprop: weights must be a list with one entry per layer.*\[W\]"),
    "forward_pass with too few activations": (
        lambda: bp.algorithm.forward_pass([np.ones((2, 3)), np.ones((1, 2))], [np.zeros(2), np.zeros(1)],
                                          np.ones(3), ["sigmoid"]), ValueError,
        "forward_pass: got 2 weights, 2 biases, 1 activations"),
    "backward_pass with a short z": (
        lambda: bp.algorithm.backward_pass([np.ones((2, 3)), np.ones((1, 2))], [np.ones(2)], np.ones(1),
                                           ["sigmoid", "sigmoid"]), ValueError, "z must hold K \\+ 1 = 3 entries"),
    "weight_gradients with lists of different lengths": (
        lambda: bp.algorithm.weight_gradients([np.ones(1)], [np.ones(3), np.ones(2)]), ValueError,
        "delta has 1 entries and a has 2"),
    "num_parameters with a missing bias": (
        lambda: bp.algorithm.num_parameters([np.ones((2, 3)), np.ones((1, 2))], [np.zeros(2)]), ValueError,
        "got 2 weights, 1 biases"),
    "weights_of a Linear": (lambda: bp.algorithm.weights_of(bp.Linear(3, 2)), TypeError,
                            "weights_of: expected a bplib.MLP"),
    # diagnostics, history, cliff
    "deep_mlp with a string seed": (lambda: bp.diagnostics.deep_mlp(3, seed="a"), TypeError,
                                    "deep_mlp: seed must be a whole number"),
    "gradient_profile with batch 0": (lambda: bp.diagnostics.gradient_profile(3, batch=0), ValueError,
                                      "gradient_profile: batch must be a whole number >= 1"),
    "record_pass with the loss class": (
        lambda: bp.diagnostics.record_pass(bp.MLP([3, 1]), _x(), np.zeros((8, 1)), bp.MSELoss), TypeError,
        "record_pass: loss_fn is the class MSELoss"),
    "inactive_fraction of a number": (lambda: bp.diagnostics.inactive_fraction(3), TypeError,
                                      "record must be the PassRecord"),
    "profile_table with a number": (lambda: bp.diagnostics.profile_table(3), TypeError,
                                    r"configs must be a list of \(activation, init, architecture\)"),
    "profile_table with a pair": (lambda: bp.diagnostics.profile_table([("sigmoid", "naive")]), ValueError,
                                  r"configs\[0\] must be \(activation, init, architecture\)"),
    "gradient_norms of a number": (lambda: bp.diagnostics.gradient_norms(3), TypeError,
                                   "expected a bplib Module"),
    "network_1986 with one size": (lambda: bp.history.network_1986((6,)), ValueError,
                                   "sizes needs at least an input and an output width"),
    "network_1986 with a negative init_range": (lambda: bp.history.network_1986(init_range=-1), ValueError,
                                                "init_range must be >= 0"),
    "network_1986 with a string seed": (lambda: bp.history.network_1986(seed="a"), TypeError,
                                        "network_1986: seed must be"),
    "sweeps_to_solve with hidden 0": (
        lambda: bp.history.sweeps_to_solve(*bp.data.symmetry_1986(), hidden=0, seeds=[0], max_sweeps=5),
        ValueError, "hidden must be a whole number >= 1"),
    "sweeps_to_solve with lr -1": (
        lambda: bp.history.sweeps_to_solve(*bp.data.symmetry_1986(), seeds=[0], lr=-1, max_sweeps=5),
        ValueError, "lr must be > 0"),
    "sweeps_to_solve with momentum 1": (
        lambda: bp.history.sweeps_to_solve(*bp.data.symmetry_1986(), seeds=[0], momentum=1.0, max_sweeps=5),
        ValueError, r"momentum must be in \[0, 1\)"),
    "sweeps_to_solve with seeds=3": (
        lambda: bp.history.sweeps_to_solve(*bp.data.symmetry_1986(), seeds=3, max_sweeps=5), TypeError,
        r"seeds must be a list of seeds, e.g. range\(3\)"),
    "CliffTask with T=0": (lambda: bp.cliff.CliffTask(T=0), ValueError, "CliffTask: T must be a whole number >= 1"),
    "CliffTask with a NaN h0": (lambda: bp.cliff.CliffTask(h0=float("nan")), ValueError,
                                "CliffTask: h0 must be a finite number"),
    "one_unit_rnn with a string w": (lambda: bp.cliff.one_unit_rnn("a", 0.0), TypeError,
                                     "one_unit_rnn: w must be a number"),
    "cliff_training with a number as task": (lambda: bp.cliff.cliff_training(task=3, steps=2), TypeError,
                                             "cliff_training: task must be a CliffTask"),
    "cliff_loss of None": (lambda: bp.cliff.cliff_loss(None), TypeError, "rnn must be a one-unit RNN"),
    "loss_surface with a 2-D ws": (lambda: bp.cliff.loss_surface(np.ones((2, 2)), np.ones(3)), ValueError,
                                   r"loss_surface: ws must be a 1-D array.*\(2, 2\)"),
    "loss_along_b with a 2-D bs": (lambda: bp.cliff.loss_along_b(np.ones((2, 2))), ValueError,
                                   "loss_along_b: bs must be a 1-D array"),
    # plots and widgets
    "new_figure with width 0": (lambda: bp.plots.new_figure(width=0), ValueError,
                                "new_figure: width must be a positive number"),
    "new_figure with nrows 0": (lambda: bp.plots.new_figure(nrows=0), ValueError,
                                "new_figure: nrows must be a whole number >= 1"),
    "figure_to_png of a number": (lambda: bp.plots.figure_to_png(3), TypeError,
                                  "figure_to_png: fig must be a matplotlib Figure"),
    "figure_to_png with dpi 0": (lambda: bp.plots.figure_to_png(bp.plots.new_figure()[0], dpi=0), ValueError,
                                 "dpi must be a positive number"),
    "loss_curves of a list": (lambda: bp.plots.loss_curves([1, 2, 3]), TypeError, "expected a History"),
    "first_layer_weights with ncols 0": (lambda: bp.plots.first_layer_weights(np.zeros((4, 64)), ncols=0),
                                         ValueError, "ncols must be a whole number >= 1"),
    "digit_examples with per_class 0": (
        lambda: bp.plots.digit_examples(np.zeros((10, 64)), np.arange(10), per_class=0), ValueError,
        "digit_examples: per_class must be a whole number >= 1"),
    "sweeps_histogram with bins 0": (lambda: bp.plots.sweeps_histogram(np.array([10, 20]), bins=0), ValueError,
                                     "sweeps_histogram: bins must be a whole number >= 1"),
    "sweeps_histogram of no runs": (lambda: bp.plots.sweeps_histogram(np.array([], dtype=int)), ValueError,
                                    "sweeps is empty"),
    "surface_paths with an unknown surface": (lambda: bp.plots.surface_paths("bogus", {}), ValueError,
                                              "surface_paths: unknown surface 'bogus'"),
    "backward_step_figure past the last layer": (lambda: bp.plots.backward_step_figure(_trace(), 99), ValueError,
                                                 r"step must be a whole number from 0 .* K = 2"),
    "eigenvalues_figure of a non-square matrix": (lambda: bp.plots.eigenvalues_figure(np.ones((2, 3))),
                                                  ValueError, "eigenvalues_figure: W must be a square matrix"),
    "nudge_figure with an unknown parameter": (
        lambda: bp.plots.nudge_figure(bp.MLP([3, 1], seed=0), bp.MSELoss(), np.ones((4, 3)), np.ones((4, 1)),
                                      "bogus", (0, 0), 0.5), ValueError, r"no parameter 'bogus'.*0\.W"),
    "nudge_figure with an index outside the weight": (
        lambda: bp.plots.nudge_figure(bp.MLP([3, 1], seed=0), bp.MSELoss(), np.ones((4, 3)), np.ones((4, 1)),
                                      "0.W", (5, 5), 0.5), ValueError, r"index \(5, 5\) does not point into '0.W'"),
    "nudge_explorer with the model class": (
        lambda: bp.widgets.nudge_explorer(bp.MLP, bp.MSELoss(), np.ones((4, 3)), np.ones((4, 1))), TypeError,
        "nudge_explorer: model must be a network.*the class MLP"),
    "backward_pass_explorer of a number": (lambda: bp.widgets.backward_pass_explorer(3), TypeError,
                                           "trace must be the BackpropTrace"),
    "render_training at an epoch with no snapshot": (lambda: bp.widgets.render_training(epoch=-1), ValueError,
                                                     r"render_training: epoch must be one of the stored epochs"),
    "Choice with too few labels": (lambda: bp.widgets.Choice("a", ["x", "y"], labels=["X"]), ValueError,
                                   "got 1 labels for 2 options"),
    "Explorer with a render that is not a function": (
        lambda: bp.widgets.Explorer(3, [], alt="a figure"), TypeError, "render must be a function"),
    "Explorer with a control render does not take": (
        lambda: bp.widgets.Explorer(lambda lr=0.1: None, [bp.widgets.Slider("rate", 0.0, 1.0, 0.5)], alt="a"),
        ValueError, r"control 'rate' is not a parameter of <lambda>; its parameters are \['lr'\]"),
    "Explorer with one control, not a list": (
        lambda: bp.widgets.Explorer(lambda lr=0.1: None, bp.widgets.Slider("lr", 0.0, 1.0, 0.5), alt="a"),
        TypeError, r"controls must be a list.*\[control\]"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_misuse_gets_a_clear_error(case):
    raises_clearly(*CASES[case])


def test_clip_grad_value_of_zero_warns_that_nothing_will_change():
    p = _param()
    p.grad[:] = [1.0, -2.0, 3.0]
    with pytest.warns(UserWarning, match="clip_value=0 sets every gradient to 0"):
        bp.optim.clip_grad_value_([p], 0.0)
    assert p.grad.tolist() == [0.0, 0.0, 0.0]


def test_functional_activations_still_accept_plain_lists_with_the_same_numbers():
    assert F.relu_forward([1.0, -1.0])[0].tolist() == [1.0, 0.0]
    assert F.sigmoid([0.0])[0] == 0.5
    assert F.tanh_forward([0.0])[0].tolist() == [0.0]
    assert np.allclose(F.softmax([0.0, 0.0]), [0.5, 0.5])
    assert F.leaky_relu_forward([-2.0], 0.5)[0].tolist() == [-1.0]


def test_zero_argument_numerical_gradient_still_works():
    x = np.array([1.0, 2.0])
    assert np.allclose(bp.gradcheck.numerical_gradient(lambda: float(np.sum(x ** 2)), x), [2.0, 4.0])


def test_explorer_with_a_catch_all_render_accepts_any_control_name():
    explorer = bp.widgets.Explorer(lambda **params: None, [bp.widgets.Slider("anything", 0.0, 1.0, 0.5)], alt="a")
    assert explorer.defaults == {"anything": 0.0}


def test_zero_dimensional_numbers_are_still_numbers():
    assert bp.chain.affine(np.array(2.0)).f(1.0) == 2.0
    assert bp.gates.gate_forward("add", np.array([1.0, 2.0])) == (3.0,)
