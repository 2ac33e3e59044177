"""Bad input gets a ValueError/TypeError/RuntimeError whose message a student can act on."""

import numpy as np
import pytest

import bplib as bp
from bplib import functional as F


@pytest.fixture
def layer():
    return bp.Linear(3, 2, seed=0)


# ------------------------------------------------------------------------ Linear input


def test_linear_given_wrong_number_of_features_names_both_numbers(layer):
    with pytest.raises(
        ValueError, match=r"Linear\(3 -> 2\).*3 features per row.*shape \(4, 5\) with 5 features"
    ):
        layer(np.ones((4, 5)))


def test_mlp_error_names_the_layer_that_failed():
    with pytest.raises(
        ValueError, match=r"Linear\(2 -> 4\): expected x with 2 features.*got shape \(1, 3\)"
    ):
        bp.MLP([2, 4, 1], seed=0)(np.ones((1, 3)))


def test_one_dimensional_x_suggests_adding_a_batch_axis(layer):
    with pytest.raises(
        ValueError,
        match=r"x must be 2-D with shape \(N, 3\), got 1-D shape \(3,\)\. "
        r"Add a batch dimension",
    ):
        layer(np.ones(3))


def test_three_dimensional_x_is_rejected(layer):
    with pytest.raises(ValueError, match=r"must be 2-D .* got 3-D shape \(2, 2, 3\)"):
        layer(np.ones((2, 2, 3)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_rejected_with_its_position(layer, bad):
    x = np.ones((2, 3))
    x[1, 2] = bad
    with pytest.raises(
        ValueError, match=rf"x contains {bad} at index \[1, 2\]; inputs must be finite"
    ):
        layer(x)


def test_empty_batch_is_rejected(layer):
    with pytest.raises(
        ValueError, match=r"x is empty \(shape \(0, 3\)\); a batch needs at least one example"
    ):
        layer(np.zeros((0, 3)))


def test_string_input_is_a_type_error(layer):
    with pytest.raises(TypeError, match="must be an array of numbers, got the string 'abc'"):
        layer("abc")


def test_object_array_input_is_a_type_error(layer):
    with pytest.raises(TypeError, match="must hold real numbers .* got an array of dtype"):
        layer(np.array([["a", "b", "c"]]))


def test_complex_input_is_a_type_error():
    with pytest.raises(TypeError, match="dtype complex128"):
        F.mse(np.ones(2, dtype=complex), np.ones(2))


@pytest.mark.parametrize(
    "args, match",
    [
        ((0, 2), "in_features must be a whole number >= 1, got 0"),
        ((3, 2.5), "out_features must be a whole number >= 1, got 2.5"),
        ((True, 2), "in_features must be a whole number"),
    ],
)
def test_linear_sizes_must_be_positive_integers(args, match):
    with pytest.raises(ValueError, match=match):
        bp.Linear(*args)


# ----------------------------------------------------------------------- backward


def test_backward_before_forward_is_a_runtime_error(layer):
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        layer.backward(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match=r"ReLU\(\): backward\(\) was called before forward\(\)"):
        bp.ReLU().backward(np.ones(2))


def test_loss_backward_before_loss_is_a_runtime_error():
    with pytest.raises(
        RuntimeError, match=r"MSELoss.backward\(\) was called before computing the loss"
    ):
        bp.MSELoss().backward()


def test_dout_of_wrong_shape_says_both_shapes(layer):
    layer(np.ones((4, 3)))
    with pytest.raises(
        ValueError,
        match=r"dout has shape \(4, 3\), but this layer's last output had shape \(4, 2\)",
    ):
        layer.backward(np.ones((4, 3)))
    tanh = bp.Tanh()
    tanh(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"Tanh\(\).backward: dout has shape \(2,\)"):
        tanh.backward(np.ones(2))


def test_dloss_of_wrong_shape_is_rejected():
    loss_fn = bp.MSELoss("none")
    loss_fn(np.ones((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"dloss has shape \(3,\), expected \(2, 2\)"):
        loss_fn.backward(np.ones(3))


# -------------------------------------------------------------------------- losses


def test_mismatched_loss_shapes_are_named():
    with pytest.raises(
        ValueError, match=r"mse: pred has shape \(4, 1\) but target has shape \(4,\)"
    ):
        F.mse(np.ones((4, 1)), np.ones(4))
    with pytest.raises(
        ValueError, match=r"binary_cross_entropy: pred has shape \(2,\) but target has shape \(3,\)"
    ):
        bp.BCELoss()(np.full(2, 0.5), np.ones(3))


def test_labels_out_of_range_name_the_label_and_the_classes():
    with pytest.raises(
        ValueError,
        match=r"label 3 at index 1 is out of range; with 3 classes, labels must be in 0..2",
    ):
        F.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"label -1 at index 0 is out of range"):
        bp.CrossEntropyLoss()(np.zeros((2, 3)), np.array([-1, 0]))


def test_float_labels_are_a_type_error_with_a_hint():
    with pytest.raises(
        TypeError,
        match=r"labels must be integer class indices, got dtype float64.*labels.astype\(int\)",
    ):
        F.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 2.0]))
    with pytest.raises(TypeError, match="not one-hot rows or probabilities"):
        F.softmax_cross_entropy(np.zeros((2, 3)), np.eye(3)[[0, 2]] * 0.5)


def test_labels_of_wrong_shape_are_rejected():
    with pytest.raises(
        ValueError,
        match=r"labels must have shape \(2,\), one class index per row.*got shape \(2, 1\)",
    ):
        F.softmax_cross_entropy(np.zeros((2, 3)), np.array([[0], [1]]))


def test_cross_entropy_needs_two_dimensional_logits():
    with pytest.raises(ValueError, match=r"logits must be 2-D with shape \(N, C\), got 1-D"):
        F.softmax_cross_entropy(np.zeros(3), np.array([0]))


def test_empty_and_non_finite_loss_inputs():
    with pytest.raises(ValueError, match="pred is empty"):
        F.mse(np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"target contains nan at index \[1\]"):
        F.mse(np.zeros(2), np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="logits contains inf"):
        F.softmax_cross_entropy(np.array([[0.0, np.inf]]), np.array([0]))
    with pytest.raises(ValueError, match="logits is empty"):
        F.softmax_cross_entropy(np.zeros((0, 3)), np.array([], dtype=int))


def test_bce_pred_outside_unit_interval_suggests_a_sigmoid():
    with pytest.raises(
        ValueError,
        match=r"pred must be probabilities in \[0, 1\] \(put a Sigmoid before the loss\), "
        r"got values from -0.5 to 1.2",
    ):
        F.binary_cross_entropy(np.array([-0.5, 1.2]), np.array([0.0, 1.0]))


@pytest.mark.parametrize(
    "make",
    [
        lambda: bp.MSELoss("avg"),
        lambda: bp.CrossEntropyLoss("average"),
        lambda: F.mse(np.ones(2), np.ones(2), reduction="avg"),
    ],
)
def test_bad_reduction_lists_the_choices(make):
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'av"):
        make()


# ----------------------------------------------------------------- construction


def test_bad_init_name_lists_the_schemes():
    with pytest.raises(
        ValueError, match=r"unknown init 'kaiming'; choose one of \[.*'he'.*'xavier'"
    ):
        bp.Linear(3, 2, init="kaiming")


def test_bad_activation_name_lists_the_choices():
    with pytest.raises(
        ValueError, match=r"unknown activation 'gelu'; choose one of \['leaky_relu', 'relu'"
    ):
        bp.MLP([2, 3, 1], activation="gelu")


def test_sequential_given_a_class_says_to_call_it():
    with pytest.raises(
        TypeError, match=r"item 1 is the class ReLU, not a layer; create one by calling it: ReLU\(\)"
    ):
        bp.Sequential(bp.Linear(2, 2, seed=0), bp.ReLU)
    with pytest.raises(TypeError, match="item 0 is a function, not a layer"):
        bp.Sequential(lambda x: x)


@pytest.mark.parametrize("sizes", [[3], []])
def test_mlp_with_one_size_needs_input_and_output(sizes):
    with pytest.raises(
        ValueError, match=r"MLP needs at least an input and an output size, got sizes="
    ):
        bp.MLP(sizes)


def test_rng_of_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator.*got int"):
        bp.Linear(3, 2, rng=42)
