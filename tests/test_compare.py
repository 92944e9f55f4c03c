"""The comparisons behind every hidden test and public check (labs/encoders_decoders/compare.py), unit by
unit: what passes, what fails, and that no failure message gives the expected value away."""

import math

import pytest
import torch

from autograder.labs.encoders_decoders.compare import (
    CheckFailed,
    expect_close,
    expect_equal,
    expect_shape,
    expect_type,
    type_name,
)

SECRET_FLOAT, SECRET_TEXT = 0.7316492, "Ġhiddenanswer"


def failure(check, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as caught:
        check(*args, **kwargs)
    return str(caught.value)


def test_type_names_say_shape_or_length():
    assert type_name(torch.zeros(1, 5)) == "Tensor of shape (1, 5)"
    assert type_name([1, 2, 3]) == "list of length 3"
    assert type_name(None) == "NoneType"


def test_a_bool_is_not_a_number_and_a_one_element_tensor_gets_a_hint():
    expect_type(3, int, "f()")
    assert "got a bool" in failure(expect_type, True, int, "f()")
    assert "got a bool" in failure(expect_type, False, (int, float), "f()")
    expect_type(True, bool, "f()")
    assert ".item()" in failure(expect_type, torch.tensor(2.0), float, "f()")


def test_shape_messages_name_the_batch_dimension():
    expect_shape(torch.zeros(4, 8), (4, 8), "f()")
    assert "did you forget [0]" in failure(expect_shape, torch.zeros(1, 4, 8), (4, 8), "f()")
    assert "dimension 1 of size 1" in failure(expect_shape, torch.zeros(4, 1, 8), (4, 8), "f()")
    assert "3 dimensions instead of 2" in failure(expect_shape, torch.zeros(2, 4, 8), (4, 8), "f()")
    assert "expected a Tensor" in failure(expect_shape, [[0.0] * 8] * 4, (4, 8), "f()")


def test_close_accepts_any_numeric_form_within_tolerance():
    expected = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
    expect_close(expected + 5e-6, expected, "f()")
    expect_close(expected.double().tolist(), expected, "f()")
    expect_close(torch.tensor([1, 2]), [1.0, 2.0], "f()")  # integers where floats are expected
    expect_close(torch.tensor([float("nan"), 1.0]), [float("nan"), 1.0], "f()")  # NaN where NaN is right


def test_close_fails_on_values_shapes_nan_and_non_numbers():
    expected, off = torch.tensor([0.25, 0.25, 0.5]), torch.tensor([0.25, 0.25, 0.51])
    assert "1 of 3 value(s) differ" in failure(expect_close, off, expected, "f()")
    assert "first at index [2]" in failure(expect_close, off, expected, "f()")
    assert "NaN or inf" in failure(expect_close, torch.tensor([0.25, float("inf"), 0.5]), expected, "f()")
    assert "shape (3,)" in failure(expect_close, torch.zeros(2), expected, "f()")
    assert "expected numbers" in failure(expect_close, "0.25", expected, "f()")
    assert "dtype torch.bool" in failure(expect_close, torch.tensor([True, False, True]), expected, "f()")


def test_equal_compares_nested_data_and_names_the_first_difference():
    expected = {"NEGATIVE": 12.5, "POSITIVE": 87.5}
    expect_equal({"POSITIVE": 87.5, "NEGATIVE": 12.5}, expected, "f()")
    expect_equal([(101, "[CLS]"), (102, "[SEP]")], [(101, "[CLS]"), (102, "[SEP]")], "f()")
    expect_equal([[101, "[CLS]"]], [(101, "[CLS]")], "f()")  # a list where a tuple is expected is fine
    expect_equal({"a": 12}, {"a": 12.0}, "f()")  # an int where a float is expected
    assert "['NEUTRAL']" in failure(expect_equal, {**expected, "NEUTRAL": 0.0}, expected, "f()")
    assert "1 expected key(s) missing" in failure(expect_equal, {"NEGATIVE": 12.5}, expected, "f()")
    assert "f()[1][0]" in failure(expect_equal, [(101, "[CLS]"), (103, "[SEP]")],
                                  [(101, "[CLS]"), (102, "[SEP]")], "f()")
    assert "expected 2 item(s), got 1" in failure(expect_equal, [1], [1, 2], "f()")
    assert "use .tolist()" in failure(expect_equal, torch.tensor([1, 2]), [1, 2], "f()")
    assert "use .item()" in failure(expect_equal, torch.tensor(3), 3, "f()")
    assert "got a bool" in failure(expect_equal, [True], [1], "f()")


def test_equal_floats_within_the_tolerance_only():
    expect_equal(0.30000001, 0.3, "f()", float_tol=1e-6)
    assert "by more than 1e-06" in failure(expect_equal, 0.301, 0.3, "f()", float_tol=1e-6)
    assert "differs" in failure(expect_equal, math.nan, 0.3, "f()", float_tol=1.0)
    assert "differs" in failure(expect_equal, 0.3000001, 0.3, "f()")  # exact by default


@pytest.mark.parametrize("check, got, expected", [
    (expect_close, torch.tensor([0.0, 1.0]), torch.tensor([0.0, SECRET_FLOAT])),
    (expect_close, torch.zeros(3), torch.tensor([SECRET_FLOAT, 0.0])),
    (expect_equal, [0.5], [SECRET_FLOAT]),
    (expect_equal, {"x": 0.5}, {"x": SECRET_FLOAT}),
    (expect_equal, ["Ġwrong"], [SECRET_TEXT]),
    (expect_equal, {"Ġwrong": 1}, {SECRET_TEXT: 1}),
    (expect_equal, [1, 2], [SECRET_TEXT]),
])
def test_no_message_gives_the_expected_value_away(check, got, expected):
    message = failure(check, got, expected, "f()")
    assert SECRET_TEXT not in message and str(SECRET_FLOAT) not in message and "0.7316" not in message
