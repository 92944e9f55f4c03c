# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Tiny attention, part 1: attention weights
#
# Write `attention_weights(queries, keys)`: the softmax of `queries @ keys.T / sqrt(d)` along the keys,
# computed by hand (no `torch.softmax`). Worth **6 points**.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import torch
from autograder.labs.tiny_attention.public import check


# %% nbgrader={"grade": false, "grade_id": "q1_attention_weights", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention_weights(queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product attention weights.

    Args:
        queries (torch.Tensor): shape (Q, d).
        keys (torch.Tensor): shape (K, d).

    Returns:
        torch.Tensor: shape (Q, K); each row is non-negative and sums to 1.
    """
    ### BEGIN SOLUTION
    scores = queries @ keys.T / math.sqrt(queries.shape[-1])
    exps = torch.exp(scores - scores.amax(dim=-1, keepdim=True))
    return exps / exps.sum(dim=-1, keepdim=True)
    ### END SOLUTION


# %%
print(attention_weights(torch.eye(2), torch.eye(2)))

# %% nbgrader={"grade": true, "grade_id": "q1_attention_weights_check", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
check(attention_weights)
