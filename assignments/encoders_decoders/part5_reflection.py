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
# # Encoders vs decoders, Part 5: Reflection
#
# **What you will learn**
#
# - to explain, in your own words, how the outputs of an encoder such as BERT differ from those of a decoder
#   such as GPT;
# - to weigh the two approaches against each other and pick the right one for a task.
#
# This part is worth **10 points**, graded by hand: two short answers (R1 and R2), 5 points each. There is
# no code to write. A few sentences per answer are enough; precise beats long.

# %% [markdown]
# ## Setup and a last side-by-side look
#
# The cells below feed one sentence to both models. (With `MODELS = "offline"` the models are random
# stand-ins, so the predictions are nonsense; the shapes are the point.)

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

from autograder.models import load_pair

# The models MODELS chose in the cell above: "hub" (the real models, needs internet once) or "offline"
# (tiny stand-ins that share the real tokenizers).
bert_tokenizer, classifier = load_pair("encoder")
gpt2_tokenizer, gpt2 = load_pair("decoder")

SENTENCE = "I believe that the EU is trustworthy."

# %%
with torch.no_grad():
    class_logits = classifier(**bert_tokenizer(SENTENCE, return_tensors="pt")).logits
    gpt2_inputs = gpt2_tokenizer(SENTENCE, return_tensors="pt")
    token_logits = gpt2(**gpt2_inputs).logits

print("Encoder (DistilBERT classifier)")
print(
    "  logits:",
    tuple(class_logits.shape),
    "-> one answer for the whole sentence:",
    classifier.config.id2label[int(class_logits[0].argmax())],
)
print()
print("Decoder (GPT-2)")
print("  logits:", tuple(token_logits.shape), "-> at every position, a guess at the NEXT token:")
tokens = gpt2_tokenizer.convert_ids_to_tokens(gpt2_inputs["input_ids"][0])
guesses = gpt2_tokenizer.convert_ids_to_tokens(token_logits[0].argmax(dim=-1))
for position, (token, guess) in enumerate(zip(tokens, guesses, strict=True)):
    actual = tokens[position + 1] if position + 1 < len(tokens) else "(end of input)"
    print(f"  after {token!r:>16}: guesses {guess!r:>14}, actually {actual!r}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "r1", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": true}
# ### R1 (5 points): your measurement, and what the two kinds of models output
#
# In Part 2 (Exercise 2.6) you changed the end of a text and measured how far the final vectors of its
# shared beginning moved, for DistilBERT and for GPT-2. State what you found (the numbers your notebook
# printed for each model) and **explain** it: what in each model makes its result what it is?
#
# Then describe, in your own words, how the **outputs** of models like BERT and models like GPT differ:
# what comes out of each, what it means, and what you have to do to turn it into an answer. Refer to what
# you computed in Parts 3 and 4, and say how your Part 2 result explains why GPT can generate text one
# token at a time.
#

# %% [markdown]
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "r2", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": true}
# ### R2 (5 points): which one when?
#
# Give advantages and disadvantages of the two approaches (encoders vs decoders), and for each, an example
# of a task where it is the better choice, with a reason.
#

# %% [markdown]
# YOUR ANSWER HERE

# %% [markdown]
# ## Recap (read it after answering)
#
# | | encoder (BERT, DistilBERT) | decoder (GPT-2) |
# |---|---|---|
# | attention | every token sees the whole input | every token sees only itself and the tokens before it |
# | your Part 2 measurement | the shared start moves when the end changes | the shared start stays exactly the same |
# | output of the network | one contextual vector per token | one contextual vector per token |
# | head in this lab | classifier on `[CLS]`: logits `[1, num_labels]` | next-token head: logits `[1, T, V]` |
# | softmax gives | probabilities of classes | probabilities of next tokens |
# | to get an answer | one forward pass | one forward pass per generated token |
#
# ## Beyond this lab: larger models
#
# DistilBERT (66M parameters) and GPT-2 (124M) are small by today's standards. Everything you did works
# unchanged on larger models of the same kinds (a larger GPT-2, a Llama-style decoder, BERT-large): the
# same `load_pair`-style loading by name, the same tokenizers' conventions, `output_hidden_states`, logits,
# softmax and your greedy loop, and the same attention masks. Larger models write far more fluent text and
# classify more reliably, at the cost of memory and time: every generated token is one forward pass
# through all of their layers, which is why the key-value cache of Exercise 4.4 matters more as models
# grow.
