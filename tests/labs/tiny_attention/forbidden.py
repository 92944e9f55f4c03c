"""What the tiny lab's graded functions must write themselves: softmax (see runner/guards.py)."""

import torch


def places() -> dict[str, list[tuple[object, str]]]:
    """family -> the (object, attribute) places of its functions."""
    homes = [torch, torch.nn.functional, torch.Tensor, torch.special]
    return {"softmax": [(home, "softmax") for home in homes if hasattr(home, "softmax")]}


KERNELS = {"softmax": {"CPU": ("_softmax", "_safe_softmax")}}
WITHDRAWN = frozenset()
