"""bplib.course.feedback: specific messages for wrong answers, and the success line."""

import numpy as np
import pytest

from bplib.course.feedback import OK_MARK, call_student, expect_close, expect_tuple, passed

EXPECTED = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def test_matching_arrays_pass_silently():
    expect_close("dW", EXPECTED + 1e-9, EXPECTED)
    expect_close("loss", 0.5, np.float64(0.5))
    expect_close("db", [1.0, 2.0], np.array([1.0, 2.0]))


def test_transposed_shape_gets_a_transpose_hint():
    with pytest.raises(
        AssertionError, match=r"dW has shape \(3, 2\), expected \(2, 3\)\. It looks transposed"
    ):
        expect_close("dW", EXPECTED.T, EXPECTED)


def test_extra_batch_axis_gets_a_sum_over_the_batch_hint():
    with pytest.raises(
        AssertionError, match=r"db has shape \(5, 3\), expected \(3,\)\..*sum over the batch"
    ):
        expect_close("db", np.ones((5, 3)), np.ones(3))


def test_same_size_different_shape_suggests_reshape():
    with pytest.raises(
        AssertionError,
        match=r"has shape \(6,\), expected \(2, 3\)\. Same number of entries: "
        r"reshape it to \(2, 3\)",
    ):
        expect_close("x", EXPECTED.ravel(), EXPECTED)


def test_unrelated_shape_has_no_hint():
    with pytest.raises(AssertionError, match=r"^x has shape \(4,\), expected \(2, 3\)\.$"):
        expect_close("x", np.ones(4), EXPECTED)


def test_sign_flip_is_recognised_with_the_first_wrong_index():
    with pytest.raises(
        AssertionError,
        match=r"dW wrong at \[0, 0\]: expected 1.0000, got -1.0000 "
        r"\(6 of 6 entries differ\)\. Every entry has the opposite sign",
    ):
        expect_close("dW", -EXPECTED, EXPECTED)


def test_factor_is_recognised():
    with pytest.raises(
        AssertionError, match=r"Every entry is 2 times the expected value: a missing or extra factor"
    ):
        expect_close("dW", 2 * EXPECTED, EXPECTED)
    with pytest.raises(AssertionError, match=r"Every entry is 0.25 times the expected value.*1/N"):
        expect_close("dW", EXPECTED / 4, EXPECTED)


def test_square_transpose_values_are_recognised():
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(
        AssertionError, match="wrong at \\[0, 1\\].*equals the transpose of the expected array"
    ):
        expect_close("W", square.T, square)


def test_single_wrong_entry_names_its_index_and_values():
    got = EXPECTED.copy()
    got[1, 2] = 0.5
    with pytest.raises(
        AssertionError,
        match=r"^dW wrong at \[1, 2\]: expected 6.0000, got 0.5000 "
        r"\(1 of 6 entries differ\)\.$",
    ):
        expect_close("dW", got, EXPECTED)


def test_values_that_agree_to_four_decimals_are_shown_with_more():
    with pytest.raises(
        AssertionError, match=r"^slope is wrong: expected 0\.764842, got 0\.764839\.$"
    ):
        expect_close("slope", 0.7648392, 0.7648422, atol=1e-8, rtol=1e-8)
    got = EXPECTED.copy()
    got[0, 2] += 2e-5
    with pytest.raises(
        AssertionError, match=r"wrong at \[0, 2\]: expected 3\.00000, got 3\.00002 "
    ):
        expect_close("dW", got, EXPECTED, atol=1e-8, rtol=1e-8)


def test_a_ratio_of_almost_one_is_not_called_a_missing_factor():
    with pytest.raises(AssertionError) as info:
        expect_close("dW", EXPECTED * (1 + 1e-4), EXPECTED, atol=1e-8, rtol=1e-8)
    assert "times the expected" not in str(info.value)


def test_wrong_scalar_says_expected_and_got():
    with pytest.raises(
        AssertionError,
        match=r"loss is wrong: expected 1.0000, got 1.5000\. It is 1.5 times the expected value",
    ):
        expect_close("loss", 1.5, 1.0)
    with pytest.raises(
        AssertionError, match=r"loss is wrong: expected 1.0000, got -1.0000\. .*opposite sign"
    ):
        expect_close("loss", -1.0, 1.0)


def test_nan_and_inf_are_reported_with_position():
    got = EXPECTED.copy()
    got[0, 1] = np.nan
    with pytest.raises(
        AssertionError, match=r"dW contains nan at \[0, 1\]: look for a division by zero"
    ):
        expect_close("dW", got, EXPECTED)
    with pytest.raises(AssertionError, match=r"contains inf at \[\]"):
        expect_close("loss", np.inf, 1.0)


def test_none_means_the_function_forgot_to_return():
    with pytest.raises(AssertionError, match="dx is None: make sure your function returns it"):
        expect_close("dx", None, EXPECTED)


def test_non_numeric_answer_is_explained():
    with pytest.raises(
        AssertionError, match="dx should be a number or an array of numbers, got str"
    ):
        expect_close("dx", "abc", EXPECTED)


def test_tolerances_are_respected():
    expect_close("x", 1.001, 1.0, atol=1e-2)
    with pytest.raises(AssertionError):
        expect_close("x", 1.001, 1.0, atol=1e-6, rtol=1e-6)


def test_passed_prints_the_success_line(capsys):
    passed("well done")
    assert capsys.readouterr().out == f"{OK_MARK} well done\n"
    assert OK_MARK == "✔"


def test_call_student_returns_result_and_rejects_non_functions():
    assert call_student(lambda a, b: a + b, 1, 2) == 3
    with pytest.raises(
        AssertionError,
        match=r"expected a function, got float; pass the function itself, without calling",
    ):
        call_student(1.5, 2)


def test_call_student_notes_which_inputs_made_the_function_fail():
    def broken(x, lr):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError) as info:
        call_student(broken, np.ones((2, 3)), 0.1)
    assert (
        "raised inside your broken when the check called it with: ndarray (2, 3), 0.1"
        in info.value.__notes__[0]
    )


def test_call_student_lets_not_implemented_through_unchanged():
    def todo(x):
        raise NotImplementedError

    with pytest.raises(NotImplementedError) as info:
        call_student(todo, 1)
    assert not getattr(info.value, "__notes__", [])


def test_expect_tuple():
    assert expect_tuple("f", [1, 2], 2) == (1, 2)
    with pytest.raises(
        AssertionError, match="f should return 2 values as a tuple, got a tuple of length 3"
    ):
        expect_tuple("f", (1, 2, 3), 2)
    with pytest.raises(AssertionError, match="f should return 3 values as a tuple, got a float"):
        expect_tuple("f", 1.0, 3)


def test_an_extra_axis_of_length_one_is_told_to_drop_keepdims():
    with pytest.raises(AssertionError, match=r"extra axis of length 1: drop keepdims=True"):
        expect_close("db", np.zeros((1, 3)), np.ones(3))
    with pytest.raises(AssertionError, match=r"forget to sum over the batch"):
        expect_close("db", np.zeros((4, 3)), np.ones(3))
