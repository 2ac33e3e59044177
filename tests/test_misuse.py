"""Misuses a student is likely to make get a bplib error that names the argument, what was given
and what was expected: never a silent wrong number, never a bare numpy error from deep inside."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import bplib as bp


def _x_y():
    rng = np.random.default_rng(0)
    return rng.standard_normal((8, 3)), rng.standard_normal((8, 1))


def _param(grad) -> bp.Parameter:
    p = bp.Parameter(np.ones(3))
    p.grad[:] = grad
    return p


def _fit(**kw):
    x, y = _x_y()
    model = kw.pop("model", None) or bp.MLP([3, 4, 1], seed=0)
    args = dict(loss_fn=bp.MSELoss(), optimizer=bp.optim.SGD(model.parameters(), lr=0.1), x=x, y=y,
                epochs=1, progress=False)
    args.update(kw)
    return bp.fit(model, **args)


CASES = {
    # fit
    "fit with another model's optimiser": (
        lambda: _fit(optimizer=bp.optim.SGD(bp.MLP([3, 4, 1], seed=1).parameters(), lr=0.1)),
        ValueError, "none of this model's parameters"),
    "fit with the loss class": (lambda: _fit(loss_fn=bp.MSELoss), TypeError, r"class MSELoss.*MSELoss\(\)"),
    "fit with the optimiser class": (lambda: _fit(optimizer=bp.optim.SGD), TypeError, "class SGD"),
    "fit with y=None": (lambda: _fit(y=None), TypeError, "y must be an array"),
    "fit with a callback that is not a function": (lambda: _fit(callbacks=[1]), TypeError, r"callbacks\[0\]"),
    "fit with NaN in x": (lambda: _fit(x=np.full((8, 3), np.nan)), ValueError, "x contains nan"),
    "fit with a string seed": (lambda: _fit(seed="abc"), TypeError, "seed must be a whole number"),
    # losses
    "BCELoss with a target of 2": (lambda: bp.BCELoss()(np.full((4, 1), 0.5), np.full((4, 1), 2.0)),
                                   ValueError, r"targets must be in \[0, 1\].*got 2"),
    "BCEWithLogitsLoss with a target of -1": (
        lambda: bp.layers.losses.BCEWithLogitsLoss()(np.zeros((4, 1)), -np.ones((4, 1))),
        ValueError, r"targets must be in \[0, 1\].*got -1"),
    # clipping
    "clip_grad_norm_ with max_norm=0": (lambda: bp.optim.clip_grad_norm_([_param(1.0)], 0),
                                        ValueError, "max_norm must be a finite number > 0"),
    "clip_grad_norm_ with NaN gradients": (lambda: bp.optim.clip_grad_norm_([_param(np.nan)], 1.0),
                                           ValueError, "NaN or infinity"),
    "clip_grad_norm_ with norm_type=-1": (lambda: bp.optim.clip_grad_norm_([_param(1.0)], 1.0, norm_type=-1),
                                          ValueError, "norm_type must be a finite number > 0"),
    "clip_grad_norm_ with norm_type=0": (lambda: bp.optim.clip_grad_norm_([_param(1.0)], 1.0, norm_type=0),
                                         ValueError, "norm_type must be a finite number > 0"),
    "clip_grad_norm_ with norm_type='l2'": (
        lambda: bp.optim.clip_grad_norm_([_param(1.0)], 1.0, norm_type="l2"), TypeError, "string 'l2'"),
    # optimisers
    "SGD with momentum 1.5": (lambda: bp.optim.SGD([_param(1.0)], lr=0.1, momentum=1.5),
                              ValueError, r"momentum must be in \[0, 1\)"),
    "the same Parameter listed twice": (lambda: bp.optim.SGD([p := _param(1.0), p], lr=0.1),
                                        ValueError, "same Parameter twice"),
    "Adam with eps=0": (lambda: bp.optim.Adam([_param(0.0)], eps=0), ValueError, "eps must be a finite number > 0"),
    "RMSprop with eps=0": (lambda: bp.optim.RMSprop([_param(0.0)], eps=0), ValueError, "eps must be"),
    "Adam with a negative beta": (lambda: bp.optim.Adam([_param(0.0)], betas=(-0.1, 0.9)),
                                  ValueError, "cannot be negative"),
    # layers and parameters
    "Parameter(None)": (lambda: bp.Parameter(None), TypeError, "data is None"),
    "Parameter of strings": (lambda: bp.Parameter(["a", "b"]), TypeError, "real numbers"),
    "model.train('no')": (lambda: bp.MLP([3, 1], seed=0).train("no"), TypeError, "True or False"),
    "MLP(5)": (lambda: bp.MLP(5), TypeError, r"list of layer widths.*\[2, 16, 1\]"),
    "MLP with an unknown activation and no hidden layer": (lambda: bp.MLP([3, 1], activation="bogus"),
                                                           ValueError, "unknown activation 'bogus'"),
    "Linear with seed 1.5": (lambda: bp.Linear(3, 2, seed=1.5), TypeError, r"Linear\(3, 2\): seed"),
    "MLP with seed -1": (lambda: bp.MLP([3, 1], seed=-1), ValueError, "seed must be a whole number >= 0"),
    # data
    "moons with seed 'abc'": (lambda: bp.data.moons(10, seed="abc"), TypeError, "moons: seed"),
    "xor with seed 1.5, even without noise": (lambda: bp.data.xor(seed=1.5), TypeError, "xor: seed"),
    "delayed_recall with seed -1": (lambda: bp.data.delayed_recall(seed=-1), ValueError, "delayed_recall: seed"),
    "RNN.set_spectral_radius(nan)": (lambda: bp.RNN(2, 3, seed=0).set_spectral_radius(float("nan")),
                                     ValueError, "rho must be a finite number > 0"),
    "RNN.set_spectral_radius(-1)": (lambda: bp.RNN(2, 3, seed=0).set_spectral_radius(-1),
                                    ValueError, "rho must be a finite number > 0"),
    "LeakyReLU with a string slope": (lambda: bp.LeakyReLU("a"), TypeError, "negative_slope must be a finite number"),
    "fit with max_grad_norm -1": (lambda: _fit(max_grad_norm=-1), ValueError, "max_grad_norm must be a number > 0"),
    "fit with validation that is not a pair": (lambda: _fit(validation=np.ones(3)), TypeError,
                                               r"validation must be a pair \(x_val, y_val\)"),
    # initialisation
    "he_normal with a negative dimension": (lambda: bp.init.he_normal((3, -1), np.random.default_rng(0)),
                                            ValueError, "whole numbers >= 0"),
    "normal with std -1": (lambda: bp.init.normal((2, 2), np.random.default_rng(0), 0.0, -1.0),
                           ValueError, "std must be a finite number >= 0"),
    "accuracy with mismatched rows": (lambda: bp.train.accuracy(np.zeros((4, 3)), np.zeros(5, int)),
                                      ValueError, "4 rows but y has 5"),
    # functional
    "linear_forward with ragged lists": (lambda: bp.functional.linear_forward([[1.0, 2.0], [3.0]], [[1.0]], None),
                                         TypeError, "x could not be turned into a numeric array"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_misuse_gets_a_clear_error(case):
    raises_clearly(*CASES[case])


def raises_clearly(call, error, words) -> None:
    """``call()`` raises ``error`` whose message matches ``words``, before any numpy warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would mean the check came too late
        with pytest.raises(error, match=words):
            call()


def test_linear_forward_accepts_plain_lists_and_computes_the_same_numbers():
    out, _ = bp.functional.linear_forward([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]], [0.5])
    assert out.tolist() == [[14.5]]


def test_fit_warns_when_the_optimiser_covers_only_part_of_the_model():
    model = bp.MLP([3, 4, 1], seed=0)
    first = model.linear_layers()[0]
    with pytest.warns(UserWarning, match="updates 2 of the model's 4 parameters"):
        _fit(model=model, optimizer=bp.optim.SGD([first.W, first.b], lr=0.1))


def test_clip_grad_norm_still_accepts_the_infinity_norm():
    p = _param(np.array([3.0, -4.0, 1.0]))
    assert bp.optim.clip_grad_norm_([p], 1.0, norm_type=math.inf) == 4.0
    assert bp.optim.clip_grad_norm_([_param(np.array([3.0, -4.0, 1.0]))], 1.0, norm_type="inf") == 4.0


def test_a_nan_step_is_refused_by_the_next_forward_pass():
    model = bp.MLP([3, 4, 1], seed=0)
    first = model.linear_layers()[0]
    first.W.grad[:] = np.nan
    bp.optim.SGD(model.parameters(), lr=0.1).step()
    x, _ = _x_y()
    with pytest.raises(ValueError, match="contains nan.*diverged"):
        model(x)
