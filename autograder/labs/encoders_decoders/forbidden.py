"""What this lab's graded functions must write themselves, by family: the library functions its behavioural
checks forbid (a hidden test names a family: ``student.call(..., forbid=("softmax",))``; see
runner/guards.py for how a guard bites)."""

from __future__ import annotations

import torch


def places() -> dict[str, list[tuple[object, str]]]:
    """family -> the (object, attribute) places of its functions, wrapped in the child before any cell."""
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
KERNELS = {"softmax": {"CPU": ("_softmax", "_log_softmax", "_masked_softmax", "_safe_softmax"),
                       "SparseCPU": ("_sparse_softmax", "_sparse_log_softmax"),
                       "MkldnnCPU": ("_softmax", "_log_softmax"), "QuantizedCPU": ("_softmax",)}}
# Families whose originals the grader never needs once a call forbids them (the models' own layers call
# softmax, so it stays).
WITHDRAWN = frozenset({"generate"})
