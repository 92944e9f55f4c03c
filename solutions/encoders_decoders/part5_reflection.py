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

# %% [markdown]
# ## Recap
#
# | | encoder (BERT, DistilBERT) | decoder (GPT-2) |
# |---|---|---|
# | attention | every token sees the whole input | every token sees only the tokens before it |
# | output of the network | one contextual vector per token | one contextual vector per token |
# | head in this lab | classifier on `[CLS]`: logits `[1, num_labels]` | next-token head: logits `[1, T, V]` |
# | softmax gives | probabilities of classes | probabilities of next tokens |
# | to get an answer | one forward pass | one forward pass per generated token |

# %% [markdown] nbgrader={"grade": false, "grade_id": "r1", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": true}
# ### R1 (5 points): what do the two kinds of models output?
#
# In your own words, describe the main differences between models like BERT and models like GPT **with
# regard to their outputs**: what comes out of each, what it means, and what you have to do to turn it into
# an answer. Refer to what you computed in Parts 2 to 4.
#
# === BEGIN MARK SCHEME ===
#
# Look for three ideas (one mark each for A and B, up to two for C, one for precision/use of the lab):
#
# - **A. Encoder output.** BERT produces one contextual vector per input token, computed with
#   bidirectional attention (each token sees the whole input, left and right). A task head turns them into
#   the answer; for classification a head on the final `[CLS]` vector gives logits over a fixed set of
#   labels, so softmax gives *probabilities of classes*, one distribution per input, in one forward pass.
# - **B. Decoder output.** GPT produces, at every position, logits over the whole vocabulary for the
#   *next* token, computed with causal (left-to-right) attention; softmax gives *probabilities of next
#   tokens*.
# - **C. From output to answer.** A decoder's answer is text built autoregressively: choose a token
#   (greedy argmax or sampling), append it, run the model again, until eos or a length limit; the output
#   length is open. An encoder classifier's answer is fixed in size and comes from a single pass (argmax or
#   the probabilities themselves).
# - **Precision.** Uses shapes or facts from the lab correctly (`[1, 2]` vs `[1, T, V]`, 50,257 tokens,
#   `[CLS]`, eos).
#
# Full (5): A, B and C, correct, in the student's own words. Partial (2-4): the distinction stated with
# some correct mechanism, e.g. "BERT classifies, GPT generates" plus one of A/B explained (2); A and B
# without C, or with a small error such as saying GPT only outputs the last position (3-4). Zero: missing,
# off-topic, or fundamentally wrong (e.g. BERT generates text word by word; both output the same thing).
#
# Model answer: "An encoder like BERT reads the whole sentence at once, every token attending to every
# other, and outputs one contextual vector per token. It does not predict text: a small head is put on top
# for a task. Our sentiment classifier reads the `[CLS]` vector and outputs two logits, so softmax gives
# probabilities of classes, e.g. 99.9% POSITIVE, one answer per sentence after one forward pass. A decoder
# like GPT-2 only lets each token look at earlier tokens and outputs, at every position, logits over the
# 50,257 vocabulary entries for the next token: probabilities of next tokens. One pass gives one token; to
# produce text we pick a token (greedy argmax), append it and run the model again until eos or a limit."
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
# - Encoder disadvantages: cannot generate free text; needs a task-specific head and usually labelled data
#   for fine-tuning; limited to the labels it was trained on; input length limit (512 tokens for BERT).
# - Decoder advantages: generate text of any length; one model can do many tasks from a prompt (zero- or
#   few-shot), no task head needed; open-ended answers (summaries, dialogue, code).
# - Decoder disadvantages: sees only the left context when encoding; generation is sequential, one forward
#   pass per token (slow, costly, needs caching); outputs can be wrong but fluent (hallucination), are
#   harder to constrain and evaluate; greedy decoding can be repetitive; useful models tend to be large.
# - Example tasks: encoder for sentiment or spam classification, named-entity recognition, extractive
#   question answering, semantic search (a label or a span of the input; fast and cheap at scale). Decoder
#   for summarisation, translation, dialogue, story or code completion (the answer is new text).
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
