"""Behavioural checks inside the child: library functions a graded function must not call.

Guards are installed once, before any student cell runs, so a student who saved `torch.softmax` under another
name at the top of the notebook still holds the guarded version. A guard only bites while a graded call that
forbids it is running; outside such calls (demo cells, model internals) the functions work as usual. For
softmax a dispatch-level mode also catches the ATen kernels themselves, however they were reached.
"""

from __future__ import annotations

import contextlib

import torch
from torch.utils._python_dispatch import TorchDispatchMode


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


_SOFTMAX_OPS = {"_softmax", "softmax", "_log_softmax", "log_softmax", "_safe_softmax"}
_active: set[str] = set()
violations: list[str] = []  # what was caught during the current call, even if the student swallowed it


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


def _guard(family: str, label: str, original):
    def guarded(*args, **kwargs):
        if family in _active:
            violations.append(label)
            raise ForbiddenCall(f"{label} is not allowed here")
        return original(*args, **kwargs)

    # Name and docstring for the student's help(), but no __wrapped__ pointing at the unguarded original.
    guarded.__name__, guarded.__qualname__ = label.rsplit(".", 1)[-1], label
    guarded.__doc__ = original.__doc__
    guarded.__autograder_guard__ = True
    return guarded


class _SoftmaxKernelSpy(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func._schema.name.split("::")[-1] in _SOFTMAX_OPS:
            violations.append(f"the ATen kernel {func._schema.name}")
            raise ForbiddenCall("a built-in softmax kernel is not allowed here")
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def forbidding(families: list[str]):
    """Make the given families ("softmax", "generate") raise ForbiddenCall inside this block."""
    violations.clear()
    _active.update(families)
    try:
        with _SoftmaxKernelSpy() if "softmax" in families else contextlib.nullcontext():
            yield
    finally:
        _active.difference_update(families)
