"""bplib.rnn: the vanilla RNN, its step functions, full and truncated BPTT."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bplib as bp
from bplib.gradcheck import gradcheck, numerical_gradient_array, rel_error
from bplib.rnn import RNN, gradient_paths, rnn_step_backward, rnn_step_forward, spectral_radius

# Central differences with h = 1e-5 keep the round-off in sum(out * dout) well below 1e-7 for a
# 20-step unrolled network; the default 1e-6 loses a digit on the smallest gradient entries.
H_STEP = 1e-5


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def make_problem(nonlinearity, T, seed=3, N=2, D=3, H=4):
    rng = np.random.default_rng(seed)
    rnn = RNN(D, H, nonlinearity=nonlinearity, rng=rng)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    dhs = rng.standard_normal((N, T, H))
    return rnn, x, h0, dhs


def gradient_errors(rnn, x, h0, dhs, truncate=None):
    """Relative error of every analytic gradient (params, dx, dh0) against central differences."""
    rnn.forward(x, h0)
    rnn.zero_grad()
    dx = rnn.backward(dhs, truncate=truncate)

    def run():
        return rnn.forward(x, h0)

    errors = {"x": rel_error(dx, numerical_gradient_array(run, x, dhs, H_STEP)),
              "h0": rel_error(rnn.dh0, numerical_gradient_array(run, h0, dhs, H_STEP))}
    for name, p in rnn.named_parameters():
        errors[name] = rel_error(p.grad, numerical_gradient_array(run, p.data, dhs, H_STEP))
    return errors


# ---------------------------------------------------------------------------- forward
def test_forward_matches_hand_computed_numbers_for_one_unit():
    rnn = RNN(1, 1)
    rnn.W_xh.data[...] = 0.5
    rnn.W_hh.data[...] = -1.0
    rnn.b_h.data[...] = 0.1
    hs = rnn.forward(np.array([[[1.0], [2.0]]]))
    h1 = np.tanh(0.5 * 1.0 + 0.1)
    h2 = np.tanh(0.5 * 2.0 - 1.0 * h1 + 0.1)
    np.testing.assert_allclose(hs[0, :, 0], [h1, h2], rtol=1e-15)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_forward_equals_one_step_at_a_time(rng, nonlinearity):
    rnn = RNN(3, 5, nonlinearity=nonlinearity, rng=rng)
    x, h0 = rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 5))
    hs = rnn(x, h0)
    h = h0
    for t in range(6):
        h, _ = rnn_step_forward(x[:, t], h, *(p.data for p in rnn.parameters()), nonlinearity)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-14)
    assert hs.shape == (4, 6, 5)


def test_missing_initial_state_means_zeros(rng):
    rnn = RNN(2, 3, rng=rng)
    x = rng.standard_normal((2, 4, 2))
    np.testing.assert_array_equal(rnn(x), rnn(x, np.zeros((2, 3))))


def test_relu_states_are_never_negative(rng):
    rnn = RNN(2, 8, nonlinearity="relu", rng=rng)
    assert np.all(rnn(rng.standard_normal((3, 10, 2))) >= 0)


def test_float32_stays_float32(rng):
    rnn = RNN(3, 4, rng=rng, dtype=np.float32)
    hs = rnn(rng.standard_normal((2, 5, 3)).astype(np.float32))
    dx = rnn.backward(np.ones_like(hs))
    assert hs.dtype == dx.dtype == rnn.W_hh.grad.dtype == rnn.dh0.dtype == np.float32


def test_weights_start_uniform_in_plus_minus_one_over_sqrt_hidden():
    rnn = RNN(3, 16, seed=0)
    for p in rnn.parameters():
        assert np.all(np.abs(p.data) <= 0.25)
    assert [name for name, _ in rnn.named_parameters()] == ["W_xh", "W_hh", "b_h"]
    assert rnn.W_xh.shape == (16, 3) and rnn.W_hh.shape == (16, 16) and rnn.b_h.shape == (16,)


def test_same_seed_gives_same_weights():
    a, b = RNN(3, 4, seed=7), RNN(3, 4, seed=7)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_rnn_is_exported_at_the_top_level():
    assert bp.RNN is RNN


# ------------------------------------------------------------------------ full BPTT
@pytest.mark.parametrize("T", [1, 2, 20])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_bptt_gradients_match_finite_differences(nonlinearity, T):
    errors = gradient_errors(*make_problem(nonlinearity, T))
    assert set(errors) == {"x", "h0", "W_xh", "W_hh", "b_h"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_step_backward_matches_finite_differences(rng, nonlinearity):
    inputs = (rng.standard_normal((3, 2)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2)),
              rng.standard_normal((4, 4)), rng.standard_normal(4))
    step = partial(rnn_step_forward, nonlinearity=nonlinearity)
    report = gradcheck((step, rnn_step_backward), inputs)
    assert report.ok, report


def test_weight_gradients_are_sums_of_the_step_gradients(rng):
    rnn = RNN(2, 3, rng=rng)
    x, dhs = rng.standard_normal((2, 5, 2)), rng.standard_normal((2, 5, 3))
    rnn(x)
    dx = rnn.backward(dhs)
    W_xh, W_hh, b_h = rnn.W_xh.data, rnn.W_hh.data, rnn.b_h.data
    caches, h = [], np.zeros((2, 3))
    for t in range(5):
        h, cache = rnn_step_forward(x[:, t], h, W_xh, W_hh, b_h)
        caches.append(cache)
    sums = [np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b_h)]
    dh_prev = np.zeros((2, 3))
    for t in reversed(range(5)):
        dx_t, dh_prev, *dweights = rnn_step_backward(dhs[:, t] + dh_prev, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-12, atol=1e-14)
        for total, d in zip(sums, dweights, strict=True):
            total += d
    for p, total in zip(rnn.parameters(), sums, strict=True):
        np.testing.assert_allclose(p.grad, total, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rnn.dh0, dh_prev, rtol=1e-12, atol=1e-14)


def test_gradients_accumulate_across_backward_calls(rng):
    rnn = RNN(2, 3, rng=rng)
    x, dhs = rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 4, 3))
    rnn(x)
    rnn.backward(dhs)
    once = [p.grad.copy() for p in rnn.parameters()]
    rnn.backward(dhs)
    for p, g in zip(rnn.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, 2 * g)


@settings(max_examples=15, deadline=None)
@given(N=st.integers(1, 3), T=st.integers(1, 6), D=st.integers(1, 3), H=st.integers(1, 4),
       scale=st.floats(-2.0, 2.0), nonlinearity=st.sampled_from(["tanh", "relu"]))
def test_backward_is_linear_in_the_upstream_gradient(N, T, D, H, scale, nonlinearity):
    rng = np.random.default_rng(N * 1000 + T * 100 + D * 10 + H)
    rnn = RNN(D, H, nonlinearity=nonlinearity, rng=rng)
    rnn(rng.standard_normal((N, T, D)))
    dhs = rng.standard_normal((N, T, H))
    dx = rnn.backward(dhs)
    dh0 = rnn.dh0
    np.testing.assert_allclose(rnn.backward(scale * dhs), scale * dx, atol=1e-12)
    np.testing.assert_allclose(rnn.dh0, scale * dh0, atol=1e-12)


# ------------------------------------------------------------------- truncated BPTT
@pytest.mark.parametrize("extra", [0, 1, 10])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_truncated_bptt_equals_full_bptt_when_truncate_covers_the_sequence(nonlinearity, extra):
    rnn, x, h0, dhs = make_problem(nonlinearity, 6)
    rnn(x, h0)
    rnn.zero_grad()
    dx_full = rnn.backward(dhs)
    full = [p.grad.copy() for p in rnn.parameters()] + [rnn.dh0]
    rnn.zero_grad()
    dx_trunc = rnn.backward(dhs, truncate=6 + extra)
    truncated = [p.grad for p in rnn.parameters()] + [rnn.dh0]
    np.testing.assert_allclose(dx_trunc, dx_full, rtol=1e-12, atol=1e-14)
    for a, b in zip(truncated, full, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def hand_unrolled_truncated(rnn, x, h0, dhs, k):
    """Truncated BPTT the slow way: for each loss term s, re-run steps s-k+1..s from the frozen
    state h_{s-k} and backpropagate that term alone through those k steps; sum everything."""
    N, T, _ = x.shape
    hs = rnn.forward(x, h0).copy()
    grads = [np.zeros_like(p.data) for p in rnn.parameters()]
    dx, dh0 = np.zeros_like(x), np.zeros_like(h0)
    for s in range(T):
        start = max(0, s - k + 1)
        window = RNN(rnn.input_size, rnn.hidden_size, nonlinearity=rnn.nonlinearity)
        for p, q in zip(window.parameters(), rnn.parameters(), strict=True):
            p.data[...] = q.data
        frozen = h0 if start == 0 else hs[:, start - 1]
        window.forward(x[:, start:s + 1], frozen)
        only_s = np.zeros((N, s + 1 - start, rnn.hidden_size))
        only_s[:, -1] = dhs[:, s]
        dx[:, start:s + 1] += window.backward(only_s)
        for g, p in zip(grads, window.parameters(), strict=True):
            g += p.grad
        if start == 0:
            dh0 += window.dh0
    return grads, dx, dh0


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_truncated_bptt_equals_hand_unrolled_truncated_computation(nonlinearity, k):
    rnn, x, h0, dhs = make_problem(nonlinearity, 7)
    grads, dx_ref, dh0_ref = hand_unrolled_truncated(rnn, x, h0, dhs, k)
    rnn(x, h0)
    rnn.zero_grad()
    dx = rnn.backward(dhs, truncate=k)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rnn.dh0, dh0_ref, rtol=1e-12, atol=1e-14)
    for p, g in zip(rnn.parameters(), grads, strict=True):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12, atol=1e-14)


def test_truncate_one_keeps_only_the_direct_path_of_each_step(rng):
    rnn = RNN(2, 3, rng=rng)
    x, h0 = rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 3))
    dhs = rng.standard_normal((2, 4, 3))
    hs = rnn(x, h0)
    dx = rnn.backward(dhs, truncate=1)
    da = dhs * (1 - hs**2)  # nothing arrives from later steps
    np.testing.assert_allclose(dx, da @ rnn.W_xh.data, rtol=1e-12)
    np.testing.assert_allclose(rnn.b_h.grad, da.sum(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(rnn.dh0, da[:, 0] @ rnn.W_hh.data, rtol=1e-12)


def test_truncated_bptt_cannot_see_a_loss_further_back_than_k_steps(rng):
    rnn = RNN(1, 4, rng=rng)
    x = rng.standard_normal((3, 10, 1))
    rnn(x)
    dhs = np.zeros((3, 10, 4))
    dhs[:, -1] = 1.0  # the loss looks at the last state only
    dx = rnn.backward(dhs, truncate=3)
    assert np.all(dx[:, :7] == 0) and np.all(dx[:, 7:] != 0)
    assert np.all(rnn.dh0 == 0)


# -------------------------------------------------------------------- norms in time
def test_recorded_norms_are_the_norms_of_dL_dh_t(rng):
    rnn = RNN(2, 3, rng=rng)
    x, dhs = rng.standard_normal((2, 5, 2)), np.zeros((2, 5, 3))
    dhs[:, -1] = rng.standard_normal((2, 3))
    hs = rnn(x)
    rnn.backward(dhs, record_norms=True)
    assert rnn.grad_norms.shape == (5,)
    assert rnn.grad_norms[-1] == pytest.approx(np.linalg.norm(dhs[:, -1]))
    # one step back: dL/dh_3 = (dL/dh_4 * f'(a_4)) W_hh
    dh3 = (dhs[:, -1] * (1 - hs[:, -1] ** 2)) @ rnn.W_hh.data
    assert rnn.grad_norms[-2] == pytest.approx(np.linalg.norm(dh3))
    rnn.backward(dhs)
    assert rnn.grad_norms is None


@pytest.mark.parametrize("rho, shrinks", [(0.5, True), (3.0, False)])
def test_gradient_in_time_shrinks_or_grows_with_the_spectral_radius(rho, shrinks):
    rng = np.random.default_rng(0)
    rnn = RNN(1, 16, nonlinearity="relu", rng=rng).set_spectral_radius(rho)
    rnn.W_hh.data[...] = rho * np.eye(16)  # each step scales the gradient by exactly rho
    rnn.b_h.data[...] = 1.0  # keeps every unit active, so relu' = 1
    rnn(np.zeros((1, 12, 1)))
    dhs = np.zeros((1, 12, 16))
    dhs[:, -1] = 1.0
    rnn.backward(dhs, record_norms=True)
    ratios = rnn.grad_norms[:-1] / rnn.grad_norms[1:]
    np.testing.assert_allclose(ratios, rho)
    assert (rnn.grad_norms[0] < rnn.grad_norms[-1]) == shrinks


def test_truncated_norms_count_only_the_terms_still_travelling(rng):
    rnn = RNN(1, 3, rng=rng)
    rnn(rng.standard_normal((2, 6, 1)))
    dhs = np.zeros((2, 6, 3))
    dhs[:, -1] = 1.0
    rnn.backward(dhs, truncate=2, record_norms=True)
    assert np.all(rnn.grad_norms[:4] == 0) and np.all(rnn.grad_norms[4:] > 0)


# ------------------------------------------------------------------ spectral radius
def test_spectral_radius_of_a_rotation_times_two_is_two():
    c, s = np.cos(0.3), np.sin(0.3)
    assert spectral_radius(2 * np.array([[c, -s], [s, c]])) == pytest.approx(2.0)


def test_set_spectral_radius_rescales_W_hh(rng):
    rnn = RNN(2, 6, rng=rng)
    direction = rnn.W_hh.data / np.linalg.norm(rnn.W_hh.data)
    assert rnn.set_spectral_radius(1.3) is rnn
    assert rnn.spectral_radius() == pytest.approx(1.3)
    np.testing.assert_allclose(rnn.W_hh.data / np.linalg.norm(rnn.W_hh.data), direction)


def test_spectral_radius_needs_a_square_matrix():
    with pytest.raises(ValueError, match=r"square matrix \(H, H\), got shape \(2, 3\)"):
        spectral_radius(np.ones((2, 3)))


def test_set_spectral_radius_of_zero_weights_explains(rng):
    rnn = RNN(2, 3, rng=rng)
    rnn.W_hh.data[...] = 0
    with pytest.raises(ValueError, match="all zeros"):
        rnn.set_spectral_radius(1.0)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("shape, message", [
    ((4, 3), r"x must be 3-D with shape \(N, T, 3\).*got 2-D shape \(4, 3\).*Add a batch"),
    ((2, 4, 5), r"expected x with 3 features per time step.*got shape \(2, 4, 5\) with 5 features"),
    ((0, 4, 3), r"x is empty"),
])
def test_bad_input_shapes_are_explained(rng, shape, message):
    with pytest.raises(ValueError, match=message):
        RNN(3, 2, rng=rng)(np.ones(shape))


def test_h0_of_the_wrong_shape_is_explained(rng):
    message = r"h0 must have shape \(N, H\) = \(2, 5\).*got shape \(5,\)"
    with pytest.raises(ValueError, match=message):
        RNN(3, 5, rng=rng)(np.ones((2, 4, 3)), np.zeros(5))


def test_nan_in_the_input_is_named(rng):
    x = np.ones((2, 3, 1))
    x[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match=r"x contains nan at index \[1, 2, 0\]"):
        RNN(1, 2, rng=rng)(x)


@pytest.mark.parametrize("truncate", [0, -3, 1.5, True])
def test_truncate_must_be_a_whole_number_of_at_least_one(rng, truncate):
    rnn = RNN(1, 2, rng=rng)
    hs = rnn(np.ones((1, 3, 1)))
    with pytest.raises(ValueError, match=r"truncate must be a whole number >= 1"):
        rnn.backward(np.ones_like(hs), truncate=truncate)


def test_backward_before_forward_is_explained(rng):
    with pytest.raises(RuntimeError, match="before forward"):
        RNN(1, 2, rng=rng).backward(np.ones((1, 3, 2)))


def test_upstream_gradient_of_the_wrong_shape_is_explained(rng):
    rnn = RNN(1, 2, rng=rng)
    rnn(np.ones((1, 3, 1)))
    message = r"dout has shape \(1, 2, 3\).*last output had shape \(1, 3, 2\)"
    with pytest.raises(ValueError, match=message):
        rnn.backward(np.ones((1, 2, 3)))


def test_unknown_nonlinearity_is_explained():
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        RNN(1, 2, nonlinearity="sigmoid")


def test_sizes_must_be_positive_whole_numbers():
    with pytest.raises(ValueError, match="hidden_size must be a whole number >= 1"):
        RNN(3, 0)


# ------------------------------------------------------------------ PyTorch parity
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_matches_torch_rnn_forward_and_backward(rng, nonlinearity):
    torch = pytest.importorskip("torch")
    N, T, D, H = 3, 7, 4, 5
    ours = RNN(D, H, nonlinearity=nonlinearity, rng=rng)
    theirs = torch.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=True, dtype=torch.float64)
    b_ih = rng.standard_normal(H)
    with torch.no_grad():
        theirs.weight_ih_l0.copy_(torch.from_numpy(ours.W_xh.data))
        theirs.weight_hh_l0.copy_(torch.from_numpy(ours.W_hh.data))
        theirs.bias_ih_l0.copy_(torch.from_numpy(b_ih))  # torch has two biases: b_h = b_ih + b_hh
        theirs.bias_hh_l0.copy_(torch.from_numpy(ours.b_h.data - b_ih))
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    dhs = rng.standard_normal((N, T, H))
    x_t = torch.tensor(x, requires_grad=True)
    h0_t = torch.tensor(h0[None], requires_grad=True)
    out, _ = theirs(x_t, h0_t)
    out.backward(torch.from_numpy(dhs))

    hs = ours(x, h0)
    dx = ours.backward(dhs)
    np.testing.assert_allclose(hs, out.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx, x_t.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ours.dh0, h0_t.grad.numpy()[0], rtol=1e-10, atol=1e-13)
    close = partial(np.testing.assert_allclose, rtol=1e-10, atol=1e-13)
    close(ours.W_xh.grad, theirs.weight_ih_l0.grad.numpy())
    close(ours.W_hh.grad, theirs.weight_hh_l0.grad.numpy())
    close(ours.b_h.grad, theirs.bias_ih_l0.grad.numpy())
    close(ours.b_h.grad, theirs.bias_hh_l0.grad.numpy())


# ------------------------------------------------------------- gradient paths, figures, explorer
def test_gradient_paths_rows_are_the_norms_of_each_loss_term_alone(rng):
    rnn = RNN(1, 3, rng=rng)
    x, dhs = rng.standard_normal((2, 5, 1)), rng.standard_normal((2, 5, 3))
    rnn(x)
    rnn.backward(dhs)
    grads = [p.grad.copy() for p in rnn.parameters()]
    paths = gradient_paths(rnn, x, dhs, truncate=2)
    assert paths.shape == (5, 5)
    assert np.all(np.triu(paths, 1) == 0)  # a loss never reaches later steps
    assert np.all(np.tril(paths, -2) == 0)  # nor, truncated to 2 steps, further back than 1
    np.testing.assert_allclose(np.diag(paths), np.linalg.norm(dhs, axis=(0, 2)))
    for p, g in zip(rnn.parameters(), grads, strict=True):
        np.testing.assert_array_equal(p.grad, g)
    full = gradient_paths(rnn, x, dhs)
    assert np.all(full[np.tril_indices(5)] > 0)


def test_rnn_figures_have_titles_and_labelled_axes(rng):
    from bplib.plots import rnn as figures

    rnn = RNN(1, 4, rng=rng)
    x, dhs = rng.standard_normal((2, 6, 1)), rng.standard_normal((2, 6, 4))
    rnn(x)
    rnn.backward(dhs, record_norms=True)
    made = [
        figures.gradient_norms_in_time({"full": rnn.grad_norms}, references={"rho": np.ones(6)}),
        figures.gradient_paths_figure({"full": gradient_paths(rnn, x, dhs)}),
        figures.eigenvalues_figure(rnn.W_hh.data),
        figures.sequence_loss_curves({"run": [1.0, 0.5, 0.2]}),
    ]
    for fig in made:
        ax = fig.axes[0]
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert "unrolled" in figures.unrolled_rnn(3).axes[0].get_title()
    with pytest.raises(ValueError, match="steps must be between 1 and 8"):
        figures.unrolled_rnn(12)
    with pytest.raises(TypeError, match="non-empty dict"):
        figures.gradient_norms_in_time([1.0, 2.0])


@pytest.mark.parametrize("rho", [0.5, 0.75])
def test_gradient_in_time_follows_rho_to_the_power_of_the_distance_below_one(rho):
    from bplib.widgets.rnn import gradient_in_time

    norms, rnn = gradient_in_time(rho, 20)
    assert rnn.spectral_radius() == pytest.approx(rho)
    assert norms[-1] == pytest.approx(1.0)
    # small inputs keep tanh nearly linear, and an orthogonal W_hh scales every direction alike
    np.testing.assert_allclose(norms, rho ** (19 - np.arange(20.0)), rtol=0.05)


def test_explorer_renders_different_frames_for_different_settings():
    from bplib.plots.display import figure_to_png
    from bplib.widgets.rnn import bptt_explorer, render_gradient_in_time

    explorer = bptt_explorer()
    assert explorer.num_frames <= 30 and explorer.alt
    low = figure_to_png(render_gradient_in_time(0.5, 20), dpi=40)
    high = figure_to_png(render_gradient_in_time(1.5, 20), dpi=40)
    longer = figure_to_png(render_gradient_in_time(0.5, 50), dpi=40)
    assert len({low, high, longer}) == 3
    assert figure_to_png(render_gradient_in_time(0.5, 20), dpi=40) == low
