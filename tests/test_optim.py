"""bplib.optim: hand-computed first steps, torch.optim parity over 100 steps, clipping, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bplib as bp
import bplib.optim as bp_optim
from bplib.optim import SGD, Adam, AdamW, RMSprop, clip_grad_norm_, clip_grad_value_

# ----------------------------------------------------------------- hand-computed steps


def _param(values, grad):
    p = bp.Parameter(np.array(values, dtype=float))
    p.grad[...] = grad
    return p


def test_sgd_plain_step_moves_against_the_gradient():
    p = _param([1.0, -2.0], [0.5, -1.0])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -1.9], rtol=0, atol=1e-15)


def test_sgd_momentum_buffer_starts_at_gradient_then_accumulates():
    p = _param([1.0], [0.5])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    assert opt.state[p]["momentum_buffer"][0] == pytest.approx(0.5)
    assert p.data[0] == pytest.approx(0.95)
    opt.step()  # same gradient again: b = 0.9 * 0.5 + 0.5 = 0.95
    assert opt.state[p]["momentum_buffer"][0] == pytest.approx(0.95)
    assert p.data[0] == pytest.approx(0.95 - 0.095)


def test_sgd_nesterov_looks_ahead_by_momentum_times_buffer():
    p = _param([0.0], [1.0])
    opt = SGD([p], lr=0.1, momentum=0.5, nesterov=True)
    opt.step()  # b = 1, step = g + 0.5 b = 1.5
    assert p.data[0] == pytest.approx(-0.15)


def test_sgd_weight_decay_adds_lambda_theta_to_gradient():
    p = _param([2.0], [0.0])
    SGD([p], lr=0.5, weight_decay=0.1).step()
    assert p.data[0] == pytest.approx(2.0 - 0.5 * 0.2)


def test_adam_first_step_has_size_lr_in_the_gradient_sign():
    p = _param([1.0, 1.0], [3.0, -0.002])
    opt = Adam([p], lr=0.01)
    opt.step()
    # bias correction makes m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps)
    expected = 1.0 - 0.01 * np.array([3.0, -0.002]) / (np.array([3.0, 0.002]) + 1e-8)
    np.testing.assert_allclose(p.data, expected, rtol=0, atol=1e-15)
    assert opt.state[p]["step"] == 1
    np.testing.assert_allclose(opt.state[p]["exp_avg"], [0.3, -0.0002])
    np.testing.assert_allclose(opt.state[p]["exp_avg_sq"], [0.009, 4e-9])


def test_adamw_shrinks_weights_before_the_adam_step():
    p = _param([2.0], [0.0])
    AdamW([p], lr=0.1, weight_decay=0.5).step()
    # zero gradient: the Adam part is 0 / (0 + eps) = 0, only the decay acts
    assert p.data[0] == pytest.approx(2.0 * (1 - 0.05))


def test_adam_weight_decay_is_coupled_through_the_gradient():
    p = _param([2.0], [0.0])
    Adam([p], lr=0.1, weight_decay=0.5).step()
    # g = 0.5 * 2 = 1: a full lr-sized step, unlike AdamW's small shrink
    assert p.data[0] == pytest.approx(1.9, abs=1e-8)


def test_rmsprop_first_step_divides_by_root_mean_square():
    p = _param([1.0], [2.0])
    opt = RMSprop([p], lr=0.01, alpha=0.9)
    opt.step()
    v = 0.1 * 4.0
    assert opt.state[p]["square_avg"][0] == pytest.approx(v)
    assert p.data[0] == pytest.approx(1.0 - 0.01 * 2.0 / (math.sqrt(v) + 1e-8))


def test_zero_grad_clears_every_gradient():
    model = bp.MLP([2, 3, 1], seed=0)
    for p in model.parameters():
        p.grad[...] = 1.0
    SGD(model.parameters(), lr=0.1).zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


def test_optimizer_accepts_a_module_and_works_in_float32():
    model = bp.MLP([2, 3, 1], seed=0, dtype=np.float32)
    opt = Adam(model, lr=0.1)
    for p in model.parameters():
        p.grad[...] = 1.0
    opt.step()
    assert all(p.data.dtype == np.float32 for p in model.parameters())
    assert len(opt.params) == 4


def test_lr_can_be_changed_between_steps():
    p = _param([1.0], [1.0])
    opt = SGD([p], lr=0.1)
    opt.lr = 0.0
    opt.step()
    assert p.data[0] == 1.0


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=-0.1),
    lambda ps: Adam(ps, lr=-1e-3),
    lambda ps: RMSprop(ps, lr=-1.0),
])
def test_negative_learning_rate_is_refused(make):
    with pytest.raises(ValueError, match="lr .*>= 0"):
        make([_param([1.0], [0.0])])


@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.9)])
def test_adam_betas_outside_zero_one_are_refused(betas):
    with pytest.raises(ValueError, match=r"betas\[\d\] must be in \[0, 1\)"):
        Adam([_param([1.0], [0.0])], betas=betas)


def test_empty_parameter_list_is_refused():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)


def test_non_parameter_items_are_refused():
    with pytest.raises(TypeError, match="not a Parameter"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="list of Parameters"):
        Adam(np.zeros(3))


def test_gradient_of_wrong_shape_is_reported_at_step():
    p = bp.Parameter(np.zeros((2, 3)), name="W")
    p.grad = np.zeros((3, 2))
    message = r"parameter 0 'W' has data of shape \(2, 3\) but grad of shape \(3, 2\)"
    with pytest.raises(ValueError, match=message):
        SGD([p], lr=0.1).step()


def test_nesterov_without_momentum_is_refused():
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        SGD([_param([1.0], [0.0])], lr=0.1, nesterov=True)


# ----------------------------------------------------------------- torch parity


def _gradient(thetas):
    """A fixed nonlinear gradient field, so the trajectory depends on every update detail."""
    A, B = thetas
    return [0.3 * A + np.sin(A) - 0.2 * A ** 3 + 0.1,
            np.cos(B) * B - 0.5 + B @ np.ones((3, 3)) * 0.05]


def _start(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(2, 4)), rng.normal(size=(3,))]


PARITY_CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, nesterov=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.02)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.05)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, betas=(0.5, 0.9), weight_decay=0.3)),
]


def _run_ours(name, options, steps):
    params = [bp.Parameter(a.copy()) for a in _start()]
    opt = getattr(bp.optim, name)(params, **options)
    for _ in range(steps):
        opt.zero_grad()
        for p, g in zip(params, _gradient([p.data for p in params]), strict=True):
            p.grad += g
        opt.step()
    return [p.data for p in params]


def _run_torch(torch, name, options, steps):
    params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in _start()]
    opt = getattr(torch.optim, name)(params, **options)
    for _ in range(steps):
        opt.zero_grad()
        grads = _gradient([p.detach().numpy().copy() for p in params])
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize(("name", "options"), PARITY_CASES,
                         ids=[f"{n}-{'-'.join(map(str, o.items()))}" for n, o in PARITY_CASES])
def test_trajectory_matches_torch_optim_over_100_steps(name, options):
    torch = pytest.importorskip("torch")
    ours = _run_ours(name, options, 100)
    theirs = _run_torch(torch, name, options, 100)
    moved = max(np.max(np.abs(a - b)) for a, b in zip(ours, _start(), strict=True))
    assert moved > 0.05, "the test problem should move the parameters noticeably"
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------- clipping


def _grads_params(rng, scale):
    params = [bp.Parameter(np.zeros(s)) for s in [(3, 4), (4,), (2,)]]
    for p in params:
        p.grad[...] = scale * rng.normal(size=p.shape)
    return params


def test_clip_grad_norm_rescales_to_max_norm_and_keeps_direction():
    rng = np.random.default_rng(0)
    params = _grads_params(rng, 10.0)
    before = np.concatenate([p.grad.ravel() for p in params])
    total = clip_grad_norm_(params, max_norm=1.0)
    after = np.concatenate([p.grad.ravel() for p in params])
    assert total == pytest.approx(np.linalg.norm(before))
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before))


def test_clip_grad_norm_leaves_small_gradients_alone():
    rng = np.random.default_rng(1)
    params = _grads_params(rng, 0.01)
    before = [p.grad.copy() for p in params]
    clip_grad_norm_(params, max_norm=5.0)
    for b, p in zip(before, params, strict=True):
        np.testing.assert_array_equal(b, p.grad)


def test_clip_grad_norm_raises_on_nonfinite_when_asked():
    p = _param([0.0, 0.0], [np.nan, 1.0])
    with pytest.raises(ValueError, match="NaN or infinity"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_clamps_each_entry():
    p = _param([0.0, 0.0, 0.0], [-3.0, 0.2, 7.0])
    assert clip_grad_value_([p], 0.5) is None
    np.testing.assert_array_equal(p.grad, [-0.5, 0.2, 0.5])


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    params = _grads_params(rng, 3.0)
    tensors = [torch.zeros(p.shape, dtype=torch.float64, requires_grad=True) for p in params]
    for t, p in zip(tensors, params, strict=True):
        t.grad = torch.tensor(p.grad.copy())
    ours = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    theirs = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type=norm_type)
    assert ours == pytest.approx(float(theirs), rel=1e-13)
    for t, p in zip(tensors, params, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=0, atol=1e-13)


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    params = _grads_params(rng, 2.0)
    tensors = [torch.zeros(p.shape, dtype=torch.float64, requires_grad=True) for p in params]
    for t, p in zip(tensors, params, strict=True):
        t.grad = torch.tensor(p.grad.copy())
    clip_grad_value_(params, 0.7)
    torch.nn.utils.clip_grad_value_(tensors, 0.7)
    for t, p in zip(tensors, params, strict=True):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


# ------------------------------------------------------------------ 2-D surfaces


@pytest.mark.parametrize("surface", [bp.optim.QUADRATIC, bp.optim.ROSENBROCK],
                         ids=lambda s: s.name)
def test_surface_gradient_matches_finite_differences(surface):
    rng = np.random.default_rng(5)
    for point in rng.uniform(-1.5, 1.5, size=(5, 2)):
        p = point.copy()
        numeric = bp.gradcheck.numerical_gradient(lambda p=p: float(surface.value(p)), p)
        assert bp.gradcheck.rel_error(surface.grad(point), numeric) < 1e-7


@pytest.mark.parametrize("surface", [bp.optim.QUADRATIC, bp.optim.ROSENBROCK],
                         ids=lambda s: s.name)
def test_surface_minimum_has_zero_gradient_and_lowest_value(surface):
    np.testing.assert_allclose(surface.grad(np.array(surface.minimum)), 0.0, atol=1e-12)
    assert surface.value(np.array(surface.minimum)) < surface.value(np.array(surface.start))


def test_optimizer_path_records_every_position_from_the_start():
    path = bp.optim.optimizer_path("quadratic", lambda ps: SGD(ps, lr=0.5), steps=3)
    assert path.shape == (4, 2)
    np.testing.assert_array_equal(path[0], bp.optim.QUADRATIC.start)
    # plain gradient descent on L = (0.1 x^2 + 2 y^2)/2 multiplies x by 0.95 and y by 0 each step
    np.testing.assert_allclose(path[1], [-9.0 * 0.95, 0.0])


def test_optimizer_path_stops_when_it_diverges():
    path = bp.optim.optimizer_path("quadratic", lambda ps: SGD(ps, lr=5.0), steps=200)
    assert len(path) < 201
    assert np.all(np.isfinite(path))


# ------------------------------------------------------------------ properties


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), max_norm=st.floats(0.01, 10.0), scale=st.floats(1e-3, 1e3))
def test_clipped_gradient_never_exceeds_max_norm_and_keeps_direction(seed, max_norm, scale):
    params = _grads_params(np.random.default_rng(seed), scale)
    before = np.concatenate([p.grad.ravel() for p in params])
    clip_grad_norm_(params, max_norm)
    after = np.concatenate([p.grad.ravel() for p in params])
    assert np.linalg.norm(after) <= max_norm * (1 + 1e-12)
    assert np.dot(before, after) >= 0
    np.testing.assert_allclose(after * np.linalg.norm(before), before * np.linalg.norm(after),
                               rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), lr=st.floats(1e-4, 1.0))
def test_dampening_has_no_effect_without_momentum(seed, lr):
    rng = np.random.default_rng(seed)
    start, grads = rng.normal(size=3), rng.normal(size=(4, 3))
    plain, damped = bp.Parameter(start.copy()), bp.Parameter(start.copy())
    opt_plain = SGD([plain], lr=lr)
    opt_zero_mu = SGD([damped], lr=lr, momentum=0.0, dampening=0.5)
    for g in grads:
        plain.grad[...] = g
        damped.grad[...] = g
        opt_plain.step()
        opt_zero_mu.step()
    np.testing.assert_array_equal(plain.data, damped.data)


def test_record_step_sizes_measures_each_parameter_s_root_mean_square_change():
    a, b = bp.Parameter(np.zeros(4)), bp.Parameter(np.zeros(2))
    optimizer = SGD([a, b], lr=0.5)
    steps = bp_optim.record_step_sizes(optimizer)
    a.grad[:] = [1.0, -1.0, 1.0, -1.0]
    b.grad[:] = [2.0, 0.0]
    optimizer.step()
    assert steps == [[0.5, pytest.approx(np.sqrt(0.5))]]
    assert a.data.tolist() == [-0.5, 0.5, -0.5, 0.5]
    with pytest.raises(TypeError, match="optimiser"):
        bp_optim.record_step_sizes(object())
