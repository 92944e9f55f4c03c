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
#   ("bank") apart;
# - **the** difference between an encoder and a decoder, measured by you: change the end of a text and see
#   whether the vectors of its beginning move.
#
# This part is worth **25 points**: Exercises 2.1 to 2.5, 4 points each, and Exercise 2.6, 5 points. Every
# function must work for **any**
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
# ### Exercise 2.1: the input embedding of one token (4 points)
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
    ### BEGIN SOLUTION
    with torch.no_grad():
        return model.get_input_embeddings()(input_ids)[0, position]
    ### END SOLUTION


# %%
vector = input_embedding(classifier, inputs["input_ids"], 2)
token = bert_tokenizer.convert_ids_to_tokens(int(inputs["input_ids"][0, 2]))
print(f"input embedding of {token!r}:", tuple(vector.shape))
print(vector[:8])

# %% nbgrader={"grade": true, "grade_id": "q2_input_embedding_check", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check(input_embedding)

# %% [markdown]
# A word's vector is a row of this matrix, and nothing more: GPT-2's `"Love"` (id 18565, from Part 1) is the
# row 18565 of its embedding matrix. Words the model saw in similar places during training end up with
# similar rows, which is all a "word vector" is. (With the offline stand-ins the rows are random numbers.)

# %%
love_ids = gpt2_tokenizer("Love love", return_tensors="pt")["input_ids"]  # [Love, Ġlove]
love, space_love = input_embedding(gpt2, love_ids, 0), input_embedding(gpt2, love_ids, 1)
print("ids:", love_ids[0].tolist(), " vector of 'Love':", tuple(love.shape), love[:5])
print("cosine similarity of 'Love' and ' love':", round(F.cosine_similarity(love, space_love, dim=0).item(), 3))

# %% [markdown]
# ## Through the layers: hidden states
#
# An **encoder** such as DistilBERT then passes the vectors through `L` transformer layers (6 for
# DistilBERT, 12 for GPT-2). Each layer lets every token look at the others (attention) and updates its
# vector, so after a few layers the vector of "bank" depends on whether the sentence is about rivers or
# money: the vectors become **contextual**. A **decoder** such as GPT-2 does the same, except that each
# token may only look at the tokens *before* it (Exercise 2.6 lets you see the difference).
#
# Printing a model shows its modules. For DistilBERT: `embeddings` (the word embedding matrix, a position
# embedding matrix, a LayerNorm and dropout); `transformer.layer`, the `L` transformer blocks, each an
# attention sub-layer (`q_lin`, `k_lin`, `v_lin`: the queries, keys and values; `out_lin`) and a
# feed-forward network (`ffn`: `lin1`, `lin2`), each followed by a LayerNorm; then the classification head
# (`pre_classifier`, `classifier`), which reads the `[CLS]` vector. The real model prints the same tree with
# `dim=768`, `(0-5): 6 x TransformerBlock`, and `out_features=2` in its `classifier`; the stand-in has
# `dim=32` and 2 blocks.

# %%
print(classifier)

# %% [markdown]
#
# Calling the model with `output_hidden_states=True` returns all intermediate results in `outputs.
# hidden_states`, a tuple of `L + 1` tensors of shape `[1, T, H]`:
#
# - `hidden_states[0]` is the output of the **embedding block**. This is not the raw embedding row from
#   Exercise 2.1: the model adds a *position embedding* (so the model knows word order). BERT also adds a
#   *segment* (token type) embedding, which tells the first sentence of a pair (`token_type_ids` 0) from the
#   second (1); DistilBERT has none. BERT and DistilBERT then apply a LayerNorm (and dropout, which is off in
#   eval mode). GPT-2's embedding output is word + position embedding; a Llama-style model adds no position
#   embedding at all (it rotates queries and keys inside attention instead), so its `hidden_states[0]` *is*
#   the embedding row.
# - `hidden_states[i]`, for `1 <= i < L`, is the output of layer `i`. The last entry, `hidden_states[L]`,
#   depends on the architecture: for BERT and DistilBERT it is the output of layer `L`; GPT-2 (`ln_f`) and
#   Llama (`norm`) apply a final LayerNorm after their last layer, and `hidden_states[L]` is taken **after**
#   it (as of transformers 5.24: you check it after Exercise 2.2).
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
# ### Exercise 2.2: the stack of hidden states (4 points)
#
# Write `hidden_state_stack(model, tokenizer, text)`: every hidden state of the model for `text`, the
# embedding output first, then one per layer, as **one** tensor of shape `[L+1, T, H]` (no batch dimension).
# PyTorch can join a sequence of equal-shaped tensors into one tensor with a new first dimension (see
# "Joining" in the `torch` documentation); then remember the batch dimension.


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
    ### BEGIN SOLUTION
    model.eval()
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**inputs, output_hidden_states=True)
    return torch.stack(outputs.hidden_states)[:, 0]  # [L+1, 1, T, H] -> [L+1, T, H]
    ### END SOLUTION


# %%
stack = hidden_state_stack(classifier, bert_tokenizer, SENTENCE)
print("encoder (L+1, T, H):", tuple(stack.shape))
print("decoder (L+1, T, H):", tuple(hidden_state_stack(gpt2, gpt2_tokenizer, PROMPT).shape))

# %% nbgrader={"grade": true, "grade_id": "q2_hidden_state_stack_check", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check(hidden_state_stack)

# %% [markdown]
# Now check what the last entry is for GPT-2. A *forward hook* records what a module receives and returns
# while the model runs; hook GPT-2's final LayerNorm and compare both with the last entry of your stack.

# %%
body = gpt2.get_decoder()  # the transformer without its language-model head
final_norm = body.ln_f if hasattr(body, "ln_f") else body.norm  # GPT-2 calls it ln_f, Llama-style models norm
seen = {}
hook = final_norm.register_forward_hook(lambda module, args, output: seen.update(before=args[0], after=output))
try:
    last = hidden_state_stack(gpt2, gpt2_tokenizer, PROMPT)[-1]  # [T, H]
finally:
    hook.remove()  # the hook would otherwise record every later forward pass too
print("GPT-2: hidden_states[L] == the last layer's output?", torch.allclose(last, seen["before"][0]))
print("GPT-2: hidden_states[L] == ln_f(the last layer's output)?", torch.allclose(last, seen["after"][0]))

# %% [markdown]
# ### Exercise 2.3: one token's trajectory (4 points)
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
    ### BEGIN SOLUTION
    return hidden_state_stack(model, tokenizer, text)[:, position]
    ### END SOLUTION


# %%
tokens = bert_tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
trust = tokens.index("trust")
trajectory = token_trajectory(classifier, bert_tokenizer, SENTENCE, trust)
print(f"'trust' at position {trust}:", tuple(trajectory.shape))
# How much does each layer turn the vector? Cosine similarity with the previous depth (1 = unchanged).
print("similarity to the previous depth:", F.cosine_similarity(trajectory[1:], trajectory[:-1], dim=-1))

# %% nbgrader={"grade": true, "grade_id": "q2_token_trajectory_check", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check(token_trajectory)

# %% [markdown]
# ### Exercise 2.4: a sentence vector (4 points)
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
    ### BEGIN SOLUTION
    return hidden_state_stack(model, tokenizer, text)[-1, 0]
    ### END SOLUTION


# %%
cls_vector = sentence_vector(classifier, bert_tokenizer, SENTENCE)
print("[CLS] vector:", tuple(cls_vector.shape), cls_vector[:6])

# %% nbgrader={"grade": true, "grade_id": "q2_sentence_vector_check", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check(sentence_vector)

# %% [markdown]
# ### Exercise 2.5: context, layer by layer (4 points)
#
# The word "bank" has a single id, so its input embedding is the same in every sentence. Its hidden states
# are not. **Cosine similarity** measures how much two vectors point the same way (1: same direction, 0:
# unrelated): the dot product of the two vectors divided by the product of their lengths. The demo of
# Exercise 2.3 computed it for many pairs of rows at once; here the rows are depths.
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
    ### BEGIN SOLUTION
    a = token_trajectory(model, tokenizer, text_a, position_a)  # [L+1, H]
    b = token_trajectory(model, tokenizer, text_b, position_b)  # [L+1, H]
    return F.cosine_similarity(a, b, dim=-1)
    ### END SOLUTION


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

# %% nbgrader={"grade": true, "grade_id": "q2_layerwise_similarity_check", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
check(layerwise_similarity)

# %% [markdown]
# ## Who sees what: an encoder's and a decoder's attention
#
# Both kinds of model compute one vector per token, layer after layer. What differs is the **attention
# mask**, which says which tokens each token may look at:
#
# - an **encoder** (BERT, DistilBERT) is *bidirectional*: every token attends to every token of the input,
#   before and after it;
# - a **decoder** (GPT-2, Llama) is *causal*: each token attends only to itself and the tokens before it.
#
# You do not need to open the model to see this. Take two texts that start the same way and differ later,
# and look at the final vectors of the tokens they share at the start. If a token can see the later words,
# its vector changes when they change; if it cannot, it stays exactly the same.
#
# ### Exercise 2.6: does the start of a text notice a change at its end? (5 points)
#
# Write `prefix_shift(model, tokenizer, text_a, text_b)`:
#
# 1. Find `P`, the number of positions at the **start** of the two model inputs (the ids the tokenizer
#    gives for each text, special tokens included) that hold the same id: compare them position by
#    position, up to the first difference.
# 2. For each of these `P` positions, compute how far apart the two texts' **final-layer** vectors are: the
#    Euclidean length of their difference.
#
# Return a tensor of shape `[P]`. Your earlier functions will help. Before you run the demo, predict: for
# which of the two models do you expect zeros?


# %% nbgrader={"grade": false, "grade_id": "q2_prefix_shift", "locked": false, "schema_version": 3, "solution": true, "task": false}
def prefix_shift(model, tokenizer, text_a: str, text_b: str) -> torch.Tensor:
    """How much each position of the shared start of two texts changes its final vector between them.

    Args:
        model: any Hugging Face transformer model (encoder or decoder).
        tokenizer: its tokenizer.
        text_a (str): one text.
        text_b (str): a text that starts like text_a and differs later.

    Returns:
        torch.Tensor: shape [P], P = how many leading ids the two model inputs share (special tokens
        included). Entry p is the Euclidean distance between the last hidden states of text_a and text_b
        at position p.
    """
    ### BEGIN SOLUTION
    ids_a, ids_b = tokenizer(text_a)["input_ids"], tokenizer(text_b)["input_ids"]
    shared = 0
    while shared < min(len(ids_a), len(ids_b)) and ids_a[shared] == ids_b[shared]:
        shared += 1
    last_a = hidden_state_stack(model, tokenizer, text_a)[-1, :shared]  # [P, H]
    last_b = hidden_state_stack(model, tokenizer, text_b)[-1, :shared]  # [P, H]
    return (last_a - last_b).norm(dim=-1)
    ### END SOLUTION


# %%
GOOD_FILM, BAD_FILM = "The film was wonderful.", "The film was dreadful."
for name, tok, mdl in [("DistilBERT (encoder)", bert_tokenizer, classifier), ("GPT-2 (decoder)", gpt2_tokenizer, gpt2)]:
    shift = prefix_shift(mdl, tok, GOOD_FILM, BAD_FILM)
    shared = tok.convert_ids_to_tokens(tok(GOOD_FILM)["input_ids"][: len(shift)])
    print(name, "- how far each shared token's final vector moved:")
    for token, distance in zip(shared, shift.tolist(), strict=True):
        print(f"  {token!r:>10}: {distance:.4f}")

# %% [markdown]
# Every shared DistilBERT token moved, `[CLS]` included: each of them attends to "wonderful" or "dreadful".
# Every GPT-2 value is 0 (at most a rounding error, below 1e-4): no token can attend to a later one, so
# the start of a text is computed exactly as if the rest did not exist. This follows from the attention
# masks, not from training, so the real models print the same pattern (with other non-zero values for
# DistilBERT). It is why a decoder can write text one token at a time (Part 4: appending a token changes
# nothing before it, and a cache can keep what was computed), and why an encoder's vectors are a better
# reading of a whole given text.

# %% nbgrader={"grade": true, "grade_id": "q2_prefix_shift_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(prefix_shift)

# %% [markdown]
# ## Summary
#
# - The input embedding matrix `[V, H]` turns ids into vectors; `hidden_states[0]` adds position
#   information (and, for BERT-style models, segment embeddings and a LayerNorm) on top.
# - Each layer makes the vectors more contextual; `output_hidden_states=True` gives all `L + 1` of them.
# - An encoder's tokens see the whole input, a decoder's only what comes before them: change the end of a
#   text and an encoder's whole output moves, a decoder's beginning does not.
# - An encoder summarises a sentence in its `[CLS]` vector; Part 3 turns that vector into class
#   probabilities, and GPT-2's last vector into next-token probabilities.
