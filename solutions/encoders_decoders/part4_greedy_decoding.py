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
# - that your loop gives exactly what `model.generate(..., do_sample=False)` gives, and (in an optional
#   exercise) how a key-value cache makes it faster.
#
# This part is worth **25 points**: `greedy_next_token` (5), `greedy_generate` (15), `decode_steps` (5). The
# graded functions must **not** call `model.generate`: the checks detect it. Exercise 4.4 (a key-value cache)
# is optional and earns no points.

# %% [markdown]
# ## Setup
#
# As before, the real GPT-2 by default, a tiny random stand-in with `MODELS = "offline"` (its "text"
# is then a random string of tokens, but the loop and the comparison with `generate` work the same).

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
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
# at random according to the probabilities) is what chatbots usually do.
#
# Why a decoder and not BERT? Not for want of a vocabulary head: BERT's pre-training head (masked language
# modelling, `BertForMaskedLM`) also outputs logits over its whole vocabulary, at every position. The
# difference is the attention mask you measured in Part 2 (Exercise 2.6). BERT was trained to fill in a
# masked token *seeing the words on both sides*, so it has no trained way to say what comes after the end
# of a text. GPT-2's causal mask means the logits at position `t` depend only on tokens `0..t`: exactly the
# question "what comes next?", and appending the answer leaves every earlier prediction unchanged.

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
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        logits = model(input_ids).logits  # [1, T, V]
    return int(logits[0, -1].argmax())
    ### END SOLUTION


# %%
input_ids = gpt2_tokenizer(PROMPT, return_tensors="pt")["input_ids"]
next_id = greedy_next_token(gpt2, input_ids)
print(f"{PROMPT!r} -> {next_id} = {gpt2_tokenizer.decode([next_id])!r}")  # real GPT-2: 651 = ' get'

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
    ### BEGIN SOLUTION
    model.eval()
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]  # [1, T]
    step_logits = []
    with torch.no_grad():
        for _ in range(max_new_tokens):
            # forward the whole sequence so far and keep the last position's logits: [V]
            logits = model(input_ids).logits[0, -1]
            step_logits.append(logits)
            # greedy: pick the single most probable token
            next_id = int(logits.argmax())
            # append it to the sequence: [1, T] -> [1, T + 1]
            input_ids = torch.cat([input_ids, torch.tensor([[next_id]])], dim=1)
            # stop once the model has said the text is over (eos stays in the output)
            if next_id == tokenizer.eos_token_id:
                break
    return input_ids[0].tolist(), torch.stack(step_logits)
    ### END SOLUTION


# %%
NEW_TOKENS = 7
ids, step_logits = greedy_generate(gpt2, gpt2_tokenizer, PROMPT, NEW_TOKENS)
print(repr(gpt2_tokenizer.decode(ids)))
print("step logits:", tuple(step_logits.shape))

# %% [markdown]
# With the real GPT-2 this prints "Today I believe we can finally get to the point where we can", and with
# 24 new tokens it goes on: "... make a difference in the lives of the people of the United States of
# America.\n". Fluent, and a little generic, which is typical of greedy decoding. (The offline stand-in
# prints a random string of tokens.)
#
# Now compare with the library. `do_sample=False` asks for greedy decoding, `output_scores=True` with
# `return_dict_in_generate=True` returns the logits of each step. GPT-2 has no padding token; for a single
# unpadded prompt that does not matter: in transformers 5.24 `generate` then pads with the eos id by itself,
# silently, and warns only for a batch of several prompts (older versions printed "Setting
# `pad_token_id` to `eos_token_id`" every time, which is why many tutorials pass `pad_token_id`).

# %%
inputs = gpt2_tokenizer(PROMPT, return_tensors="pt")
with torch.no_grad():
    reference = gpt2.generate(
        **inputs,
        max_new_tokens=NEW_TOKENS,
        do_sample=False,
        output_scores=True,
        return_dict_in_generate=True,
    )
print("same ids as generate:", reference.sequences[0].tolist() == ids)
difference = (torch.stack(reference.scores)[:, 0] - step_logits).abs().max().item()
print(f"largest logit difference: {difference:.1e}")

# %% [markdown]
# The ids are identical. The logits differ by a tiny amount (on the offline stand-ins about 5e-6): from its
# second step `generate` uses a **key-value cache** (Exercise 4.4) and feeds the model only the newest
# token, so each attention sum is computed from other matrix shapes, in another order, and rounds
# differently. A loop with a cache comes within about 1e-6 of `generate`; computing only the last
# position's logits (`logits_to_keep=1`) changes nothing. Which token is largest does not change.

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
    ### BEGIN SOLUTION
    return [tokenizer.decode([token_id]) for token_id in token_ids[prompt_length:]]
    ### END SOLUTION


# %%
steps = decode_steps(gpt2_tokenizer, ids, len(inputs["input_ids"][0]))
for ordinal, text in zip(["first", "second", "third"], steps, strict=False):
    print(f"most probable {ordinal} token: {text!r}")
print(steps)  # real GPT-2: [' get', ' to', ' the', ' point', ' where', ' we', ' can']

# %% nbgrader={"grade": true, "grade_id": "q4_decode_steps_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(decode_steps)

# %% [markdown]
# ## Exercise 4.4 (optional, no points): a key-value cache
#
# Your loop runs the model on the *whole* sequence at every step, although only the last position is new:
# the work grows with the square of the length. In a decoder a token never looks at later tokens, so the
# keys and values that attention computed for earlier positions never change (you measured the same fact
# in Part 2: a decoder's prefix does not move). A **KV cache** keeps them: after the first step, the model
# only needs the one new token and the cache.
#
# The interface, as of transformers 5.24 (the version this lab pins): call the model with `use_cache=True`
# and it returns the cache as `outputs.cache`; pass it back with `model(new_ids, cache=...)`. Before 5.24
# (4.x included) both were called `past_key_values`; 5.24 still accepts that name, with a deprecation
# warning, until 5.40.
#
# Write `greedy_generate_cached(model, tokenizer, prompt, max_new_tokens)`: the same ids as your
# `greedy_generate`, but after the first step feed the model only the token you just chose, together with
# the cache of the previous step. The check below compares it with **your** `greedy_generate` and times
# both. Think about what goes in at the first step, and what must be updated after each step.


# %% nbgrader={"grade": false, "grade_id": "optional_greedy_generate_cached", "locked": false, "schema_version": 3, "solution": true, "task": false}
def greedy_generate_cached(model, tokenizer, prompt: str, max_new_tokens: int) -> list[int]:
    """Greedy decoding that feeds only the newest token, reusing the attention cache.

    Args:
        model: a Hugging Face causal language model.
        tokenizer: its tokenizer (`tokenizer.eos_token_id` ends generation).
        prompt (str): the text to continue.
        max_new_tokens (int): the maximum number of tokens to generate (>= 1).

    Returns:
        list[int]: all token ids, prompt first, then the generated ones (eos included if generated): the
        same list as `greedy_generate(...)[0]`.
    """
    ### BEGIN SOLUTION
    prompt_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]  # [1, T]
    ids, new_ids, cache = prompt_ids[0].tolist(), prompt_ids, None
    with torch.no_grad():
        for _ in range(max_new_tokens):
            step = model(new_ids, cache=cache, use_cache=True)  # the prompt first, then one token: [1, 1]
            cache = step.cache  # keys and values of every position so far
            chosen = int(step.logits[0, -1].argmax())
            ids.append(chosen)
            if chosen == tokenizer.eos_token_id:
                break
            new_ids = torch.tensor([[chosen]])
    return ids
    ### END SOLUTION


# %%
check(greedy_generate_cached, greedy_generate)

# %% [markdown]
# With the tiny offline model both loops are fast and the cache saves little; with the real GPT-2 (12 layers
# of width 768) and longer outputs the cache wins clearly, and more the longer the text.
#
# ## Summary
#
# - A decoder generates by repeating one step: forward, last position, choose, append.
# - Greedy decoding chooses the argmax; generation stops at `max_new_tokens` or after the eos token.
# - `model.generate(do_sample=False)` is this loop, plus a key-value cache and many options.
#
# In Part 5 you put the two kinds of models side by side in your own words.
