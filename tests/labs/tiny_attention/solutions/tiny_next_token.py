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
# # Tiny attention, part 2: the next token
#
# Write `next_token_id(model, tokenizer, text)`: the id of the decoder's most likely next token after
# `text`, as a Python int. Worth **4 points**.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch
from autograder.labs.tiny_attention.public import check

from autograder.models import load_pair

tokenizer, model = load_pair("decoder")

# %% nbgrader={"grade": false, "grade_id": "q2_next_token_id", "locked": false, "schema_version": 3, "solution": true, "task": false}
def next_token_id(model, tokenizer, text: str) -> int:
    """The id of the most likely token after `text`.

    Args:
        model: a causal language model.
        tokenizer: its tokenizer.
        text (str): the prompt.

    Returns:
        int: a token id.
    """
    ### BEGIN SOLUTION
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits
    return int(logits[0, -1].argmax())
    ### END SOLUTION


# %%
print(tokenizer.decode([next_token_id(model, tokenizer, "Hello")]))

# %% nbgrader={"grade": true, "grade_id": "q2_next_token_id_check", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check(next_token_id)
