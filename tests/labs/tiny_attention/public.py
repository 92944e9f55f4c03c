"""Public checks of the tiny lab: `check(fn)` tries a few cheap properties; the hidden tests try more."""

import torch

from autograder import check_record
from autograder.errors import CheckFailed
from autograder.models import load_pair


def check(fn) -> None:
    """Run the public checks of `fn`; raise CheckFailed on the first failure."""
    name = getattr(fn, "__name__", repr(fn))
    if name not in CHECKS:
        raise CheckFailed(f"there are no public checks for {name!r}; pass one of: {', '.join(CHECKS)}")
    CHECKS[name](fn)
    check_record.passed(name, f"✓ {name}: public checks passed.")


def _attention_weights(fn) -> None:
    seeded = torch.Generator().manual_seed(0)
    queries, keys = torch.randn(3, 4, generator=seeded), torch.randn(5, 4, generator=seeded)
    weights = fn(queries, keys)
    if not isinstance(weights, torch.Tensor) or tuple(weights.shape) != (3, 5):
        raise CheckFailed("attention_weights(queries, keys) should return a tensor of shape (3, 5) here")
    if not torch.allclose(weights.sum(dim=-1), torch.ones(3), atol=1e-5):
        raise CheckFailed("each row of attention_weights(queries, keys) should sum to 1")


def _next_token_id(fn) -> None:
    tokenizer, model = load_pair("decoder")
    token = fn(model, tokenizer, "Hello")
    if type(token) is not int or not 0 <= token < model.config.vocab_size:
        raise CheckFailed("next_token_id(model, tokenizer, text) should return one token id, as an int")


CHECKS = {"attention_weights": _attention_weights, "next_token_id": _next_token_id}
