"""Behavioural checks inside the child: library functions a graded function must not call.

Guards are installed once, before any student cell runs, so a student who saved `torch.softmax` under another
name at the top of the notebook still holds the guarded version. A guard only bites while a graded call that
forbids it is running; outside such calls (demo cells, model internals) the functions work as usual. Which
functions, by family, is the lab's policy (`Lab.forbidden`, a module of the lab): a family's ATen kernels
can be replaced for the duration of the call, however they are reached, and a family can be withdrawn for
good at the first call that forbids it: its guards drop their originals, so no wrapper holds one any more
(the cells, where demos may use it, have all run by then).
Each violation is reported to the grader the moment it happens, so code that catches the exception, or
resets this module, cannot take it back.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import warnings

import torch


class ForbiddenCall(Exception):
    """A graded function used what its exercise asks students to write themselves."""


_active: set[str] = set()
# The lab's kernels and withdrawn families, copied at `install`: a cell that edits the lab's module later
# changes nothing here.
_kernels: dict[str, dict[str, tuple[str, ...]]] = {}
_withdrawn: frozenset[str] = frozenset()
# Each family's holders of originals, emptied when a call forbids a withdrawn family.
_holders: dict[str, list[list]] = {}
_report = None  # where a violation is told the moment it happens (the grader's socket; see `forbidding`)


def install(policy: str) -> None:
    """Wrap every function of the families that the module `policy` lists in place (idempotent per process).
    `policy` defines ``places()`` (family -> (object, attribute) places), ``KERNELS`` (family -> dispatch
    key -> ATen operators replaced while the family is forbidden) and ``WITHDRAWN`` (families unavailable
    for good once a call forbids them). An empty name guards nothing."""
    global _withdrawn
    if not policy:
        return
    module = importlib.import_module(policy)
    _kernels.update({family: {key: tuple(names) for key, names in by_key.items()}
                     for family, by_key in getattr(module, "KERNELS", {}).items()})
    _withdrawn = frozenset(getattr(module, "WITHDRAWN", ()))
    for family, places in module.places().items():
        for home, name in places:
            original = getattr(home, name)
            if getattr(original, "__autograder_guard__", False):
                continue
            with contextlib.suppress(AttributeError, TypeError):
                setattr(home, name, _guard(family, f"{_qualname(home)}.{name}", original))


def _qualname(home) -> str:
    return getattr(home, "__name__", type(home).__name__)


def _violation(label: str):
    """Tell the grader, then raise: the report is already sent when the student's code could catch the
    exception or reset this module's state."""
    if _report is not None:
        _report(label)
    raise ForbiddenCall(f"{label} is not allowed here")


def _guard(family: str, label: str, original):
    holder = [original]  # emptied by `_withdraw`: then nothing here leads to the original
    _holders.setdefault(family, []).append(holder)

    def guarded(*args, **kwargs):
        if family in _active or not holder:
            _violation(label)
        return holder[0](*args, **kwargs)

    # Name and docstring for the student's help(), but no __wrapped__ pointing at the unguarded original.
    guarded.__name__, guarded.__qualname__ = label.rsplit(".", 1)[-1], label
    guarded.__doc__ = original.__doc__
    guarded.__autograder_guard__ = True
    return guarded


@contextlib.contextmanager
def _kernels_forbidden(kernels: dict[str, tuple[str, ...]]):
    """Replace the ATen kernels (dispatch key -> operators) with one that reports and raises, for this block
    only."""
    library = torch.library.Library("aten", "IMPL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "overriding a previously registered kernel": that is the point
        for key, names in kernels.items():
            for name in names:
                library.impl(name, functools.partial(_kernel_called, name), key)
    try:
        yield
    finally:
        library._destroy()


def _kernel_called(name: str, *args, **kwargs):
    _violation(f"the ATen kernel aten::{name}")


@contextlib.contextmanager
def forbidding(families: list[str], report=None):
    """Make the given families raise ForbiddenCall inside this block, after telling `report(label)` (which
    must not raise) what was used. A withdrawn family stays unavailable in this process after the block."""
    global _report
    _report = report
    _active.update(families)
    for family in _withdrawn.intersection(families):
        for holder in _holders.get(family, ()):
            holder.clear()
    kernels: dict[str, tuple[str, ...]] = {}
    for family in families:
        for key, names in _kernels.get(family, {}).items():
            kernels[key] = (*kernels.get(key, ()), *names)
    try:
        with _kernels_forbidden(kernels) if kernels else contextlib.nullcontext():
            yield
    finally:
        _active.difference_update(families)
        _report = None
