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
# === BEGIN MARK SCHEME ===
#
# Five marks: A, B, C (up to two) and precision, one each otherwise:
#
# - **A. The measurement, explained.** States the result (every DistilBERT distance above 0, `[CLS]`
#   included; every GPT-2 distance 0, up to rounding) and explains it with the attention mask: an encoder's
#   attention is bidirectional, so every token's vector depends on the whole input, later tokens
#   included; a decoder's is causal, so a token's vector depends only on itself and earlier tokens, and a
#   change after it cannot reach it. Saying that it does not depend on training (random stand-ins show it
#   too) is a plus, not required. A result stated without the mechanism earns nothing for A.
# - **B. The two outputs.** BERT produces one contextual vector per input token; a task head turns them
#   into the answer, e.g. a classifier on the final `[CLS]` vector gives logits over a fixed set of labels,
#   so softmax gives *probabilities of classes*, one distribution per input, in one forward pass. GPT
#   produces, at every position, logits over the whole vocabulary for the *next* token; softmax gives
#   *probabilities of next tokens*. (Do not accept "BERT has no vocabulary head": BERT's masked-language
#   model head predicts over the vocabulary too; the difference is which tokens each position sees.)
# - **C. From output to answer (up to two).** A decoder's answer is text built autoregressively: choose a
#   token (greedy argmax or sampling), append it, run the model again, until eos or a length limit; the
#   output length is open. An encoder classifier's answer is fixed in size and comes from a single pass
#   (argmax or the probabilities themselves). One mark for this.
#   Two marks when it also links to Part 2: because the earlier positions never change when a token is
#   appended, each step only adds one prediction (and a cache can keep the rest, Part 4's Exercise 4.4).
# - **Precision.** Uses shapes or facts from the lab correctly (`[1, 2]` vs `[1, T, V]`, 50,257 tokens,
#   `[CLS]`, eos, the measured distances).
#
# Full (5): A, B, both marks of C, and precision, correct and in the student's own words. Partial: one
# mark per item earned, e.g. "BERT classifies, GPT generates" with the outputs explained (B) and shapes
# right (precision) is 2; A and B with the decoding loop described but not linked to Part 2 is 3. Zero:
# missing, off-topic, or fundamentally wrong (e.g. BERT generates text word by word; both output the same
# thing; the decoder's prefix moved "because of training").
#
# Model answer: "When I changed 'wonderful' to 'dreadful', every shared DistilBERT token moved (distances
# around 1 on the stand-in, even for [CLS]) while every GPT-2 distance was 0.0000. DistilBERT's attention
# is bidirectional: each token's vector is computed from all tokens, so a change at the end reaches the
# start. GPT-2's attention is causal: a token only sees itself and earlier tokens, so its vector cannot
# depend on what comes later. An encoder like BERT thus reads the whole sentence at once and outputs one
# contextual vector per token. It does not continue text: a small head is put on top for a task. Our sentiment classifier reads the `[CLS]` vector and outputs two logits, so softmax gives
# probabilities of classes, e.g. 99.9% POSITIVE, one answer per sentence after one forward pass. A decoder
# like GPT-2 only lets each token look at earlier tokens and outputs, at every position, logits over the
# 50,257 vocabulary entries for the next token: probabilities of next tokens. One pass gives one token; to
# produce text we pick a token (greedy argmax), append it and run the model again until eos or a limit.
# Because of the causal mask, appending a token leaves every earlier position as it was, which is what my
# Part 2 measurement showed, so each step just adds one prediction and a cache can keep the rest."
#
# === END MARK SCHEME ===

# %% [markdown]
# YOUR ANSWER HERE

# %% [markdown] nbgrader={"grade": false, "grade_id": "r2", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": true}
# ### R2 (5 points): which one when?
#
# Give advantages and disadvantages of the two approaches (encoders vs decoders), and for each, an example
# of a task where it is the better choice, with a reason.
#
# === BEGIN MARK SCHEME ===
#
# One mark each, up to 5: an advantage of encoders; a disadvantage of encoders; an advantage of decoders; a
# disadvantage of decoders; two suitable example tasks with a reason (both needed for the mark).
#
# - Encoder advantages: bidirectional context gives strong representations for understanding a given text;
#   one forward pass per input (fast, cheap, small models such as DistilBERT); a fixed label set gives a
#   well-defined, easily evaluated output; good sentence/token embeddings for search and clustering.
# - Encoder disadvantages: no trained way to continue a text, so no free text generation (its
#   masked-token head fills in blanks between given words); needs a task-specific head and usually
#   labelled data for fine-tuning; limited to the labels it was trained on. Do not accept a length limit
#   ("only 512 tokens") as an encoder disadvantage: every model has a fixed number of positions (GPT-2:
#   1,024); it is a property of a model, not of encoders.
# - Decoder advantages: generate text of any length; one model can do many tasks from a prompt (zero- or
#   few-shot), no task head needed; open-ended answers (summaries, dialogue, code).
# - Decoder disadvantages: sees only the left context when encoding; generation is sequential, one forward
#   pass per token (slow, costly, needs caching); outputs can be wrong but fluent (hallucination), are
#   harder to constrain and evaluate; greedy decoding can be repetitive; useful models tend to be large.
# - Example tasks: encoder for sentiment or spam classification, named-entity recognition, extractive
#   question answering, semantic search (a label or a span of the input; fast and cheap at scale). Decoder
#   for dialogue, story or code completion, open-ended question answering (the answer is new text).
#   Summarisation and translation also produce new text: the classic models for them are
#   **encoder-decoder** models (T5, BART, Marian: an encoder reads the source, a decoder writes the output),
#   and decoder-only models do them too from a prompt. Accept either with that reason; do not accept "an
#   encoder alone" for them.
#
# Full (5): all five marks, correct and specific. Partial: one mark per correct item; vague items
# ("encoders are better", "GPT is smarter") earn nothing. Zero: missing or no correct item.
#
# Model answer: "Encoders see the whole input in both directions and answer in one pass, so they are fast
# and accurate for understanding tasks, but they cannot write text and need a head and labelled data per
# task. Decoders can produce any text and follow prompts for many tasks without retraining, but they see
# only the left context, need one forward pass per generated token, and can produce fluent nonsense. I
# would use an encoder to flag toxic comments on a large forum (a fixed label, millions of inputs, cheap),
# and a decoder to summarise support tickets (the answer is new text)."
#
# === END MARK SCHEME ===

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
