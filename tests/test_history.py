"""bplib.history: the paper's loss, network and initialisation, and the symmetry reproduction."""

from __future__ import annotations

import numpy as np
import pytest

import bplib as bp
from bplib.history import (
    PAPER_SWEEPS_SYMMETRY,
    SumSquaredError,
    network_1986,
    sweeps_to_solve,
    symmetry_structure,
)


@pytest.fixture(scope="module")
def symmetry():
    x, y = bp.data.symmetry_1986()
    return x, y


@pytest.fixture(scope="module")
def solved_runs(symmetry):
    x, y = symmetry
    return sweeps_to_solve(x, y, seeds=[1, 3], max_sweeps=3000, tolerance=0.1)


def test_sum_squared_error_is_half_the_summed_square():
    loss = SumSquaredError()
    pred, target = np.array([[0.2], [0.9], [0.5]]), np.array([[0.0], [1.0], [1.0]])
    assert loss(pred, target) == pytest.approx(0.5 * (0.04 + 0.01 + 0.25))
    np.testing.assert_allclose(loss.backward(), pred - target)


def test_sum_squared_error_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    pred, target = rng.uniform(size=(5, 2)), rng.uniform(size=(5, 2))
    numeric = bp.gradcheck.numerical_gradient(lambda: SumSquaredError()(pred, target), pred)
    loss = SumSquaredError()
    loss(pred, target)
    assert bp.gradcheck.rel_error(loss.backward(), numeric) < 1e-7


def test_network_1986_is_sigmoid_throughout_with_uniform_weights_and_biases():
    net = network_1986(seed=0)
    kinds = [type(layer).__name__ for layer in net]
    assert kinds == ["Linear", "Sigmoid", "Linear", "Sigmoid"]
    assert net[0].W.shape == (2, 6) and net[2].W.shape == (1, 2)
    for p in net.parameters():
        assert np.all(np.abs(p.data) <= 0.3)
    assert np.any(net[0].b.data != 0)  # biases start random too
    again = network_1986(seed=0)
    for a, b in zip(net.parameters(), again.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_vectorised_sweeps_match_bp_fit_with_sgd_momentum(symmetry):
    x, y = symmetry
    net = network_1986(seed=3)
    opt = bp.optim.SGD(net, lr=0.1, momentum=0.9)
    bp.fit(net, SumSquaredError(), opt, x, y[:, None].astype(float), epochs=300, shuffle=False,
           progress=False)
    run = sweeps_to_solve(x, y, seeds=[3], max_sweeps=300, tolerance=0.0)
    assert run.sweeps[0] == -1  # tolerance 0 is never met, so we see the weights after 300 sweeps
    np.testing.assert_allclose(net[0].W.data, run.W1[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(net[0].b.data, run.b1[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(net[2].W.data, run.W2[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(net[2].b.data, run.b2[0], rtol=0, atol=1e-10)


def test_symmetry_network_learns_the_task_on_a_few_seeds(symmetry, solved_runs):
    x, y = symmetry
    assert np.all(solved_runs.solved)
    assert np.all(solved_runs.sweeps < 3000)
    for i in range(2):
        net = network_1986(seed=0)
        for p, value in zip(net.parameters(), [solved_runs.W1[i], solved_runs.b1[i],
                                               solved_runs.W2[i], solved_runs.b2[i]], strict=True):
            p.data[...] = value
        np.testing.assert_array_equal(net(x)[:, 0] > 0.5, y == 1)


def test_learned_weights_have_the_papers_structure(solved_runs):
    r = solved_runs
    for i in range(2):
        s = symmetry_structure(r.W1[i], r.b1[i], r.W2[i], r.b2[i])
        assert np.all(s["antisymmetry"] < 0.01)  # mirror weights equal and opposite
        assert np.all(s["hidden_bias_negative"]) and s["output_bias_positive"]
        assert np.all(s["distinct_sums"] > 0.2)  # each half-pattern sends its own net input
    # seed 1 finds the paper's 1:2:4; seed 3 the other solution we see, about 2:3:4
    ratios_1 = symmetry_structure(r.W1[0], r.b1[0], r.W2[0], r.b2[0])["ratios"]
    ratios_3 = symmetry_structure(r.W1[1], r.b1[1], r.W2[1], r.b2[1])["ratios"]
    np.testing.assert_allclose(ratios_1, [[1, 2, 4]] * 2, rtol=0.05)
    np.testing.assert_allclose(ratios_3, [[1, 1.5, 2]] * 2, rtol=0.05)


def test_a_run_can_sit_on_the_say_never_symmetric_plateau(symmetry):
    x, y = symmetry
    run = sweeps_to_solve(x, y, seeds=[0], max_sweeps=2000)
    assert not run.solved[0] and run.sweeps[0] == -1
    # answering 0 everywhere leaves the 8 symmetric patterns wrong: E = 8 * 1/2 = 4
    assert run.final_error[0] == pytest.approx(4.0, abs=0.01)


def test_structure_of_the_ideal_solution_is_exact():
    W1 = np.array([[1.0, 2.0, 4.0, -4.0, -2.0, -1.0], [-1.0, -2.0, -4.0, 4.0, 2.0, 1.0]])
    s = symmetry_structure(W1, np.array([-1.0, -1.0]), np.array([[-5.0, -5.0]]), np.array([2.0]))
    np.testing.assert_allclose(s["antisymmetry"], 0.0)
    np.testing.assert_allclose(s["ratios"], [[1, 2, 4], [1, 2, 4]])
    np.testing.assert_allclose(s["distinct_sums"], [0.25, 0.25])


def test_xor_is_solved_by_a_2_2_1_network(symmetry):
    x, y = bp.data.xor()
    run = sweeps_to_solve(x, y, seeds=range(5), lr=0.5, max_sweeps=3000)
    assert run.solved.sum() >= 4


def test_paper_number_is_recorded():
    assert PAPER_SWEEPS_SYMMETRY == 1425


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(y=np.zeros(3)), "one target per row of x"),
    (dict(start=(np.zeros((1, 2, 6)),) * 4), "start's b1 must have shape"),
    (dict(seeds=[]), "seeds is empty"),
    (dict(max_sweeps=0), "max_sweeps must be a whole number >= 1"),
])
def test_sweeps_to_solve_rejects_bad_arguments(symmetry, kwargs, message):
    x, y = symmetry
    args = dict(x=x, y=y, seeds=[0], max_sweeps=5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        sweeps_to_solve(**args)


def test_sweeps_to_solve_can_continue_from_given_weights(symmetry):
    x, y = symmetry
    from bplib.history import _initial_weights
    drawn = _initial_weights([6, 2, 1], np.random.default_rng(3), 0.3)
    start = tuple(w[None] for w in drawn)
    fresh = sweeps_to_solve(x, y, seeds=[3], max_sweeps=200, tolerance=0.0)
    again = sweeps_to_solve(x, y, seeds=[3], max_sweeps=200, tolerance=0.0, start=start)
    np.testing.assert_array_equal(fresh.W1, again.W1)  # same start, same arithmetic
    np.testing.assert_array_equal(start[0][0], drawn[0])  # the given arrays are not changed
    solved = sweeps_to_solve(x, y, seeds=[1], max_sweeps=3000, tolerance=0.1)
    done = (solved.W1, solved.b1, solved.W2, solved.b2)
    assert sweeps_to_solve(x, y, seeds=[1], max_sweeps=10, tolerance=0.1, start=done).sweeps[0] == 0


def test_sweep_result_rebuilds_the_network_of_a_run():
    x, y = bp.data.xor()
    run = sweeps_to_solve(x, y, seeds=[0, 1], max_sweeps=50, tolerance=0.0)
    net = run.network(1)
    np.testing.assert_array_equal(net[0].W.data, run.W1[1])
    np.testing.assert_array_equal(net[2].b.data, run.b2[1])
    out = net(x)[:, 0]
    assert SumSquaredError()(out[:, None], y[:, None].astype(float)) == pytest.approx(run.final_error[1])
    with pytest.raises(IndexError, match="there are 2 runs"):
        run.network(2)


def test_sweeps_to_solve_records_the_loss_of_every_sweep(symmetry):
    x, y = symmetry
    run = sweeps_to_solve(x, y, seeds=[0, 1], max_sweeps=40, tolerance=0.0, record=True)
    assert run.losses.shape == (2, 41)
    assert run.losses[0, 0] == pytest.approx(SumSquaredError()(network_1986(seed=0)(x),
                                                                 y[:, None].astype(float)))
    np.testing.assert_allclose(run.losses[:, -1], run.final_error)
    assert sweeps_to_solve(x, y, seeds=[0], max_sweeps=5).losses is None
