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
# # Encoders vs decoders, Part 3: From logits to probabilities
#
# **What you will learn**
#
# - what **logits** are: the raw scores a model outputs;
# - how **softmax** turns scores into probabilities, and how to compute it without overflowing;
# - the key difference between the two models' outputs: an encoder classifier gives **probabilities of
#   classes** (here 2: NEGATIVE, POSITIVE), a decoder gives **probabilities of next tokens** (50,257 of
#   them, at every position).
#
# This part is worth **20 points**: `softmax` (8), `classify` (6) and `top_k_next_tokens` (6).

# %% [markdown]
# ## Setup
#
# As before, the real models by default, tiny random stand-ins with `MODELS = "offline"` (their
# probabilities are then close to uniform nonsense; the code is the same).

# %% cellView="form" tags=["lab-runtime"]
# @title Setup: the lab's runtime and your models { display-mode: "form" }
# Run this cell first ("Run all" does). MODELS chooses the models the notebook loads: "hub", the real models
# from the Hugging Face Hub (downloaded once, about 800 MB), or "offline", tiny stand-ins that share the real
# tokenizers (no download; their predictions are nonsense). To switch, change it and run all the cells again.
MODELS = "hub"  # @param ["hub", "offline"]

# Where the lab's runtime (its `autograder` package: model loading and the public checks) comes from when
# this notebook runs on its own, as on Colab; your course sets it. Where the runtime is installed already,
# this cell installs nothing.
RUNTIME = ""

import importlib
import importlib.util
import subprocess
import sys


class LabSetupError(Exception):
    """Shown as one line saying what to do: IPython prints `_render_traceback_` instead of a traceback."""

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {self}"]


def _lab_runtime_installed():
    try:
        return importlib.util.find_spec("autograder.labs.encoders_decoders") is not None
    except ImportError:
        return False


def _install_lab_runtime(address):
    if not address:
        raise LabSetupError("this notebook needs the lab's runtime: run it in the lab's repository folder "
                            "(see its README), or set RUNTIME in this cell to the address your course gives")
    if address.startswith("/content/drive/"):  # a copy on Google Drive: Colab mounts Drive there
        from google.colab import drive

        drive.mount("/content/drive")
    print(f"Installing the lab's runtime from {address} (once per session) ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-input", "--no-color",
                          "--disable-pip-version-check", address],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if pip.returncode:
        said = [line for line in pip.stderr.splitlines() if line.strip()] or ["pip failed"]
        reason = next((line for line in said if line.startswith("ERROR:")), said[-1])
        raise LabSetupError(f"could not install the lab's runtime from {address} ({reason}); check the "
                            "address and your connection, then run this cell again")
    importlib.invalidate_caches()


if not _lab_runtime_installed():
    _install_lab_runtime(RUNTIME)

from autograder.models import choose

choose(MODELS)

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import torch

from autograder.labs.encoders_decoders.public import check
from autograder.models import load_pair

# The models MODELS chose in the cell above: "hub" (the real models, needs internet once) or "offline"
# (tiny stand-ins that share the real tokenizers).
bert_tokenizer, classifier = load_pair("encoder")
gpt2_tokenizer, gpt2 = load_pair("decoder")

SENTENCE = "I believe that the EU is trustworthy."
NEGATIVE_SENTENCE = "This movie was a waste of time."
PROMPT = "Today I believe we can finally"

# %% [markdown]
# ## Logits
#
# Both models end with a linear layer that produces one score per possible answer. These raw scores are
# called **logits**. They can be any real numbers, and only their *differences* matter: a higher logit means
# a more likely answer.
#
# - The sentiment classifier reads the final `[CLS]` vector and outputs `[1, 2]` logits: one score per
#   class, `model.config.id2label` says which (0: NEGATIVE, 1: POSITIVE).
# - GPT-2 outputs `[1, T, V]` logits: at **every** position, one score for each of the `V = 50257`
#   vocabulary entries, predicting the token that comes *next*.

# %%
with torch.no_grad():
    class_logits = classifier(**bert_tokenizer(SENTENCE, return_tensors="pt")).logits
    token_logits = gpt2(**gpt2_tokenizer(PROMPT, return_tensors="pt")).logits
print("classifier logits:", tuple(class_logits.shape), class_logits, classifier.config.id2label)
print("GPT-2 logits:", tuple(token_logits.shape))

# %% [markdown]
# ## Softmax
#
# **Softmax** turns a vector of logits $z_1, \dots, z_n$ into probabilities:
#
# $$\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}$$
#
# Exponentiating makes every score positive (and exaggerates differences); dividing by the sum makes them
# add up to 1. With the real classifier's logits for `SENTENCE`, about `[-3.51, 3.68]`, that gives about
# `[0.001, 0.999]`: 99.9% POSITIVE.
#
# **Numerical stability.** `exp(1000)` is `inf` in floating point, and `inf / inf` is `NaN`, so the formula
# as written breaks for large logits. The fix uses a property of softmax: adding the same constant to every
# logit changes nothing ($e^{z_i - c} / \sum_j e^{z_j - c}$, the $e^{-c}$ cancels). Subtract the **maximum**
# first: the largest logit becomes 0, every `exp` is at most 1, and the sum is at least 1.


# %%
def naive_softmax(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(x) / torch.exp(x).sum()


z = torch.tensor([2.0, 1.0, 0.1])
print("naive:        ", naive_softmax(z), naive_softmax(z + 1000))

# %% [markdown]
# ### Exercise 3.1: softmax by hand (8 points)
#
# Write `softmax(logits, dim=-1)`: the softmax of `logits` along dimension `dim`, for a tensor of any shape.
# Compute it yourself with `torch.exp` and a sum: **do not** call `torch.softmax`,
# `torch.nn.functional.softmax`, `Tensor.softmax` or any log-softmax variant (the checks detect them). It
# must be numerically stable: correct for `logits + 1000` and for very negative logits, with no NaN or inf.
# Use `keepdim=True` in reductions so that shapes broadcast.


# %% nbgrader={"grade": false, "grade_id": "q3_softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along one dimension, computed by hand.

    Args:
        logits (torch.Tensor): scores of any shape.
        dim (int): the dimension to normalise over (default: the last).

    Returns:
        torch.Tensor: same shape as `logits`; non-negative, and summing to 1 along `dim`.
    """
    # YOUR CODE HERE (~3 lines)
    raise NotImplementedError("softmax: replace this line with your code (see the docstring above)")


# %%
print("yours:        ", softmax(z), softmax(z + 1000))
print("two rows:     ", softmax(torch.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])))
print("sum per row:  ", softmax(torch.randn(3, 5)).sum(dim=-1))

# %% nbgrader={"grade": true, "grade_id": "q3_softmax_check", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
check(softmax)

# %% [markdown]
# ## Probabilities of classes
#
# The sentiment classifier's softmax is over its **labels**: two numbers that answer "is this sentence
# negative or positive?". The whole sentence gets one answer.
#
# ### Exercise 3.2: classify a sentence (6 points)
#
# Write `classify(model, tokenizer, text)`: a dict from label name (from `model.config.id2label`) to its
# probability **in percent, rounded to one decimal** (`round(x, 1)`, as Python floats). Use **your**
# `softmax`. With the real model, `classify(classifier, bert_tokenizer, SENTENCE)` gives
# `{'NEGATIVE': 0.1, 'POSITIVE': 99.9}`.


# %% nbgrader={"grade": false, "grade_id": "q3_classify", "locked": false, "schema_version": 3, "solution": true, "task": false}
def classify(model, tokenizer, text: str) -> dict[str, float]:
    """Class probabilities, in percent, of a sequence classifier for one text.

    Args:
        model: a Hugging Face sequence classification model (logits of shape [1, num_labels]).
        tokenizer: its tokenizer.
        text (str): the text to classify.

    Returns:
        dict[str, float]: label name (model.config.id2label) -> probability in percent, rounded to one
        decimal.
    """
    # YOUR CODE HERE (~6 lines)
    raise NotImplementedError("classify: replace this line with your code (see the docstring above)")


# %%
print(SENTENCE, "->", classify(classifier, bert_tokenizer, SENTENCE))
print(NEGATIVE_SENTENCE, "->", classify(classifier, bert_tokenizer, NEGATIVE_SENTENCE))

# %% nbgrader={"grade": true, "grade_id": "q3_classify_check", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
check(classify)

# %% [markdown]
# Transformers wraps these steps (tokenize, forward pass, softmax, labels) in a **pipeline**. Cross-check
# your `classify` with it: the pipeline gives fractions, sorted by score, where yours gives percentages in
# label order, but the numbers must agree. With the real model the pipeline says POSITIVE with a score of
# about 0.999 for `SENTENCE`, as your 99.9% does.

# %%
from transformers import pipeline

sentiment = pipeline("text-classification", model=classifier, tokenizer=bert_tokenizer, top_k=None)
for text in (SENTENCE, NEGATIVE_SENTENCE):
    scores = sentiment([text])[0]  # one list of {label, score} per text
    by_pipeline = {entry["label"]: round(100 * entry["score"], 1) for entry in scores}
    print(f"{text!r}: pipeline {by_pipeline}, yours {classify(classifier, bert_tokenizer, text)}")

# %% [markdown]
# ## Probabilities of next tokens
#
# GPT-2's softmax is over the **vocabulary**: 50,257 numbers that answer "which token comes next?". It gives
# such a distribution at every position (position `t` predicts token `t + 1`); to continue a prompt we need
# only the **last** position, `logits[0, -1]`. How is the probability spread over 50,257 tokens: on a
# handful, or thinly over all? You will measure it after the exercise.
#
# ### Exercise 3.3: the most likely next tokens (6 points)
#
# Write `top_k_next_tokens(model, tokenizer, prompt, k)`: the `k` most probable next tokens after `prompt`,
# as `(token text, probability)` pairs, most probable first. The token text is `tokenizer.decode([id])`
# (so `" get"` with its space, not `"Ġget"`); the probability is a float between 0 and 1 from your `softmax`.
# PyTorch has a function that returns the `k` largest entries of a tensor together with their positions.


# %% nbgrader={"grade": false, "grade_id": "q3_top_k_next_tokens", "locked": false, "schema_version": 3, "solution": true, "task": false}
def top_k_next_tokens(model, tokenizer, prompt: str, k: int) -> list[tuple[str, float]]:
    """The k most probable next tokens after `prompt` for a causal language model.

    Args:
        model: a Hugging Face causal LM (logits of shape [1, T, V]).
        tokenizer: its tokenizer.
        prompt (str): the text to continue.
        k (int): how many tokens to return.

    Returns:
        list[tuple[str, float]]: k pairs (decoded token, probability in [0, 1]), most probable first.
    """
    # YOUR CODE HERE (~7 lines)
    raise NotImplementedError("top_k_next_tokens: replace this line with your code (see the docstring above)")


# %%
print(f"After {PROMPT!r}:")
for token, probability in top_k_next_tokens(gpt2, gpt2_tokenizer, PROMPT, 5):
    print(f"  {token!r:>14}  {100 * probability:5.2f}%")

# %% nbgrader={"grade": true, "grade_id": "q3_top_k_next_tokens_check", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
check(top_k_next_tokens)

# %% [markdown]
# How much of the probability do the most likely tokens hold? The share of the top 10 tokens, and of the
# top 100, out of 50,257. A uniform distribution would give 10 / 50,257 = 0.02%. The offline stand-in,
# with random weights, is not far from uniform; a trained model concentrates its probability on the few
# continuations that make sense, so run this cell with the real GPT-2 to see how far (and try another
# prompt: "The capital of France is" leaves fewer sensible continuations than this one).

# %%
top_100 = top_k_next_tokens(gpt2, gpt2_tokenizer, PROMPT, 100)
print(f"top 10 tokens: {100 * sum(p for _, p in top_100[:10]):.1f}% of the probability")
print(f"top 100 tokens: {100 * sum(p for _, p in top_100):.1f}%")

# %% [markdown]
# ## Summary
#
# | | encoder classifier (DistilBERT) | decoder (GPT-2) |
# |---|---|---|
# | logits | `[1, num_labels]`, one row per text | `[1, T, V]`, one row per position |
# | softmax over | the labels (2) | the vocabulary (50,257) |
# | answers | "which class is this text?" | "which token comes next?" |
#
# A probability of a class is a final answer about the whole input. A probability of a next token is one
# step of a longer process: in Part 4 we pick a token, append it, and ask again.
