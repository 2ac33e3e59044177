"""Exercise checks of chapter 5b (gradient checking): the reference passes, typical slips are named."""

import numpy as np
import pytest

from bplib.course import check_central_gradient_at, check_rel_error, check_tanh_layer_backward
from bplib.course.checks.gradcheck import tanh_layer_forward


# ---------------------------------------------------------------- reference solutions
# notebooks/05b_gradient_checking.ipynb
def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def central_gradient_at(f, x, indices, h=1e-5):
    values = []
    for i in indices:
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        values.append((plus - minus) / (2 * h))
    return np.array(values)


def tanh_layer_backward(dout, cache):
    x, W, out = cache
    dz = dout * (1 - out**2)
    return dz @ W, dz.T @ x, dz.sum(axis=0)


def test_the_reference_solutions_pass(capsys):
    check_rel_error(rel_error)
    check_central_gradient_at(central_gradient_at)
    check_tanh_layer_backward(tanh_layer_backward)
    assert capsys.readouterr().out.count("\u2714") == 3


def test_the_forward_of_the_debug_exercise_is_tanh_of_a_linear_layer():
    x, W, b = np.array([[1.0, 2.0]]), np.array([[0.5, -0.25], [0.0, 1.0]]), np.array([0.1, -1.0])
    out, cache = tanh_layer_forward(x, W, b)
    np.testing.assert_allclose(out, np.tanh([[0.1, 1.0]]))
    assert cache[0] is x and cache[1] is W and cache[2] is out


# ---------------------------------------------------------------- exercise 1: rel_error
@pytest.mark.parametrize("wrong, message", [
    (lambda a, b: np.max(np.abs(np.asarray(a) - np.asarray(b))), "absolute error"),
    (lambda a, b: np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))), "mean of the elementwise"),
    (lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a))), "divide by |a| only"),
    (lambda a, b: np.max(np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))), "max(|a|, |b|)"),
    (lambda a, b: np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), "return one number"),
])
def test_rel_error_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message.replace("|", r"\|").replace("(", r"\(").replace(")", r"\)")):
        check_rel_error(wrong)


def test_rel_error_without_the_floor_fails_on_two_zeros():
    def no_floor(a, b):
        with np.errstate(invalid="ignore"):
            return np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))

    with pytest.raises(AssertionError, match=r"divide 0 by 0.*max\(1e-8"):
        check_rel_error(no_floor)


# ---------------------------------------------------------------- exercise 2: central_gradient_at
def one_sided(f, x, indices, h=1e-5):
    values = []
    for i in indices:
        base = f(x)
        old = x[i]
        x[i] = old + h
        values.append((f(x) - base) / h)
        x[i] = old
    return np.array(values)


def divided_by_h(f, x, indices, h=1e-5):
    return 2 * central_gradient_at(f, x, indices, h)


def not_restored(f, x, indices, h=1e-5):
    values = []
    for i in indices:
        x[i] += h
        plus = f(x)
        x[i] -= 2 * h
        minus = f(x)
        values.append((plus - minus) / (2 * h))
    return np.array(values)


def all_at_once(f, x, indices, h=1e-5):
    plus, minus = x.copy(), x.copy()
    for i in indices:
        plus[i] += h
        minus[i] -= h
    return np.full(len(indices), (f(plus) - f(minus)) / (2 * h))


def full_gradient(f, x, indices, h=1e-5):
    return np.zeros_like(x)


@pytest.mark.parametrize("wrong, message", [
    (one_sided, "one-sided differences.*only first-order accurate"),
    (divided_by_h, "twice the central difference: divide .* by 2h"),
    (not_restored, "left x changed"),
    (all_at_once, "nudged all the chosen entries at once"),
    (full_gradient, r"has shape \(3, 4\), expected \(4,\)"),
])
def test_central_gradient_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_central_gradient_at(wrong)


# ---------------------------------------------------------------- exercise 3: the planted bug
def planted_bug(dout, cache):
    x, W, out = cache
    dz = dout * (1 - out**2)
    return dz @ W.T, dz.T @ x, dz.sum(axis=0)


def forgot_square(dout, cache):
    x, W, out = cache
    dz = dout * (1 - out)
    return dz @ W, dz.T @ x, dz.sum(axis=0)


def transposed_dW(dout, cache):
    x, W, out = cache
    dz = dout * (1 - out**2)
    return dz @ W, x.T @ dz, dz.sum(axis=0)


def db_of_first_example(dout, cache):
    x, W, out = cache
    dz = dout * (1 - out**2)
    return dz @ W, dz.T @ x, dz[0]


@pytest.mark.parametrize("wrong, message", [
    (planted_bug, "still dz @ W.T, the planted bug"),
    (forgot_square, r"1 - out\*\*2"),
    (transposed_dW, "dW wrong at .*transpose"),
    (db_of_first_example, "db wrong at"),
    (lambda dout, cache: (None, None), "should return 3 values"),
])
def test_backward_slips_are_named(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_tanh_layer_backward(wrong)
