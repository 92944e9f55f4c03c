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
# # Encoders vs decoders, Part 4: A greedy GPT-2 loop by hand
#
# **What you will learn**
#
# - how a decoder writes text: predict one token, append it, predict again (*autoregressive* generation);
# - **greedy decoding**: always take the single most probable token;
# - how generation stops: the end-of-sequence token (`<|endoftext|>` for GPT-2) or a length limit;
# - that your loop gives exactly what `model.generate(..., do_sample=False)` gives, and (optionally) how a
#   key-value cache makes it faster.
#
# This part is worth **25 points**: `greedy_next_token` (5), `greedy_generate` (15), `decode_steps` (5). The
# graded functions must **not** call `model.generate`: the checks detect it.

# %% [markdown]
# ## Setup
#
# As before, the real GPT-2 by default, a tiny random stand-in with `MODELS = "offline"` (its "text"
# is then a random string of tokens, but the loop and the comparison with `generate` work the same).

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
import time

import torch

from autograder.labs.encoders_decoders.public import check
from autograder.models import load_pair

# The models MODELS chose in the cell above: "hub" (the real models, needs internet once) or "offline"
# (tiny stand-ins that share the real tokenizers).
gpt2_tokenizer, gpt2 = load_pair("decoder")

PROMPT = "Today I believe we can finally"

# %% [markdown]
# ## One token after another
#
# In Part 3, GPT-2's logits at the last position gave a distribution over the next token. To write a whole
# continuation, a decoder repeats one step:
#
# 1. run the model on all tokens so far: logits of shape `[1, T, V]`;
# 2. take the logits of the **last** position, `[V]`: the prediction for token `T + 1`;
# 3. choose a token; **greedy decoding** takes the most probable one, the `argmax` (softmax does not change
#    which entry is largest, so the logits suffice);
# 4. append it to the input and go back to 1.
#
# Greedy decoding is deterministic and simple, but it can be dull and repetitive; sampling (drawing a token
# at random according to the probabilities) is what chatbots usually do. An encoder cannot do this at all:
# it has no "next token" head, and every token sees the whole input, including the future.

# %% [markdown]
# ### Exercise 4.1: one greedy step (5 points)
#
# Write `greedy_next_token(model, input_ids)`: the id of the most probable next token after `input_ids`
# (shape `[1, T]`), as a Python `int`. Calling `model(input_ids)` is enough for a single unpadded text.


# %% nbgrader={"grade": false, "grade_id": "q4_greedy_next_token", "locked": false, "schema_version": 3, "solution": true, "task": false}
def greedy_next_token(model, input_ids: torch.Tensor) -> int:
    """One greedy decoding step: the argmax of the logits at the last position.

    Args:
        model: a Hugging Face causal language model.
        input_ids (torch.Tensor): token ids of shape [1, T].

    Returns:
        int: the id of the most probable next token.
    """
    # YOUR CODE HERE (~4 lines)
    raise NotImplementedError("greedy_next_token: replace this line with your code (see the docstring above)")


# %%
input_ids = gpt2_tokenizer(PROMPT, return_tensors="pt")["input_ids"]
next_id = greedy_next_token(gpt2, input_ids)
print(f"{PROMPT!r} -> {next_id} = {gpt2_tokenizer.decode([next_id])!r}")

# %% nbgrader={"grade": true, "grade_id": "q4_greedy_next_token_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(greedy_next_token)

# %% [markdown]
# ## When to stop
#
# A loop needs an end. There are two:
#
# - a length limit, `max_new_tokens`;
# - the **end-of-sequence** token. During training GPT-2 saw `<|endoftext|>` (id 50256,
#   `tokenizer.eos_token_id`) between documents, so predicting it means "this text is over". `generate`
#   appends it to the output and stops; your loop should do the same.
#
# ### Exercise 4.2: the greedy loop (15 points)
#
# Write `greedy_generate(model, tokenizer, prompt, max_new_tokens)`. Tokenize `prompt`, then repeat at most
# `max_new_tokens` times: forward pass, logits of the last position, argmax, append; stop right after
# appending the eos token. Return a tuple:
#
# - the list of **all** token ids, prompt included (as `generate` returns them);
# - the logits of each generated step, stacked into a tensor of shape `[steps, V]` (`steps` is the number of
#   generated tokens).
#
# Your ids must equal `model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)` exactly.


# %% nbgrader={"grade": false, "grade_id": "q4_greedy_generate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def greedy_generate(model, tokenizer, prompt: str, max_new_tokens: int) -> tuple[list[int], torch.Tensor]:
    """Greedy decoding with a hand-written loop (no `model.generate`).

    Args:
        model: a Hugging Face causal language model.
        tokenizer: its tokenizer (`tokenizer.eos_token_id` ends generation).
        prompt (str): the text to continue.
        max_new_tokens (int): the maximum number of tokens to generate (>= 1).

    Returns:
        tuple[list[int], torch.Tensor]: (all token ids, prompt first, then the generated ones, eos included
        if it was generated; the logits of each generation step, shape [steps, V]).
    """
    # YOUR CODE HERE (~12 lines)
    raise NotImplementedError("greedy_generate: replace this line with your code (see the docstring above)")


# %%
# 24 new tokens: 30 in total, as `generate(max_length=30)` would give.
ids, step_logits = greedy_generate(gpt2, gpt2_tokenizer, PROMPT, 24)
print(repr(gpt2_tokenizer.decode(ids)))
print("step logits:", tuple(step_logits.shape))

# %% [markdown]
# With the real GPT-2 this prints "Today I believe we can finally get to the point where we can make a
# difference in the lives of the people of the United States of America.\n": fluent, and a little generic,
# which is typical of greedy decoding. Now compare with the library. `generate` needs to be told which id to
# use for padding (GPT-2 has no pad token), and `output_scores=True` returns the logits of each step.

# %%
inputs = gpt2_tokenizer(PROMPT, return_tensors="pt")
with torch.no_grad():
    reference = gpt2.generate(
        **inputs,
        max_new_tokens=24,
        do_sample=False,
        output_scores=True,
        return_dict_in_generate=True,
        pad_token_id=gpt2_tokenizer.eos_token_id,
    )
print("same ids as generate:", reference.sequences[0].tolist() == ids)
difference = (torch.stack(reference.scores)[:, 0] - step_logits).abs().max().item()
print(f"largest logit difference: {difference:.1e}")

# %% [markdown]
# The ids are identical. The logits differ by a tiny amount (about 1e-6 to 1e-4): `generate` computes only
# the last position's logits, which changes the order of floating-point operations, not the result that
# matters.

# %% nbgrader={"grade": true, "grade_id": "q4_greedy_generate_check", "locked": true, "points": 15, "schema_version": 3, "solution": false, "task": false}
check(greedy_generate)

# %% [markdown]
# ### Exercise 4.3: the text of each step (5 points)
#
# Write `decode_steps(tokenizer, token_ids, prompt_length)`: the text of each **generated** token (those
# after the first `prompt_length` ids), in order, each decoded on its own with `tokenizer.decode([id])`. It
# shows what the model chose first, second, third, ...


# %% nbgrader={"grade": false, "grade_id": "q4_decode_steps", "locked": false, "schema_version": 3, "solution": true, "task": false}
def decode_steps(tokenizer, token_ids: list[int], prompt_length: int) -> list[str]:
    """The decoded text of each generated token.

    Args:
        tokenizer: the tokenizer of the model that generated `token_ids`.
        token_ids (list[int]): prompt ids followed by generated ids.
        prompt_length (int): how many of `token_ids` belong to the prompt.

    Returns:
        list[str]: one string per generated token, in order (empty if nothing was generated).
    """
    # YOUR CODE HERE (~1 line)
    raise NotImplementedError("decode_steps: replace this line with your code (see the docstring above)")


# %%
steps = decode_steps(gpt2_tokenizer, ids, len(inputs["input_ids"][0]))
for ordinal, text in zip(["first", "second", "third"], steps, strict=False):
    print(f"most probable {ordinal} token: {text!r}")
print(steps)

# %% nbgrader={"grade": true, "grade_id": "q4_decode_steps_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(decode_steps)

# %% [markdown]
# ## Optional (ungraded): a key-value cache
#
# Your loop runs the model on the *whole* sequence at every step, although only the last position is new:
# the work grows with the square of the length. In a decoder a token never looks at later tokens, so the
# keys and values that attention computed for earlier positions never change. A **KV cache** keeps them:
# after the first step, the model only needs the one new token and the cache.
#
# From transformers 5.24 (the version this lab pins) the model returns the cache as `outputs.cache` (when
# called with `use_cache=True`) and takes it back as `model(new_ids, cache=...)`. (Versions before 5.24,
# 4.x included, called both `past_key_values`.) Same ids, less work:


# %%
def greedy_generate_cached(model, tokenizer, prompt: str, max_new_tokens: int) -> list[int]:
    """Greedy decoding that feeds only the newest token, reusing the attention cache."""
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    ids, new_ids, cache = input_ids[0].tolist(), input_ids, None
    with torch.no_grad():
        for _ in range(max_new_tokens):
            outputs = model(new_ids, cache=cache, use_cache=True)  # only the new tokens go in
            cache = outputs.cache  # keys and values of every position so far
            next_id = int(outputs.logits[0, -1].argmax())
            ids.append(next_id)
            if next_id == tokenizer.eos_token_id:
                break
            new_ids = torch.tensor([[next_id]])
    return ids


start = time.perf_counter()
slow = greedy_generate(gpt2, gpt2_tokenizer, PROMPT, 24)[0]
middle = time.perf_counter()
fast = greedy_generate_cached(gpt2, gpt2_tokenizer, PROMPT, 24)
end = time.perf_counter()
print("same ids:", slow == fast)
print(f"without cache {middle - start:.3f} s, with cache {end - middle:.3f} s")

# %% [markdown]
# With the tiny offline model both are fast; with the real GPT-2 and longer outputs the cache wins clearly.
#
# ## Summary
#
# - A decoder generates by repeating one step: forward, last position, choose, append.
# - Greedy decoding chooses the argmax; generation stops at `max_new_tokens` or after the eos token.
# - `model.generate(do_sample=False)` is this loop (plus a cache and many options).
#
# In Part 5 you put the two kinds of models side by side in your own words.
