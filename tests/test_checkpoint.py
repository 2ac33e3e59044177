"""Cache memory (bplib.layers.memory) and gradient checkpointing (bplib.layers.checkpoint)."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.layers import Checkpointed, cache_bytes, clear_caches


def blocks(depth, width=4, activation="tanh", architecture="plain", seed=0):
    return bp.diagnostics.deep_mlp(depth, width=width, activation=activation, init="xavier",
                                   architecture=architecture, in_features=3, seed=seed)


def grads_of(model, x):
    out = model(x)
    dout = np.cos(np.arange(out.size, dtype=float)).reshape(out.shape)
    dx = model.backward(dout)
    return dx, [p.grad.copy() for p in model.parameters()]


# ---------------------------------------------------------------------------- cache_bytes
def test_cache_bytes_is_zero_before_any_forward_pass():
    assert cache_bytes(bp.MLP([3, 4, 1], seed=0)) == 0


def test_cache_bytes_of_a_tanh_mlp_counts_each_activation_once(rng):
    N, D, H = 5, 3, 4
    model = bp.MLP([D, H, H, 1], activation="tanh", seed=0)
    model(rng.normal(size=(N, D)))
    # Linear 1 keeps x; each Tanh keeps its output, which is also the next Linear's input
    assert cache_bytes(model) == 8 * (N * D + 2 * N * H) == 440


def test_cache_bytes_of_a_relu_mlp_adds_the_boolean_masks(rng):
    N, D, H = 5, 3, 4
    model = bp.MLP([D, H, H, 1], activation="relu", seed=0)
    model(rng.normal(size=(N, D)))
    # x, then per ReLU one bool mask (1 byte) and one float output (8 bytes)
    assert cache_bytes(model) == 8 * N * D + 2 * (N * H + 8 * N * H) == 480


def test_cache_bytes_of_batchnorm_adds_x_hat_and_inv_std_not_gamma(rng):
    N, D = 6, 3
    bn = bp.BatchNorm1d(D)
    bn(rng.normal(size=(N, D)))
    assert cache_bytes(bn) == 8 * (N * D + D)


def test_cache_bytes_of_an_rnn_counts_inputs_initial_state_and_states(rng):
    N, T, D, H = 2, 7, 3, 5
    rnn = bp.RNN(D, H, seed=0)
    rnn(rng.normal(size=(N, T, D)))
    assert cache_bytes(rnn) == 8 * (N * T * D + N * H + T * N * H)


def test_cache_bytes_grows_linearly_with_depth_and_batch(rng):
    def held(depth, N):
        model = blocks(depth)
        model(rng.normal(size=(N, 3)))
        return cache_bytes(model)
    assert held(9, 10) - held(5, 10) == 2 * (held(7, 10) - held(5, 10))
    assert held(5, 20) == 2 * held(5, 10)


def test_clear_caches_frees_everything_and_backward_then_explains(rng):
    model = bp.MLP([3, 4, 1], seed=0)
    model(rng.normal(size=(2, 3)))
    clear_caches(model)
    assert cache_bytes(model) == 0
    with pytest.raises(RuntimeError, match="before forward"):
        model.backward(np.ones((2, 1)))


def test_cache_bytes_needs_a_module():
    with pytest.raises(TypeError, match="Module"):
        cache_bytes([1, 2, 3])


# -------------------------------------------------------------------------- Checkpointed
@pytest.mark.parametrize("every", [1, 2, 3, 4, 9, 20])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_checkpointed_gradients_are_bit_for_bit_those_of_the_plain_model(rng, every, activation):
    x = rng.normal(size=(6, 3))
    dx_plain, plain = grads_of(blocks(9, activation=activation), x)
    dx_ckpt, ckpt = grads_of(Checkpointed(blocks(9, activation=activation), every=every), x)
    assert np.array_equal(dx_plain, dx_ckpt)
    for a, b in zip(plain, ckpt, strict=True):
        assert np.array_equal(a, b)


def test_checkpointed_passes_gradcheck(rng, assert_gradcheck):
    assert_gradcheck(Checkpointed(blocks(5), every=2), rng.normal(size=(3, 3)))


def test_checkpointed_counts_one_recomputation_of_every_segment_but_the_last(rng):
    model = Checkpointed(blocks(10), every=3)  # 10 layers: segments 3, 3, 3, 1
    assert [len(s) for s in model.segments] == [3, 3, 3, 1]
    grads_of(model, rng.normal(size=(4, 3)))
    assert model.forward_calls == 10 + 9
    model.reset_counts()
    assert model.forward_calls == 0


def test_checkpointed_peak_memory_follows_the_square_root_trade_off(rng):
    x = rng.normal(size=(8, 3))
    plain = blocks(17)  # 16 hidden blocks and the output layer
    plain(x)
    full = cache_bytes(plain)
    peaks = {}
    for every in (1, 2, 4, 8, 17):
        model = Checkpointed(blocks(17), every=every)
        grads_of(model, x)
        peaks[every] = model.peak_cache_bytes
    block = 8 * 8 * 4  # one (N, width) activation
    # every block's input kept, plus the block being recomputed: the same as no checkpoints
    assert peaks[1] == full
    assert peaks[4] < peaks[2] and peaks[4] < peaks[8]  # sqrt(16) = 4 is the best
    assert peaks[17] == full
    # every=4, segments of blocks 0-3, 4-7, 8-11, 12-15 and the output layer: recomputing blocks
    # 12-15 holds x, the inputs of blocks 4, 8 and 12, and the 4 new block outputs
    assert peaks[4] == 8 * 8 * 3 + (3 + 4) * block


def test_checkpointed_frees_its_caches_after_backward(rng):
    model = Checkpointed(blocks(7), every=2)
    grads_of(model, rng.normal(size=(4, 3)))
    assert cache_bytes(model) == 0


def test_checkpointed_keeps_batchnorm_running_statistics_as_one_pass_would(rng):
    x = rng.normal(size=(8, 3))
    plain = blocks(7, architecture="batchnorm")
    ckpt = Checkpointed(blocks(7, architecture="batchnorm"), every=2)
    _, g_plain = grads_of(plain, x)
    _, g_ckpt = grads_of(ckpt, x)
    for a, b in zip(g_plain, g_ckpt, strict=True):
        assert np.array_equal(a, b)
    norms_plain = [m for m in bp.layers.memory.modules(plain) if isinstance(m, bp.BatchNorm1d)]
    norms_ckpt = [m for m in bp.layers.memory.modules(ckpt) if isinstance(m, bp.BatchNorm1d)]
    assert len(norms_plain) == 6
    for a, b in zip(norms_plain, norms_ckpt, strict=True):
        assert a.num_batches_tracked == b.num_batches_tracked == 1
        assert np.array_equal(a.running_mean, b.running_mean)
        assert np.array_equal(a.running_var, b.running_var)


def test_checkpointed_in_eval_mode_gives_the_plain_eval_gradients(rng):
    x = rng.normal(size=(8, 3))
    plain = blocks(5, architecture="batchnorm")
    ckpt = Checkpointed(blocks(5, architecture="batchnorm"), every=2)
    for model in (plain, ckpt):
        model(x)  # one training pass, so the running statistics are not the initial ones
        model.zero_grad()
        model.eval()
    dx_a, g_a = grads_of(plain, x)
    dx_b, g_b = grads_of(ckpt, x)
    assert np.array_equal(dx_a, dx_b)
    for a, b in zip(g_a, g_b, strict=True):
        assert np.array_equal(a, b)
    assert not any(m.training for m in bp.layers.memory.modules(ckpt))


def test_checkpointed_parameters_are_the_models(rng):
    inner = blocks(4)
    assert Checkpointed(inner, every=2).parameters() == inner.parameters()
    assert bp.Checkpointed is Checkpointed


def test_checkpointed_explains_bad_arguments(rng):
    with pytest.raises(TypeError, match="Sequential"):
        Checkpointed(bp.Linear(2, 2), every=1)
    with pytest.raises(ValueError, match="every"):
        Checkpointed(blocks(3), every=0)
    with pytest.raises(RuntimeError, match="before forward"):
        Checkpointed(blocks(3), every=1).backward(np.ones((2, 1)))


def test_checkpointed_matches_torch_checkpoint_sequential(rng):
    torch = pytest.importorskip("torch")
    from torch.utils.checkpoint import checkpoint_sequential
    depth, every = 9, 3
    ours = Checkpointed(blocks(depth), every=every)
    layers = []
    for block in ours.model.layers:
        for linear in bp.diagnostics.linear_layers(block):
            theirs = torch.nn.Linear(linear.in_features, linear.out_features, dtype=torch.float64)
            with torch.no_grad():
                theirs.weight.copy_(torch.from_numpy(linear.W.data))
                theirs.bias.copy_(torch.from_numpy(linear.b.data))
            layers.append(theirs)
        if not isinstance(block, bp.Linear):
            layers.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    x = rng.normal(size=(5, 3))
    dx, grads = grads_of(ours, x)
    x_t = torch.tensor(x, requires_grad=True)
    # torch counts segments, we count layers per segment; its layers are twice as many (Linear, Tanh)
    out = checkpoint_sequential(model, len(ours.segments), x_t, use_reentrant=False)
    out.backward(torch.from_numpy(np.cos(np.arange(out.numel(), dtype=float)).reshape(out.shape)))
    theirs = [t for layer in model if isinstance(layer, torch.nn.Linear)
              for t in (layer.weight.grad, layer.bias.grad)]
    np.testing.assert_allclose(dx, x_t.grad.numpy(), rtol=0, atol=1e-12)
    for a, b in zip(grads, theirs, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=0, atol=1e-12)


# ------------------------------------------------- the chapter 8 measurements and figures
def test_cache_memory_table_is_eight_bytes_times_N_width_depth():
    table = bp.autodiff.cache_memory([2, 4], [3, 5], width=4)
    assert table.tolist() == [[8 * 3 * 4 * 2, 8 * 3 * 4 * 4], [8 * 5 * 4 * 2, 8 * 5 * 4 * 4]]


def test_checkpoint_costs_report_identical_gradients_and_forward_calls():
    costs = bp.autodiff.checkpoint_costs(8, [1, 2, 4, 8], N=4, width=3)
    assert [c.forward_calls for c in costs] == [15, 14, 12, 8]
    assert all(c.max_difference == 0.0 for c in costs)
    assert costs[-1].extra_compute == 0.0 and costs[1].extra_compute == pytest.approx(6 / 8)
    peaks = [c.peak_bytes for c in costs]
    assert peaks[0] == peaks[-1] and min(peaks) < peaks[0]


def test_memory_figures_have_titles_and_labelled_axes():
    depths, batch_sizes = [2, 4], [3, 5]
    fig = bp.plots.cache_memory_figure(depths, batch_sizes,
                                       bp.autodiff.cache_memory(depths, batch_sizes, width=4))
    ax = fig.axes[0]
    assert ax.get_title() and "K" in ax.get_xlabel() and "MiB" in ax.get_ylabel()
    assert len(ax.get_lines()) == 2
    fig = bp.plots.checkpoint_tradeoff_figure(bp.autodiff.checkpoint_costs(4, [1, 2, 4], N=2,
                                                                            width=3))
    left, right = fig.axes
    assert "k" in left.get_xlabel() and left.get_ylabel() and right.get_ylabel()
    with pytest.raises(ValueError, match="shape"):
        bp.plots.cache_memory_figure(depths, batch_sizes, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        bp.plots.checkpoint_tradeoff_figure([])
