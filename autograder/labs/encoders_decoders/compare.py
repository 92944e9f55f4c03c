"""Comparisons that turn a student's result into a pass or a student-facing CheckFailed.

Shared by the public checks (`public.py`) and the hidden test suites. Every message names the property that
failed and where to look; none prints an expected VALUE (shapes, types, lengths and positions are fine), so a
hidden test never leaks its answer.

    expect_shape(vector, (768,), "sentence_vector(...)", "(H,)")
    expect_close(probs, reference, "softmax(logits)")
    expect_equal(table, reference, "model_input_table(...)")
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from autograder.errors import CheckFailed

__all__ = [
    "CheckFailed",
    "expect_close",
    "expect_equal",
    "expect_no_grad",
    "expect_shape",
    "expect_type",
    "type_name",
]


def type_name(value: Any) -> str:
    """A short description of `value`'s type, e.g. `Tensor of shape (1, 5)` or `list of length 3`."""
    if isinstance(value, torch.Tensor):
        return f"Tensor of shape {tuple(value.shape)}"
    if isinstance(value, (list, tuple, dict)):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def expect_type(got: Any, types: type | tuple[type, ...], what: str, hint: str = "") -> None:
    """Fail unless `got` is an instance of `types` (a bool never counts as an int or a float)."""
    types = types if isinstance(types, tuple) else (types,)
    is_bool = isinstance(got, bool) and bool not in types
    if is_bool or not isinstance(got, types):
        wanted = " or ".join(t.__name__ for t in types)
        if isinstance(got, torch.Tensor) and got.numel() == 1 and not any(t is torch.Tensor for t in types):
            hint = hint or "use .item() to turn a one-element tensor into a Python number"
        hint = f" ({hint})" if hint else ""
        raise CheckFailed(f"{what}: expected a {wanted}, got a {type_name(got)}{hint}")


def expect_shape(got: Any, shape: Sequence[int], what: str, dims: str = "") -> None:
    """Fail unless `got` is a tensor of exactly `shape`; `dims` names the axes, e.g. "(T, H)"."""
    expect_type(got, torch.Tensor, what)
    shape = tuple(shape)
    dims = dims or str(shape)
    if tuple(got.shape) == shape:
        return
    message = f"{what}: expected a tensor of shape {dims}, got {tuple(got.shape)}"
    extra = [d for d in range(got.dim()) if got.shape[d] == 1 and got.shape[:d] + got.shape[d + 1 :] == shape]
    if extra == [0]:
        message += ": it still has the batch dimension, did you forget [0]?"
    elif extra:
        message += f": dimension {extra[0]} of size 1 looks like the batch dimension; index it away"
    elif got.dim() != len(shape):
        message += f" ({got.dim()} dimensions instead of {len(shape)})"
    raise CheckFailed(message)


def expect_no_grad(got: torch.Tensor, what: str) -> None:
    """Fail if `got` is part of an autograd graph (the model ran with gradients on)."""
    if got.requires_grad:
        raise CheckFailed(
            f"{what}: the tensor requires grad; run the model inside `with torch.no_grad():` "
            "(or return .detach())"
        )


def _as_tensor(value: Any, what: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    try:
        return torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError):
        raise CheckFailed(f"{what}: expected numbers (a tensor or list), got a {type_name(value)}") from None


def expect_close(got: Any, expected: Any, what: str, atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """Fail unless `got` has `expected`'s shape, is finite where `expected` is, and is elementwise close.

    Both may be tensors, lists of numbers or numbers. The message gives the first position that differs and
    how many do, never the expected value.
    """
    exp = _as_tensor(expected, "expected value").to(torch.float64)
    val = _as_tensor(got, what)
    if not (val.is_floating_point() or val.is_complex() or val.dtype in (torch.int64, torch.int32)):
        raise CheckFailed(f"{what}: expected floating-point numbers, got dtype {val.dtype}")
    if tuple(val.shape) != tuple(exp.shape):
        expect_shape(val, tuple(exp.shape), what)
    val = val.to(torch.float64)
    bad_numbers = ~torch.isfinite(val) & torch.isfinite(exp)
    if bad_numbers.any():
        where = _position(bad_numbers)
        raise CheckFailed(
            f"{what}: contains NaN or inf (first at {where}); an overflow? (exp of a large "
            "number is inf: subtract the maximum first)"
        )
    close = torch.isclose(val, exp, atol=atol, rtol=rtol, equal_nan=True)
    if not close.all():
        count = int((~close).sum())
        raise CheckFailed(
            f"{what}: {count} of {close.numel()} value(s) differ from the reference "
            f"(first at {_position(~close)}; tolerance atol={atol:g}, rtol={rtol:g})"
        )


def _position(mask: torch.Tensor) -> str:
    if mask.dim() == 0:
        return "the value"
    index = tuple(int(i) for i in mask.nonzero()[0])
    return "index [" + ", ".join(map(str, index)) + "]"


def expect_equal(got: Any, expected: Any, what: str, float_tol: float = 0.0) -> None:
    """Fail unless `got` equals `expected`: nested lists, tuples, dicts, strings and numbers.

    Reports the first differing index or key (and the student's value there), never the expected value.
    Floats compare within `float_tol`; a tensor where plain data is expected fails with a hint.
    """
    _equal(got, expected, what, "", float_tol)


def _equal(got: Any, exp: Any, what: str, path: str, tol: float) -> None:
    where = f"{what}{path}"
    if isinstance(got, torch.Tensor) and not isinstance(exp, torch.Tensor):
        hint = ".item()" if got.numel() == 1 and not isinstance(exp, (list, tuple)) else ".tolist()"
        raise CheckFailed(f"{where}: expected plain Python data, got a {type_name(got)} (use {hint})")
    if isinstance(exp, dict):
        expect_type(got, dict, where)
        extra = [k for k in got if k not in exp]
        if extra:
            more = " ..." if len(extra) > 3 else ""
            raise CheckFailed(f"{where}: unexpected key(s) {extra[:3]!r}{more}")
        missing = [k for k in exp if k not in got]
        if missing:
            raise CheckFailed(
                f"{where}: {len(missing)} expected key(s) missing (it has {len(got)} keys, "
                f"expected {len(exp)})"
            )
        for key in exp:
            _equal(got[key], exp[key], what, f"{path}[{key!r}]", tol)
    elif isinstance(exp, (list, tuple)):
        expect_type(got, (list, tuple), where)
        if len(got) != len(exp):
            raise CheckFailed(f"{where}: expected {len(exp)} item(s), got {len(got)}")
        for i, (g, e) in enumerate(zip(got, exp, strict=True)):
            _equal(g, e, what, f"{path}[{i}]", tol)
    elif isinstance(exp, float):
        expect_type(got, (float, int), where)
        if math.isnan(got) or abs(got - exp) > tol:
            raise CheckFailed(
                f"{where}: the value {got!r} differs from the reference"
                + (f" by more than {tol:g}" if tol else "")
            )
    else:
        expect_type(got, type(exp), where)
        if got != exp:
            raise CheckFailed(f"{where}: the value {got!r} differs from the reference")
