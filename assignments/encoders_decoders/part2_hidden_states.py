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
# # Encoders vs decoders, Part 2: Embeddings and hidden states
#
# **What you will learn**
#
# - how token ids become vectors: the input embedding matrix;
# - what a transformer does with those vectors, layer by layer, and how to get every intermediate result
#   (`output_hidden_states=True`);
# - why `hidden_states[0]` is *not* a row of the embedding matrix;
# - how to follow one token through the layers, take a sentence vector, and watch context pull the same word
#   ("bank") apart.
#
# This part is worth **25 points**: five functions, 5 points each. Every function must work for **any**
# encoder or decoder model (the hidden tests use more than one architecture), so use the generic interface:
# `model.get_input_embeddings()` and `output_hidden_states=True`, never attributes such as
# `model.distilbert` or `model.transformer.wte`.

# %% [markdown]
# ## Setup
#
# As in Part 1, `load_pair` gives the real models by default and tiny random stand-ins with
# `MODELS = "offline"` in the first code cell below. With the stand-ins the shapes are small (e.g. a hidden
# size of 32 rather than 768) and the numbers are meaningless, but everything you compute here works the
# same way.

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
import torch.nn.functional as F

from autograder.labs.encoders_decoders.public import check
from autograder.models import load_pair

# The models MODELS chose in the cell above: "hub" (the real models, needs internet once) or "offline"
# (tiny stand-ins that share the real tokenizers).
bert_tokenizer, classifier = load_pair("encoder")
gpt2_tokenizer, gpt2 = load_pair("decoder")

SENTENCE = "I believe that the EU is trustworthy."
PROMPT = "Today I believe we can finally"

# %% [markdown]
# ## From ids to vectors
#
# The first thing a transformer does is look up each id in its **input embedding matrix**, of shape
# `[V, H]`: one row of `H` numbers (768 for DistilBERT and GPT-2) per vocabulary entry. `model.
# get_input_embeddings()` returns that lookup table (an `nn.Embedding`) for any architecture.
#
# Models work on **batches**: the tokenizer with `return_tensors="pt"` gives `input_ids` of shape `[1, T]`
# (a batch of one text of `T` tokens), and every output has that leading batch dimension too. In this lab
# your functions take one text and return tensors **without** the batch dimension.

# %%
inputs = bert_tokenizer(SENTENCE, return_tensors="pt")
embeddings = classifier.get_input_embeddings()
print("input_ids:", tuple(inputs["input_ids"].shape), "  embedding matrix:", tuple(embeddings.weight.shape))
print("GPT-2 embedding matrix:", tuple(gpt2.get_input_embeddings().weight.shape))

# %% [markdown]
# ### Exercise 2.1: the input embedding of one token (5 points)
#
# Write `input_embedding(model, input_ids, position)`: the row of the input embedding matrix for the token at
# `position` of `input_ids` (shape `[1, T]`), before any layer. Return a tensor of shape `[H]` that does not
# require gradients (use `torch.no_grad()`).


# %% nbgrader={"grade": false, "grade_id": "q2_input_embedding", "locked": false, "schema_version": 3, "solution": true, "task": false}
def input_embedding(model, input_ids: torch.Tensor, position: int) -> torch.Tensor:
    """The raw input embedding (a row of the embedding matrix) of one token.

    Args:
        model: any Hugging Face transformer model.
        input_ids (torch.Tensor): token ids of shape [1, T].
        position (int): which token, 0 <= position < T (position 0 is [CLS] for BERT-style input).

    Returns:
        torch.Tensor: shape [H], the embedding matrix row of the token at `position`, without gradients.
    """
    # YOUR CODE HERE (~2 lines)
    raise NotImplementedError("input_embedding: replace this line with your code (see the docstring above)")


# %%
vector = input_embedding(classifier, inputs["input_ids"], 2)
token = bert_tokenizer.convert_ids_to_tokens(int(inputs["input_ids"][0, 2]))
print(f"input embedding of {token!r}:", tuple(vector.shape))
print(vector[:8])

# %% nbgrader={"grade": true, "grade_id": "q2_input_embedding_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(input_embedding)

# %% [markdown]
# ## Through the layers: hidden states
#
# An **encoder** such as DistilBERT then passes the vectors through `L` transformer layers (6 for
# DistilBERT, 12 for GPT-2). Each layer lets every token look at the others (attention) and updates its
# vector, so after a few layers the vector of "bank" depends on whether the sentence is about rivers or
# money: the vectors become **contextual**. A **decoder** such as GPT-2 does the same, except that each
# token may only look at the tokens *before* it.
#
# Calling the model with `output_hidden_states=True` returns all intermediate results in `outputs.
# hidden_states`, a tuple of `L + 1` tensors of shape `[1, T, H]`:
#
# - `hidden_states[0]` is the output of the **embedding block**. This is not the raw embedding row from
#   Exercise 2.1: the model adds a *position embedding* (so the model knows word order), and DistilBERT and
#   BERT also apply a LayerNorm (and dropout, which is off in eval mode). GPT-2's embedding output is word +
#   position embedding.
# - `hidden_states[i]` is the output of layer `i`, up to `hidden_states[L]`, the last layer.
#
# Run models under `torch.no_grad()` when you only need their outputs: no gradient bookkeeping, less
# memory, and results that are plain tensors. Models from `from_pretrained` are already in **eval mode**
# (dropout off); calling `model.eval()` again is harmless and makes your function safe in any case.

# %%
with torch.no_grad():
    outputs = classifier(**inputs, output_hidden_states=True)
print(len(outputs.hidden_states), "hidden states of shape", tuple(outputs.hidden_states[0].shape))
raw_row = input_embedding(classifier, inputs["input_ids"], 2)
print("hidden_states[0] == raw embedding row?", torch.allclose(outputs.hidden_states[0][0, 2], raw_row))

# %% [markdown]
# ### Exercise 2.2: the stack of hidden states (5 points)
#
# Write `hidden_state_stack(model, tokenizer, text)`: every hidden state of the model for `text`, the
# embedding output first, then one per layer, as **one** tensor of shape `[L+1, T, H]` (no batch dimension).
# `torch.stack` turns a tuple of equal-shaped tensors into one tensor with a new first dimension.


# %% nbgrader={"grade": false, "grade_id": "q2_hidden_state_stack", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hidden_state_stack(model, tokenizer, text: str) -> torch.Tensor:
    """All hidden states of `model` for `text`, stacked.

    Args:
        model: any Hugging Face transformer model (encoder or decoder).
        tokenizer: its tokenizer.
        text (str): one text (a batch of one).

    Returns:
        torch.Tensor: shape [L+1, T, H]; index 0 is the embedding output, index i the output of layer i.
        T counts the special tokens too. No gradients.
    """
    # YOUR CODE HERE (~5 lines)
    raise NotImplementedError("hidden_state_stack: replace this line with your code (see the docstring above)")


# %%
stack = hidden_state_stack(classifier, bert_tokenizer, SENTENCE)
print("encoder (L+1, T, H):", tuple(stack.shape))
print("decoder (L+1, T, H):", tuple(hidden_state_stack(gpt2, gpt2_tokenizer, PROMPT).shape))

# %% nbgrader={"grade": true, "grade_id": "q2_hidden_state_stack_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(hidden_state_stack)

# %% [markdown]
# ### Exercise 2.3: one token's trajectory (5 points)
#
# Write `token_trajectory(model, tokenizer, text, position)`: the representation of the token at `position`
# after the embeddings and after each layer, shape `[L+1, H]`. Positions index the full model input, special
# tokens included (for BERT, position 0 is `[CLS]`). You may reuse `hidden_state_stack`.


# %% nbgrader={"grade": false, "grade_id": "q2_token_trajectory", "locked": false, "schema_version": 3, "solution": true, "task": false}
def token_trajectory(model, tokenizer, text: str, position: int) -> torch.Tensor:
    """The vector of one token at every depth of the model.

    Args:
        model: any Hugging Face transformer model.
        tokenizer: its tokenizer.
        text (str): one text.
        position (int): index into the model input (special tokens included).

    Returns:
        torch.Tensor: shape [L+1, H]; row 0 is the embedding output, row i the output of layer i.
    """
    # YOUR CODE HERE (~1 line)
    raise NotImplementedError("token_trajectory: replace this line with your code (see the docstring above)")


# %%
tokens = bert_tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
trust = tokens.index("trust")
trajectory = token_trajectory(classifier, bert_tokenizer, SENTENCE, trust)
print(f"'trust' at position {trust}:", tuple(trajectory.shape))
# How much does each layer turn the vector? Cosine similarity with the previous depth (1 = unchanged).
print("similarity to the previous depth:", F.cosine_similarity(trajectory[1:], trajectory[:-1], dim=-1))

# %% nbgrader={"grade": true, "grade_id": "q2_token_trajectory_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(token_trajectory)

# %% [markdown]
# ### Exercise 2.4: a sentence vector (5 points)
#
# A classifier needs one vector per sentence. BERT-style encoders use the final-layer vector of the first
# token, `[CLS]`: it is not a word, so its vector is free to summarise the sentence, and fine-tuning on a
# task such as sentiment teaches it to. (DistilBERT's classification head reads exactly this vector.)
#
# Write `sentence_vector(model, tokenizer, text)`: the final-layer vector of the first token, shape `[H]`.
# For a decoder this is just the first token's vector, which has seen nothing but itself: a poor summary,
# which is why decoders are usually summarised by their *last* token instead.


# %% nbgrader={"grade": false, "grade_id": "q2_sentence_vector", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sentence_vector(model, tokenizer, text: str) -> torch.Tensor:
    """The final-layer vector of the first token ([CLS] for an encoder).

    Args:
        model: any Hugging Face transformer model.
        tokenizer: its tokenizer.
        text (str): one text.

    Returns:
        torch.Tensor: shape [H], the last hidden state at position 0.
    """
    # YOUR CODE HERE (~1 line)
    raise NotImplementedError("sentence_vector: replace this line with your code (see the docstring above)")


# %%
cls_vector = sentence_vector(classifier, bert_tokenizer, SENTENCE)
print("[CLS] vector:", tuple(cls_vector.shape), cls_vector[:6])

# %% nbgrader={"grade": true, "grade_id": "q2_sentence_vector_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(sentence_vector)

# %% [markdown]
# ### Exercise 2.5: context, layer by layer (5 points)
#
# The word "bank" has a single id, so its input embedding is the same in every sentence. Its hidden states
# are not. **Cosine similarity** measures how much two vectors point the same way (1: same direction, 0:
# unrelated); `torch.nn.functional.cosine_similarity(a, b, dim=-1)` computes it row by row.
#
# Write `layerwise_similarity(model, tokenizer, text_a, position_a, text_b, position_b)`: the cosine
# similarity, at each depth (embedding output, then each layer), between the token at `position_a` of
# `text_a` and the token at `position_b` of `text_b`. Shape `[L+1]`.


# %% nbgrader={"grade": false, "grade_id": "q2_layerwise_similarity", "locked": false, "schema_version": 3, "solution": true, "task": false}
def layerwise_similarity(
    model, tokenizer, text_a: str, position_a: int, text_b: str, position_b: int
) -> torch.Tensor:
    """Cosine similarity between two tokens (in two texts) at every depth of the model.

    Args:
        model: any Hugging Face transformer model.
        tokenizer: its tokenizer.
        text_a (str): the first text.
        position_a (int): the token's index in text_a's model input.
        text_b (str): the second text.
        position_b (int): the token's index in text_b's model input.

    Returns:
        torch.Tensor: shape [L+1]; entry i is the cosine similarity of the two tokens' vectors at depth i.
    """
    # YOUR CODE HERE (~3 lines)
    raise NotImplementedError("layerwise_similarity: replace this line with your code (see the docstring above)")


# %%
RIVER = "We sat on the bank of the river."
MONEY = "I deposited my money at the bank."
river_bank = bert_tokenizer.convert_ids_to_tokens(bert_tokenizer(RIVER)["input_ids"]).index("bank")
money_bank = bert_tokenizer.convert_ids_to_tokens(bert_tokenizer(MONEY)["input_ids"]).index("bank")
similarity = layerwise_similarity(classifier, bert_tokenizer, RIVER, river_bank, MONEY, money_bank)
for depth, value in enumerate(similarity.tolist()):
    print(f"{'embeddings' if depth == 0 else f'layer {depth}':>10}: {value:.3f}")

# %% [markdown]
# With the real DistilBERT, expect the similarity to start high (same word; only the position embedding
# differs) and to fall in the deeper layers as each "bank" absorbs its context. With the offline stand-ins
# the numbers are random. Try other pairs: is "bank" in two money sentences more similar than across senses?

# %% nbgrader={"grade": true, "grade_id": "q2_layerwise_similarity_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(layerwise_similarity)

# %% [markdown]
# ## Summary
#
# - The input embedding matrix `[V, H]` turns ids into vectors; `hidden_states[0]` adds position
#   information (and, for BERT-style models, a LayerNorm) on top.
# - Each layer makes the vectors more contextual; `output_hidden_states=True` gives all `L + 1` of them.
# - An encoder summarises a sentence in its `[CLS]` vector; Part 3 turns that vector into class
#   probabilities, and GPT-2's last vector into next-token probabilities.
