"""Truncated BPTT in chunks (bplib.rnn.chunked_bptt) against full BPTT, finite differences, torch."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.gradcheck import numerical_gradient
from bplib.layers import cache_bytes
from bplib.rnn import RNN, chunk_bounds, chunked_bptt, last_step_head


def linear_head(dhs_all):
    """L = sum of hs * dhs_all over the chunk: its dhs is the matching slice of dhs_all."""
    def head(hs, start, stop):
        dhs = dhs_all[:, start:stop]
        return float((hs * dhs).sum()), dhs
    return head


def problem(rng, N=2, T=7, D=3, H=4, seed=0):
    return RNN(D, H, seed=seed), rng.normal(size=(N, T, D)), rng.normal(size=(N, T, H))


def grads(rnn):
    return [p.grad.copy() for p in rnn.parameters()]


def test_chunk_bounds_cut_the_sequence_into_chunks_of_k():
    assert chunk_bounds(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert chunk_bounds(6, 6) == [(0, 6)]
    assert chunk_bounds(4, 10) == [(0, 4)]


@pytest.mark.parametrize("k", [7, 8, 100])
def test_chunked_equals_full_bptt_when_one_chunk_covers_the_sequence(rng, k):
    rnn, x, dhs = problem(rng)
    rnn(x)
    rnn.backward(dhs)
    full = grads(rnn)
    rnn.zero_grad()
    run = chunked_bptt(rnn, x, k, linear_head(dhs))
    for a, b in zip(full, grads(rnn), strict=True):
        assert np.array_equal(a, b)
    assert len(run.chunks) == 1


@pytest.mark.parametrize("k", [1, 2, 3])
def test_chunked_gradient_is_the_exact_gradient_with_each_chunk_start_held_constant(rng, k):
    rnn, x, dhs = problem(rng)
    starts = [np.zeros((2, 4))]  # the state each chunk starts from, computed without gradients
    for start, stop in chunk_bounds(7, k):
        starts.append(rnn(x[:, start:stop], starts[-1])[:, -1])

    def loss():  # sum over chunks of each chunk's loss, its initial state a constant
        return sum(float((rnn(x[:, a:b], starts[i]) * dhs[:, a:b]).sum())
                   for i, (a, b) in enumerate(chunk_bounds(7, k)))

    rnn.zero_grad()
    chunked_bptt(rnn, x, k, linear_head(dhs))
    for p in rnn.parameters():
        expected = numerical_gradient(loss, p.data)
        np.testing.assert_allclose(p.grad, expected, rtol=1e-7, atol=1e-9)


def test_chunked_differs_from_full_bptt_when_gradient_crosses_a_chunk_boundary(rng):
    rnn, x, dhs = problem(rng)
    rnn(x)
    rnn.backward(dhs)
    full = rnn.W_hh.grad.copy()
    rnn.zero_grad()
    chunked_bptt(rnn, x, 3, linear_head(dhs))
    assert np.abs(full - rnn.W_hh.grad).max() > 1e-3


def test_chunked_forward_carries_the_state_so_outputs_equal_one_long_forward(rng):
    rnn, x, dhs = problem(rng)
    hs_full = rnn(x)
    seen = []

    def head(hs, start, stop):
        seen.append(hs.copy())
        return 0.0, np.zeros_like(hs)
    run = chunked_bptt(rnn, x, 3, head)
    np.testing.assert_allclose(np.concatenate(seen, axis=1), hs_full, rtol=0, atol=1e-15)
    np.testing.assert_allclose(run.h, hs_full[:, -1], rtol=0, atol=1e-15)


def test_a_loss_on_the_last_step_gives_the_per_loss_truncated_gradient(rng):
    """With T a multiple of k, the last chunk is exactly the per-loss window of the last term."""
    x, y = bp.data.delayed_recall(n=16, length=12, noise=1.0, seed=0)
    results = []
    for chunked in (False, True):
        rnn, readout, loss_fn = RNN(1, 5, seed=1), bp.Linear(5, 1, seed=2), bp.MSELoss()
        if chunked:
            chunked_bptt(rnn, x, 4, last_step_head(readout, loss_fn, y, 12))
        else:
            hs = rnn(x)
            loss_fn(readout(hs[:, -1]), y)
            dhs = np.zeros_like(hs)
            dhs[:, -1] = readout.backward(loss_fn.backward())
            rnn.backward(dhs, truncate=4)
        results.append(grads(rnn) + [readout.W.grad.copy()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)


def test_chunked_memory_and_work_are_one_chunk_and_T_steps(rng):
    N, T, D, H, k = 3, 12, 2, 5, 4
    rnn, x, dhs = problem(rng, N=N, T=T, D=D, H=H)
    run = chunked_bptt(rnn, x, k, linear_head(dhs))
    assert run.peak_cache_bytes == 8 * (N * k * D + N * H + k * N * H)
    assert run.recurrent_products == T
    rnn(x)
    assert cache_bytes(rnn) == 8 * (N * T * D + N * H + T * N * H)
    rnn.backward(dhs, truncate=k)
    assert rnn.recurrent_products == sum(min(T - t, k) for t in range(T))


def test_after_chunk_is_called_once_per_chunk_after_its_backward(rng):
    rnn, x, dhs = problem(rng)
    norms = []
    run = chunked_bptt(rnn, x, 3, linear_head(dhs),
                       after_chunk=lambda i: (norms.append(np.linalg.norm(rnn.W_hh.grad)),
                                              rnn.zero_grad()))
    assert len(norms) == 3 and all(n > 0 for n in norms)
    assert len(run.losses) == 3


def test_chunked_bptt_explains_bad_arguments(rng):
    rnn, x, dhs = problem(rng)
    with pytest.raises(TypeError, match="bp.RNN"):
        chunked_bptt(bp.Linear(3, 4), x, 2, linear_head(dhs))
    with pytest.raises(ValueError, match="k"):
        chunked_bptt(rnn, x, 0, linear_head(dhs))
    with pytest.raises(ValueError, match=r"\(N, T, D\)"):
        chunked_bptt(rnn, x[0], 2, linear_head(dhs))


@pytest.mark.parametrize("k", [2, 3, 7])
def test_chunked_matches_torch_rnn_with_a_detached_state_between_chunks(rng, k):
    torch = pytest.importorskip("torch")
    ours, x, dhs = problem(rng)
    theirs = torch.nn.RNN(3, 4, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight_ih_l0.copy_(torch.from_numpy(ours.W_xh.data))
        theirs.weight_hh_l0.copy_(torch.from_numpy(ours.W_hh.data))
        theirs.bias_ih_l0.copy_(torch.from_numpy(ours.b_h.data))
        theirs.bias_hh_l0.zero_()
    run = chunked_bptt(ours, x, k, linear_head(dhs))
    h = torch.zeros(1, 2, 4, dtype=torch.float64)
    losses = []
    for start, stop in chunk_bounds(7, k):
        out, h = theirs(torch.from_numpy(x[:, start:stop]), h.detach())
        loss = (out * torch.from_numpy(dhs[:, start:stop])).sum()
        loss.backward()
        losses.append(loss.item())
    np.testing.assert_allclose(run.losses, losses, rtol=0, atol=1e-12)
    for a, b in [(ours.W_xh, theirs.weight_ih_l0), (ours.W_hh, theirs.weight_hh_l0),
                 (ours.b_h, theirs.bias_ih_l0)]:
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=0, atol=1e-12)
