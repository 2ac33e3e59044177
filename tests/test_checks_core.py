"""Exercise checks of chapters 1, 4 and 5: accept the reference solutions, reject typical mistakes.

The reference solutions are copied from the notebooks' ``### BEGIN SOLUTION`` regions.
"""

import numpy as np
import pytest

import bplib as bp
from bplib.course import (
    check_central_difference,
    check_hidden_delta,
    check_layer_gradients,
    check_linear_backward,
    check_loss_change_prediction,
    check_neuron_gradients,
    check_neuron_gradients_batch,
    check_output_delta,
    check_sgd_step,
    check_sigmoid_prime,
)


def sig(z):
    return bp.functional.sigmoid(np.asarray(z, dtype=float))


# ---------------------------------------------------------------- reference solutions
# notebooks/01_overview.ipynb
def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def sgd_step(w, grad, lr):
    return w - lr * grad


def loss_change_prediction(grad, dw):
    return np.sum(grad * dw)


# notebooks/04_computing_gradients.ipynb
def sigmoid_prime(z):
    s = bp.functional.sigmoid(np.asarray(z, dtype=float))
    return s * (1 - s)


def neuron_gradients(x, y, w, b):
    a = bp.functional.sigmoid(np.asarray(w * x + b, dtype=float))
    dL_dz = (a - y) * a * (1 - a)
    return dL_dz * x, dL_dz


def neuron_gradients_batch(x, y, w, b):
    a = bp.functional.sigmoid(w * x + b)
    dL_dz = (a - y) * a * (1 - a) / len(x)
    return np.sum(dL_dz * x), np.sum(dL_dz)


# notebooks/05_algorithm.ipynb
def output_delta(a_K, z_K, y):
    s = bp.functional.sigmoid(z_K)
    return (a_K - y) * s * (1 - s)


def hidden_delta(W_next, delta_next, z):
    s = bp.functional.sigmoid(z)
    return (W_next.T @ delta_next) * s * (1 - s)


def layer_gradients(delta, a_prev):
    return delta @ a_prev.T, delta.sum(axis=1, keepdims=True)


def linear_backward(dout, x, W):
    return dout @ W, dout.T @ x, dout.sum(axis=0)


REFERENCES = [
    (check_central_difference, central_difference),
    (check_sgd_step, sgd_step),
    (check_loss_change_prediction, loss_change_prediction),
    (check_sigmoid_prime, sigmoid_prime),
    (check_neuron_gradients, neuron_gradients),
    (check_neuron_gradients_batch, neuron_gradients_batch),
    (check_output_delta, output_delta),
    (check_hidden_delta, hidden_delta),
    (check_layer_gradients, layer_gradients),
    (check_linear_backward, linear_backward),
]


@pytest.mark.parametrize("check, solution", REFERENCES, ids=[c.__name__ for c, _ in REFERENCES])
def test_check_accepts_the_reference_and_prints_success(check, solution, capsys):
    check(solution)
    out = capsys.readouterr().out
    assert out.startswith("✔ ") and out.count("\n") == 1


def test_every_core_check_has_a_reference_here():
    from pathlib import Path

    from bplib.course.checks import algorithm, gradients

    here = {c.__name__ for c, _ in REFERENCES}
    every = set(gradients.__all__) | set(algorithm.__all__)
    assert here <= every
    # checks of the reworked exercises (issue 16) are tested in tests/test_exercises_chNN.py
    elsewhere = "".join(f.read_text(encoding="utf-8") for f in Path(__file__).parent.glob("test_exercises_ch*.py"))
    assert not {name for name in every - here if name not in elsewhere}


def rejects(check, wrong, match, capsys, exc=AssertionError):
    with pytest.raises(exc, match=match) as info:
        check(wrong)
    assert "✔" not in capsys.readouterr().out
    return info


# ------------------------------------------------------------------------- chapter 1


def test_central_difference_rejects_a_forward_difference(capsys):
    rejects(
        check_central_difference,
        lambda f, x, h: (f(x + h) - f(x)) / h,
        r"^central_difference\(f, 0.7, 1e-05\) gave 0\.76483\d+, the one-sided \(forward\) difference; "
        r"expected 0\.76484\d+\. A one-sided difference is only first-order accurate",
        capsys,
    )


def test_central_difference_rejects_a_missing_factor_two(capsys):
    rejects(
        check_central_difference,
        lambda f, x, h: (f(x + h) - f(x - h)) / h,
        "2 times the expected",
        capsys,
    )


def test_central_difference_rejects_an_exact_derivative_for_big_h(capsys):
    # with h = 0.1 a true central difference of x**3 carries an h² error; a tiny fixed step does not
    def exact_for_cube(f, x, h):
        return (f(x + 1e-6) - f(x - 1e-6)) / 2e-6

    rejects(
        check_central_difference,
        exact_for_cube,
        r"central_difference\(x\*\*3, 2.0, h=0.1\) is wrong",
        capsys,
    )


def test_sgd_step_rejects_a_step_uphill(capsys):
    rejects(
        check_sgd_step,
        lambda w, grad, lr: w + lr * grad,
        r"the step you took.*opposite sign",
        capsys,
    )


def test_sgd_step_rejects_a_forgotten_learning_rate(capsys):
    rejects(check_sgd_step, lambda w, grad, lr: w - grad, "10 times the expected value", capsys)


def test_sgd_step_rejects_changing_w_in_place(capsys):
    def in_place(w, grad, lr):
        w -= lr * grad
        return w

    rejects(check_sgd_step, in_place, "sgd_step changed w in place; return a new array", capsys)


def test_loss_change_prediction_rejects_sign_and_mean(capsys):
    rejects(check_loss_change_prediction, lambda g, dw: -np.sum(g * dw), "opposite sign", capsys)
    rejects(
        check_loss_change_prediction,
        lambda g, dw: np.mean(g * dw),
        r"0.1667 times the expected",
        capsys,
    )


def test_loss_change_prediction_rejects_an_unsummed_product(capsys):
    rejects(
        check_loss_change_prediction,
        lambda g, dw: g * dw,
        r"predicted loss change has shape \(2, 3\), expected \(\)",
        capsys,
    )


# ------------------------------------------------------------------------- chapter 4


def test_sigmoid_prime_rejects_sigmoid_itself_and_a_sign_flip(capsys):
    rejects(check_sigmoid_prime, sig, r"sigmoid_prime\(z\) returns σ\(z\) itself", capsys)
    rejects(check_sigmoid_prime, lambda z: -sigmoid_prime(z), "opposite sign", capsys)


def test_sigmoid_prime_rejects_a_function_that_only_works_on_arrays(capsys):
    def arrays_only(z):
        return sigmoid_prime(z)[:]

    rejects(check_sigmoid_prime, arrays_only, "invalid index", capsys, exc=IndexError)


def test_neuron_gradients_rejects_a_sign_flip(capsys):
    def flipped(x, y, w, b):
        dw, db = neuron_gradients(x, y, w, b)
        return -dw, -db

    rejects(
        check_neuron_gradients,
        flipped,
        r"dL/db at x=1.5, y=0.0, w=0.8, b=-0.2 is wrong.*opposite sign",
        capsys,
    )


def test_neuron_gradients_rejects_a_forgotten_x(capsys):
    rejects(
        check_neuron_gradients,
        lambda x, y, w, b: (neuron_gradients(x, y, w, b)[1],) * 2,
        r"dL/dw at x=1.5.*0.6667 times the expected value",
        capsys,
    )


def test_neuron_gradients_rejects_a_forgotten_sigmoid_derivative(capsys):
    def no_local(x, y, w, b):
        a = sig(w * x + b)
        return (a - y) * x, a - y

    rejects(
        check_neuron_gradients, no_local, r"dL/db at x=1.5, y=0.0, w=0.8, b=-0.2 is wrong", capsys
    )


def test_neuron_gradients_rejects_a_single_value(capsys):
    rejects(
        check_neuron_gradients,
        lambda x, y, w, b: 0.0,
        "neuron_gradients should return 2 values as a tuple, got a float",
        capsys,
    )


def test_neuron_gradients_batch_rejects_a_forgotten_one_over_n(capsys):
    def summed(x, y, w, b):
        dw, db = neuron_gradients_batch(x, y, w, b)
        return dw * len(x), db * len(x)

    rejects(
        check_neuron_gradients_batch,
        summed,
        r"dL/db over the batch is wrong.*8 times the expected",
        capsys,
    )


def test_neuron_gradients_batch_rejects_unsummed_gradients(capsys):
    def per_example(x, y, w, b):
        a = sig(w * x + b)
        d = (a - y) * a * (1 - a) / len(x)
        return d * x, d

    rejects(
        check_neuron_gradients_batch,
        per_example,
        r"dL/db over the batch has shape \(8,\), expected \(\)",
        capsys,
    )


# ------------------------------------------------------------------------- chapter 5


def test_output_delta_rejects_a_sign_flip_and_a_missing_derivative(capsys):
    rejects(
        check_output_delta,
        lambda a, z, y: (y - a) * a * (1 - a),
        r"delta\[K\] wrong at.*opposite sign",
        capsys,
    )
    rejects(
        check_output_delta,
        lambda a, z, y: a - y,
        r"delta\[K\] is missing the factor σ'\(z\[K\]\)",
        capsys,
    )


def test_output_delta_rejects_sigma_in_place_of_its_derivative(capsys):
    rejects(
        check_output_delta,
        lambda a, z, y: (a - y) * sig(z),
        r"delta\[K\] is multiplied by σ\(z\) instead of its derivative",
        capsys,
    )


def test_hidden_delta_names_a_missing_sigma_prime(capsys):
    rejects(
        check_hidden_delta,
        lambda W, d, z: W.T @ d,
        r"delta\[1\] is missing the factor σ'\(z\[1\]\): multiply elementwise",
        capsys,
    )


def test_hidden_delta_names_sigma_in_place_of_its_derivative(capsys):
    rejects(
        check_hidden_delta,
        lambda W, d, z: (W.T @ d) * sig(z),
        r"delta\[1\] is multiplied by σ\(z\) instead of its derivative σ'\(z\[1\]\)",
        capsys,
    )


def test_hidden_delta_with_a_wrong_derivative_still_gets_the_general_message(capsys):
    rejects(
        check_hidden_delta,
        lambda W, d, z: (W.T @ d) * sig(z) * (1 - sig(z)) * 2,
        r"delta\[1\] wrong at .*2 times the expected value",
        capsys,
    )


def test_hidden_delta_rejects_a_missing_transpose(capsys):
    info = rejects(
        check_hidden_delta,
        lambda W, d, z: (W @ d) * sig(z) * (1 - sig(z)),
        "matmul",
        capsys,
        exc=ValueError,
    )
    assert (
        "raised inside your <lambda> when the check called it with: ndarray (2, 4)"
        in info.value.__notes__[0]
    )


def test_hidden_delta_rejects_a_sign_flip(capsys):
    rejects(
        check_hidden_delta,
        lambda W, d, z: -hidden_delta(W, d, z),
        r"delta\[1\] wrong.*opposite sign",
        capsys,
    )


def test_layer_gradients_rejects_a_missing_transpose(capsys):
    rejects(
        check_layer_gradients,
        lambda d, a: (a @ d.T, d.sum(axis=1, keepdims=True)),
        r"dW\[1\] has shape \(3, 4\), expected \(4, 3\)\. It looks transposed",
        capsys,
    )


def test_layer_gradients_rejects_a_forgotten_bias_sum(capsys):
    rejects(
        check_layer_gradients,
        lambda d, a: (d @ a.T, d),
        r"db\[1\] has shape \(4, 5\), expected \(4, 1\)",
        capsys,
    )
    rejects(
        check_layer_gradients,
        lambda d, a: (d @ a.T, d.sum(axis=1)),
        "reshape it to \\(4, 1\\)",
        capsys,
    )


def test_layer_gradients_rejects_a_mean_instead_of_a_sum(capsys):
    rejects(
        check_layer_gradients,
        lambda d, a: (d @ a.T, d.mean(axis=1, keepdims=True)),
        r"db\[1\] wrong.*0.2 times the expected value",
        capsys,
    )


def test_linear_backward_rejects_a_missing_transpose(capsys):
    rejects(
        check_linear_backward,
        lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)),
        r"dW has shape \(4, 3\), expected \(3, 4\)\. It looks transposed",
        capsys,
    )


def test_linear_backward_rejects_a_forgotten_bias_sum(capsys):
    rejects(
        check_linear_backward,
        lambda dout, x, W: (dout @ W, dout.T @ x, dout),
        r"db has shape \(6, 3\), expected \(3,\)\..*sum over the batch",
        capsys,
    )


def test_linear_backward_rejects_a_sign_flip_and_an_extra_one_over_n(capsys):
    rejects(
        check_linear_backward,
        lambda dout, x, W: (-dout @ W, dout.T @ x, dout.sum(axis=0)),
        r"dx wrong at \[0, 0\].*opposite sign",
        capsys,
    )
    rejects(
        check_linear_backward,
        lambda dout, x, W: (dout @ W, dout.T @ x / 6, dout.sum(axis=0)),
        r"dW wrong.*0.1667 times the expected value",
        capsys,
    )


def test_linear_backward_rejects_two_return_values(capsys):
    rejects(
        check_linear_backward,
        lambda dout, x, W: (dout @ W, dout.T @ x),
        "linear_backward should return 3 values as a tuple, got a tuple of length 2",
        capsys,
    )
