"""bplib.algorithm: the column-form four steps equal the layer gradients and finite differences."""

import numpy as np
import pytest

import bplib as bp
from bplib import algorithm
from bplib.gradcheck import numerical_gradient, rel_error


def random_network(sizes, rng):
    weights = [
        rng.standard_normal((n, m)) / np.sqrt(m)
        for m, n in zip(sizes[:-1], sizes[1:], strict=False)
    ]
    biases = [0.3 * rng.standard_normal((n, 1)) for n in sizes[1:]]
    return weights, biases


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("output_activation", [None, "sigmoid", "tanh"])
@pytest.mark.parametrize("sizes", [[2, 1], [3, 4, 2], [2, 5, 5, 3], [4, 3, 3, 3, 1]])
def test_column_form_equals_layer_gradients(activation, output_activation, sizes, rng):
    mlp = bp.MLP(sizes, activation=activation, output_activation=output_activation, rng=rng)
    for lin in mlp.linear_layers():
        lin.b.data[:] = 0.3 * rng.standard_normal(lin.b.shape)
    x, y = rng.standard_normal((6, sizes[0])), rng.standard_normal((6, sizes[-1]))
    loss_fn = bp.MSELoss()
    loss = loss_fn(mlp(x), y)
    mlp.zero_grad()
    mlp.backward(loss_fn.backward())

    weights, biases = algorithm.weights_of(mlp)
    trace = algorithm.backprop(
        weights,
        biases,
        x.T,
        y.T,
        activation=activation,
        output_activation=output_activation or "identity",
        loss="mse",
    )
    assert trace.loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(trace.a[-1].T, mlp(x), rtol=1e-12)
    for k, lin in enumerate(mlp.linear_layers(), start=1):
        np.testing.assert_allclose(trace.dW[k], lin.W.grad, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(trace.db[k].ravel(), lin.b.grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("loss", ["sse", "mse"])
@pytest.mark.parametrize(
    "activation, output_activation",
    [("sigmoid", None), ("tanh", "identity"), ("relu", "sigmoid"), ("identity", "tanh")],
)
@pytest.mark.parametrize("sizes, examples", [([3, 4, 2], 1), ([2, 3, 3, 2], 5), ([1, 1], 3)])
def test_column_form_equals_finite_differences(
    loss, activation, output_activation, sizes, examples, rng
):
    weights, biases = random_network(sizes, rng)
    x, y = rng.standard_normal((sizes[0], examples)), rng.uniform(size=(sizes[-1], examples))

    def run():
        return algorithm.backprop(weights, biases, x, y, activation, output_activation, loss)

    trace = run()
    for k in range(1, len(sizes)):
        assert rel_error(trace.dW[k], numerical_gradient(lambda: run().loss, weights[k - 1])) < 1e-7
        assert rel_error(trace.db[k], numerical_gradient(lambda: run().loss, biases[k - 1])) < 1e-7


def test_trace_holds_every_intermediate_with_the_right_shapes(rng):
    sizes, examples = [3, 4, 5, 2], 7
    weights, biases = random_network(sizes, rng)
    x, y = rng.standard_normal((3, examples)), rng.uniform(size=(2, examples))
    trace = algorithm.backprop(weights, biases, x, y)
    assert trace.num_layers == 3
    assert len(trace.z) == len(trace.a) == len(trace.delta) == len(trace.dW) == len(trace.db) == 4
    assert (
        trace.z[0] is None
        and trace.delta[0] is None
        and trace.dW[0] is None
        and trace.db[0] is None
    )
    np.testing.assert_array_equal(trace.a[0], x)
    for k in range(1, 4):
        assert trace.z[k].shape == trace.a[k].shape == trace.delta[k].shape == (sizes[k], examples)
        assert trace.dW[k].shape == weights[k - 1].shape
        assert trace.db[k].shape == (sizes[k], 1)
        np.testing.assert_allclose(trace.a[k], bp.functional.sigmoid(trace.z[k]))


def test_four_steps_by_hand_on_one_linear_unit():
    # z = 2*3 + 1 = 7, a = z, L = ½(7 - 5)² = 2, δ = 2, dW = δ·x = 6, db = 2
    trace = algorithm.backprop([[[2.0]]], [[1.0]], [3.0], [5.0], activation="identity")
    assert trace.loss == pytest.approx(2.0)
    assert trace.z[1].item() == 7.0 and trace.delta[1].item() == 2.0
    assert trace.dW[1].item() == 6.0 and trace.db[1].item() == 2.0


def test_steps_compose_to_backprop(rng):
    sizes = [3, 4, 2]
    weights, biases = random_network(sizes, rng)
    x, y = rng.standard_normal((3, 2)), rng.uniform(size=(2, 2))
    names = ["tanh", "sigmoid"]
    z, a = algorithm.forward_pass(weights, biases, x, names)
    delta_K = algorithm.output_delta(a[-1], z[-1], y, "sigmoid")
    np.testing.assert_allclose(delta_K, (a[-1] - y) * a[-1] * (1 - a[-1]))
    delta = algorithm.backward_pass(weights, z, delta_K, names)
    np.testing.assert_allclose(delta[1], (weights[1].T @ delta[2]) * (1 - np.tanh(z[1]) ** 2))
    dW, db = algorithm.weight_gradients(delta, a)
    trace = algorithm.backprop(
        weights, biases, x, y, activation="tanh", output_activation="sigmoid"
    )
    for k in (1, 2):
        np.testing.assert_allclose(dW[k], trace.dW[k])
        np.testing.assert_allclose(db[k], trace.db[k])


def test_one_dimensional_x_and_y_are_one_example(rng):
    weights, biases = random_network([3, 4, 2], rng)
    x, y = rng.standard_normal(3), rng.uniform(size=2)
    flat = algorithm.backprop(weights, biases, x, y)
    column = algorithm.backprop(weights, biases, x[:, None], y[:, None])
    assert flat.a[0].shape == (3, 1)
    assert flat.loss == column.loss
    for k in (1, 2):
        np.testing.assert_array_equal(flat.dW[k], column.dW[k])


def test_biases_may_be_flat_vectors(rng):
    weights, biases = random_network([3, 4, 2], rng)
    x, y = rng.standard_normal((3, 2)), rng.uniform(size=(2, 2))
    flat = algorithm.backprop(weights, [b.ravel() for b in biases], x, y)
    np.testing.assert_array_equal(flat.dW[2], algorithm.backprop(weights, biases, x, y).dW[2])


def test_db_sums_delta_over_examples(rng):
    weights, biases = random_network([2, 3, 1], rng)
    x, y = rng.standard_normal((2, 4)), rng.uniform(size=(1, 4))
    trace = algorithm.backprop(weights, biases, x, y)
    np.testing.assert_allclose(trace.db[1], trace.delta[1].sum(axis=1, keepdims=True))
    one = [algorithm.backprop(weights, biases, x[:, [i]], y[:, [i]]).dW[1] for i in range(4)]
    np.testing.assert_allclose(trace.dW[1], sum(one))


# ------------------------------------------------------------------------------ errors


def test_weight_of_wrong_shape_says_what_the_layer_receives(rng):
    weights, biases = random_network([3, 4, 2], rng)
    weights[1] = np.ones((2, 5))
    with pytest.raises(
        ValueError,
        match=r"W\[2\] has shape \(2, 5\).*layer 2 receives 4 values, "
        r"so W\[2\] must be \(n_2, 4\)",
    ):
        algorithm.backprop(weights, biases, np.ones((3, 1)), np.ones((2, 1)))


def test_x_of_wrong_length_is_caught_at_the_first_layer(rng):
    weights, biases = random_network([3, 4, 2], rng)
    with pytest.raises(ValueError, match=r"W\[1\] has shape \(4, 3\).*layer 1 receives 5 values"):
        algorithm.backprop(weights, biases, np.ones((5, 1)), np.ones((2, 1)))


def test_bias_of_wrong_size_is_caught(rng):
    weights, biases = random_network([3, 4, 2], rng)
    biases[0] = np.ones((3, 1))
    with pytest.raises(ValueError, match=r"b\[1\] has 3 entries.*b\[1\] must have n_1 entries"):
        algorithm.backprop(weights, biases, np.ones((3, 1)), np.ones((2, 1)))


def test_y_of_wrong_shape_is_caught(rng):
    weights, biases = random_network([3, 4, 2], rng)
    with pytest.raises(
        ValueError, match=r"y has shape \(1, 2\); expected \(2, 2\) \(one column per example"
    ):
        algorithm.backprop(weights, biases, np.ones((3, 2)), np.ones((1, 2)))


def test_counts_names_and_losses_are_checked(rng):
    weights, biases = random_network([3, 4, 2], rng)
    with pytest.raises(
        ValueError, match="need one bias per weight matrix, got 2 weights and 1 biases"
    ):
        algorithm.backprop(weights, biases[:1], np.ones((3, 1)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="need one bias per weight matrix, got 0 weights"):
        algorithm.backprop([], [], np.ones((3, 1)), np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"unknown loss 'l1'; choose one of \['mse', 'sse'\]"):
        algorithm.backprop(weights, biases, np.ones((3, 1)), np.ones((2, 1)), loss="l1")
    with pytest.raises(ValueError, match=r"unknown activation 'softplus'"):
        algorithm.backprop(weights, biases, np.ones((3, 1)), np.ones((2, 1)), activation="softplus")


# ------------------------------------------------------------------- Jacobians and sizes


def test_linear_weight_jacobian_matches_finite_differences(rng):
    x, W = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    J = algorithm.linear_weight_jacobian(x, 2)
    assert J.shape == (4 * 2, 2 * 3)
    h = 1e-6
    for c in range(W.size):
        step = np.zeros(W.size)
        step[c] = h
        plus = (x @ (W + step.reshape(W.shape)).T).ravel()
        minus = (x @ (W - step.reshape(W.shape)).T).ravel()
        np.testing.assert_allclose(J[:, c], (plus - minus) / (2 * h), atol=1e-8)


def test_linear_weight_jacobian_by_hand_on_one_example():
    # z_k = W[k, 0]·1 + W[k, 1]·2 for k = 0, 1: row k holds (1, 2) in the columns of W's row k.
    J = algorithm.linear_weight_jacobian(np.array([[1.0, 2.0]]), 2)
    np.testing.assert_array_equal(J, [[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]])


def test_vector_jacobian_product_of_the_weight_jacobian_is_dW(rng):
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    J = algorithm.linear_weight_jacobian(x, 4)
    np.testing.assert_allclose((dout.ravel() @ J).reshape(4, 3), dout.T @ x, rtol=1e-12)
    assert np.count_nonzero(J) == 5 * 4 * 3  # one nonzero block per output unit


@pytest.mark.parametrize(
    "x, n_out, match",
    [
        (np.ones(3), 2, r"x must be a batch of shape \(N, n_in\) with N >= 1, got shape \(3,\)"),
        (np.ones((0, 3)), 2, r"got shape \(0, 3\)"),
        (np.ones((2, 3)), 0, "n_out must be a positive whole number, got 0"),
        (np.ones((2, 3)), 2.5, "n_out must be a positive whole number, got 2.5"),
    ],
)
def test_linear_weight_jacobian_rejects_bad_input(x, n_out, match):
    with pytest.raises(ValueError, match=match):
        algorithm.linear_weight_jacobian(x, n_out)


def test_num_parameters_counts_weights_and_biases(rng):
    weights, biases = random_network([3, 4, 4, 2], rng)
    assert algorithm.num_parameters(weights, biases) == (12 + 4) + (16 + 4) + (8 + 2)


def test_hidden_delta_is_the_sum_over_paths_of_chapter_5s_hand_network():
    W1, b1 = np.array([[0.5, -0.4], [0.3, 0.8]]), np.array([0.1, -0.2])
    W2, b2 = np.array([[0.7, -0.6], [-0.2, 0.9]]), np.array([0.0, 0.1])
    x, y = np.array([1.0, 2.0]), np.array([1.0, 0.0])
    trace = algorithm.backprop([W1, W2], [b1, b2], x, y)
    assert trace.z[1].ravel() == pytest.approx([-0.2, 1.7])  # 0.5 - 0.8 + 0.1, 0.3 + 1.6 - 0.2
    a1, a2 = trace.a[1].ravel(), trace.a[2].ravel()
    delta2 = (a2 - y) * a2 * (1 - a2)
    for j in range(2):
        paths = sum(W2[k, j] * delta2[k] for k in range(2))
        assert trace.delta[1][j, 0] == pytest.approx(a1[j] * (1 - a1[j]) * paths, rel=1e-12)
    assert trace.delta[2].ravel() == pytest.approx([-0.13571863, 0.14785216], rel=1e-7)
