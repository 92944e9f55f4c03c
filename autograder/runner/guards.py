"""Behavioural checks inside the child: library functions a graded function must not call.

Guards are installed once, before any student cell runs, so a student who saved `torch.softmax` under another
name at the top of the notebook still holds the guarded version. A guard only bites while a graded call that
forbids it is running; outside such calls (demo cells, model internals) the functions work as usual. For
softmax, the ATen kernels themselves are replaced for the duration of the call, however they are reached.
`generate` is withdrawn for good at the first call that forbids it: its guards drop their originals, so no
wrapper holds one any more (the cells, where the demos use it, have all run by then).
Each violation is reported to the grader the moment it happens, so code that catches the exception, or
resets this module, cannot take it back.
"""

from __future__ import annotations

import contextlib
import functools
import warnings

import torch


class ForbiddenCall(Exception):
    """A graded function used what its exercise asks students to write themselves."""


def _targets() -> dict[str, list[tuple[object, str]]]:
    import transformers.generation.utils as generation

    softmax_homes = [torch, torch.nn.functional, torch.Tensor, torch.special, torch._C._VariableFunctions]
    softmax = [(home, name) for home in softmax_homes for name in ("softmax", "log_softmax")
               if hasattr(home, name)]
    softmax += [(torch.nn.Softmax, "forward"), (torch.nn.LogSoftmax, "forward")]
    # generate and the internals every decoding strategy goes through: an unguarded copy of generate
    # still trips these.
    generate = [(generation.GenerationMixin, name) for name in
                ("generate", "_prepare_generation_config", "_get_logits_processor", "_sample", "_beam_search",
                 "_assisted_decoding") if hasattr(generation.GenerationMixin, name)]
    return {"softmax": softmax, "generate": generate}


# The ATen softmax kernels, by the dispatch key of the tensors they run on: whatever Python path, alias,
# dispatch mode, inference mode or thread reaches them, a forbidding call finds its own kernel there.
_SOFTMAX_KERNELS = {"CPU": ("_softmax", "_log_softmax", "_masked_softmax", "_safe_softmax"),
                    "SparseCPU": ("_sparse_softmax", "_sparse_log_softmax"),
                    "MkldnnCPU": ("_softmax", "_log_softmax"), "QuantizedCPU": ("_softmax",)}
_active: set[str] = set()
# Families whose originals the grader never needs once a call forbids them (the models' own layers call
# softmax, so it stays), and each family's holders of originals, emptied then.
_WITHDRAWN = {"generate"}
_holders: dict[str, list[list]] = {}
_report = None  # where a violation is told the moment it happens (the grader's socket; see `forbidding`)


def install() -> None:
    """Wrap every forbidden function in place (idempotent per process)."""
    for family, places in _targets().items():
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
def _softmax_kernels_forbidden():
    """Replace the softmax kernels with one that reports and raises, for this block only."""
    library = torch.library.Library("aten", "IMPL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "overriding a previously registered kernel": that is the point
        for key, names in _SOFTMAX_KERNELS.items():
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
    """Make the given families ("softmax", "generate") raise ForbiddenCall inside this block, after telling
    `report(label)` (which must not raise) what was used. A withdrawn family ("generate") stays unavailable
    in this process after the block."""
    global _report
    _report = report
    _active.update(families)
    for family in _WITHDRAWN.intersection(families):
        for holder in _holders.get(family, ()):
            holder.clear()
    try:
        with _softmax_kernels_forbidden() if "softmax" in families else contextlib.nullcontext():
            yield
    finally:
        _active.difference_update(families)
        _report = None
