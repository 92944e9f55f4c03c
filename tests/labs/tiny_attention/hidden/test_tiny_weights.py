"""Hidden tests of part 1: attention weights, written by hand."""

import math

import torch

from autograder.errors import CheckFailed
from autograder.grading.suite import points


def _pair(queries: int, keys: int, width: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    seeded = torch.Generator().manual_seed(seed)
    return 3 * torch.randn(queries, width, generator=seeded), 3 * torch.randn(keys, width, generator=seeded)


def _expect_weights(student, queries: torch.Tensor, keys: torch.Tensor) -> None:
    got = student.call("attention_weights", queries, keys, forbid=("softmax",))
    what = f"attention_weights(<queries {tuple(queries.shape)}>, <keys {tuple(keys.shape)}>)"
    expected = torch.softmax(queries @ keys.T / math.sqrt(queries.shape[-1]), dim=-1)
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        raise CheckFailed(f"{what} should be a tensor of shape {tuple(expected.shape)}")
    if not torch.allclose(got, expected, atol=1e-5):
        raise CheckFailed(f"{what}: the weights are not softmax(queries @ keys.T / sqrt(d)) along the keys")


@points(4)
def test_attention_weights_match_scaled_softmax(student):
    """attention_weights is the softmax of the scaled scores, along the keys"""
    _expect_weights(student, *_pair(3, 7, 8, seed=1))


@points(2)
def test_attention_weights_one_query(student):
    """attention_weights works for a single query and wide vectors"""
    _expect_weights(student, *_pair(1, 4, 64, seed=2))
