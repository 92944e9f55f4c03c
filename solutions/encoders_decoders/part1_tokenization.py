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
# # Encoders vs decoders, Part 1: Tokenization
#
# **What you will learn**
#
# - what a *token* is, and why models read sub-words rather than whole words or single characters;
# - how BERT's WordPiece tokenizer and GPT-2's byte-level BPE tokenizer split the same text differently
#   (`##` continuation pieces vs the `Ġ` space marker);
# - what the special tokens `[CLS]` and `[SEP]` are for, and that GPT-2 adds none;
# - how to read a tokenizer's vocabulary: its size, and looking a token up (`"Love"` → 18565).
#
# This part is worth **20 points**: four functions, 5 points each. After each exercise there is a demo cell
# and a one-line public check, `check(...)`. Passing it is a good sign but not a guarantee: the hidden tests
# try other texts and both tokenizers.

# %% [markdown]
# ## Setup
#
# The lab uses two models from the Hugging Face Hub:
#
# - an **encoder**, `distilbert-base-uncased-finetuned-sst-2-english`: DistilBERT fine-tuned to classify the
#   sentiment of a sentence (NEGATIVE / POSITIVE). It uses the uncased WordPiece tokenizer of BERT;
# - a **decoder**, `gpt2`: a language model that predicts the next token. It uses byte-level BPE.
#
# `load_pair(role)` returns a `(tokenizer, model)` pair for a role, from the models that `MODELS` in the first
# code cell below chooses (that cell also installs the lab's runtime where it is missing, on Colab for
# instance). With `MODELS = "hub"`, the default, it downloads the real models (once, then they are cached).
# Without internet, set `MODELS = "offline"`: you then get tiny stand-in models that share the **real**
# tokenizers but have random weights, so their predictions are nonsense while tokenization and tensor shapes
# are real. Part 1 only needs the tokenizers, which are identical in both cases.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from autograder.labs.encoders_decoders.public import check
from autograder.models import load_pair

# The models MODELS chose in the cell above: "hub" (the real models, needs internet once) or "offline"
# (tiny stand-ins that share the real tokenizers).
bert_tokenizer, classifier = load_pair("encoder")
gpt2_tokenizer, gpt2 = load_pair("decoder")

SENTENCE = "I believe that the EU is trustworthy."
PROMPT = "Today I believe we can finally"

# %% [markdown]
# ## What is a token?
#
# A neural network works on numbers, not on text. A **tokenizer** cuts a text into pieces called *tokens*
# and maps each one to an integer, its **id** in a fixed vocabulary. The model never sees letters: it sees
# a list of ids.
#
# Which pieces? Whole words would need an enormous vocabulary and would still miss new words
# ("trustworthiness", a typo, a name). Single characters would make every text very long and leave the
# model to learn spelling from scratch. Modern tokenizers take the middle road: **sub-words**. Frequent
# words get a token of their own; rare words are built from a few frequent pieces. The vocabulary is
# learned from a corpus before the model is trained, and then never changes.
#
# Let us look at the two tokenizers of this lab.

# %%
print("BERT vocabulary size:", len(bert_tokenizer))
print("GPT-2 vocabulary size:", len(gpt2_tokenizer))
print()
print("BERT: ", bert_tokenizer.tokenize(SENTENCE))
print("GPT-2:", gpt2_tokenizer.tokenize(SENTENCE))

# %% [markdown]
# Two different conventions for the same sentence:
#
# - **WordPiece** (BERT, 30,522 tokens) lowercases the text (this is the *uncased* model), splits it into
#   words and punctuation, and splits a rare word into pieces. A piece that *continues* a word starts with
#   `##`: "trustworthy" becomes `trust` + `##worthy`. Spaces are not tokens: they only separate words.
# - **Byte-level BPE** (GPT-2, 50,257 tokens) keeps case and works on the bytes of the text, so every
#   possible string can be encoded and there is never an unknown token. Spaces are part of the tokens: the
#   `Ġ` you see is how GPT-2's vocabulary displays a leading space, so `Ġbelieve` is " believe" with its
#   space. A word at the very start of a text has no space, hence `I` but `Ġbelieve`.
#
# The leading space matters. In running text almost every word comes after a space, so BPE learned the
# spaced forms as whole tokens: in `SENTENCE`, " trustworthy" is **one** token, `Ġtrustworthy`. The same
# word without its space, at the start of a text or tokenized on its own, is a rarer string, and GPT-2
# splits it: `trust` + `worthy`. One word can thus have several spellings in token ids.
#
# A token is a vocabulary entry; `tokenizer.decode` turns ids back into ordinary text.

# %%
print(bert_tokenizer.tokenize("darwinism"), gpt2_tokenizer.tokenize("darwinism"))
print(gpt2_tokenizer.tokenize("trustworthy"), gpt2_tokenizer.tokenize(" trustworthy"))
print(gpt2_tokenizer.tokenize("Love love"), "->", gpt2_tokenizer.convert_tokens_to_ids(["Love", "Ġlove"]))
print(repr(gpt2_tokenizer.decode(gpt2_tokenizer("Love love")["input_ids"])))

# %% [markdown]
# ## The model input: ids and special tokens
#
# Calling the tokenizer on a text gives the model's input: `input_ids` (and an `attention_mask` that says
# which positions are real tokens rather than padding). BERT-style tokenizers add **special tokens**:
#
# - `[CLS]` (id 101) at the start. It stands for no word; through the layers it gathers information from the
#   whole sentence, and a classifier reads its final vector to decide the label.
# - `[SEP]` (id 102) at the end of each sentence, so the model can tell two sentences of a pair apart.
#
# GPT-2 adds **nothing**: its input is exactly the tokens of the text. (Its one special token,
# `<|endoftext|>`, id 50256, marks the end of a document; you will meet it again in Part 4.)

# %%
bert_input = bert_tokenizer(SENTENCE)
gpt2_input = gpt2_tokenizer(PROMPT)
print("BERT ids: ", bert_input["input_ids"])
print("GPT-2 ids:", gpt2_input["input_ids"])
print("BERT special tokens:", bert_tokenizer.all_special_tokens)
print("GPT-2 special tokens:", gpt2_tokenizer.all_special_tokens)

# %% [markdown]
# ### Exercise 1.1: the model input table (5 points)
#
# Write `model_input_table(tokenizer, text)`: the list of `(token id, token string)` pairs that the model
# receives for `text`, special tokens included, in order. Token strings are vocabulary entries as
# `convert_ids_to_tokens` gives them (`##worthy`, `Ġbelieve`), not decoded text. It must work for any
# Hugging Face tokenizer.


# %% nbgrader={"grade": false, "grade_id": "q1_model_input_table", "locked": false, "schema_version": 3, "solution": true, "task": false}
def model_input_table(tokenizer, text: str) -> list[tuple[int, str]]:
    """The (token id, token string) pairs of the full model input for `text`.

    Args:
        tokenizer: any Hugging Face tokenizer (WordPiece, BPE, ...).
        text (str): the text to tokenize.

    Returns:
        list[tuple[int, str]]: one `(id, token)` pair per input position, in order, special tokens included
        (e.g. `(101, "[CLS]")` first for BERT). Tokens are vocabulary entries, as `convert_ids_to_tokens`
        returns them.
    """
    # Hint: first the ids of the full model input, as above; then each id's vocabulary entry.
    ### BEGIN SOLUTION
    input_ids = tokenizer(text)["input_ids"]
    return list(zip(input_ids, tokenizer.convert_ids_to_tokens(input_ids), strict=True))
    ### END SOLUTION


# %%
for token_id, token in model_input_table(bert_tokenizer, SENTENCE):
    print(f"{token_id:>6}  {token}")
print()
print(model_input_table(gpt2_tokenizer, PROMPT))

# %% nbgrader={"grade": true, "grade_id": "q1_model_input_table_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(model_input_table)

# %% [markdown]
# ### Exercise 1.2: sub-word splits (5 points)
#
# Write `subword_splits(tokenizer, words)`: for each word, the pieces the tokenizer splits it into when it is
# tokenized **on its own, without special tokens**. With BERT, `"good"` gives `["good"]` and `"darwinism"`
# gives `["darwin", "##ism"]`.


# %% nbgrader={"grade": false, "grade_id": "q1_subword_splits", "locked": false, "schema_version": 3, "solution": true, "task": false}
def subword_splits(tokenizer, words: list[str]) -> dict[str, list[str]]:
    """How the tokenizer splits each word into sub-word pieces.

    Args:
        tokenizer: any Hugging Face tokenizer.
        words (list[str]): the words, each tokenized on its own.

    Returns:
        dict[str, list[str]]: word -> its pieces (vocabulary entries), in order, without special tokens.
    """
    # Hint: calling the tokenizer adds [CLS] and [SEP]; one of its keyword arguments turns that off
    # (help(tokenizer.__call__) lists them).
    ### BEGIN SOLUTION
    splits = {}
    for word in words:
        input_ids = tokenizer(word, add_special_tokens=False)["input_ids"]
        splits[word] = tokenizer.convert_ids_to_tokens(input_ids)
    return splits
    ### END SOLUTION


# %%
WORDS = ["good", "darwinism", "trustworthy", "tokenization"]
print("BERT: ", subword_splits(bert_tokenizer, WORDS))
print("GPT-2:", subword_splits(gpt2_tokenizer, WORDS))

# %% nbgrader={"grade": true, "grade_id": "q1_subword_splits_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(subword_splits)

# %% [markdown]
# ### Exercise 1.3: where are the special tokens? (5 points)
#
# Write `special_token_positions(tokenizer, input_ids)`: each special token that occurs in `input_ids`,
# mapped to the list of positions where it occurs. For BERT's input of `SENTENCE` that is
# `{"[CLS]": [0], "[SEP]": [10]}`; for GPT-2's input of `PROMPT` it is `{}`. A sentence pair has two
# `[SEP]`s. The tokenizer knows its special ids: `tokenizer.all_special_ids`.


# %% nbgrader={"grade": false, "grade_id": "q1_special_token_positions", "locked": false, "schema_version": 3, "solution": true, "task": false}
def special_token_positions(tokenizer, input_ids: list[int]) -> dict[str, list[int]]:
    """The positions of each special token in a list of token ids.

    Args:
        tokenizer: the tokenizer that produced `input_ids`.
        input_ids (list[int]): token ids, e.g. `tokenizer(text)["input_ids"]`.

    Returns:
        dict[str, list[int]]: special token string (e.g. "[SEP]") -> the positions where it occurs, in
        increasing order. Only tokens that occur are keys: no special tokens gives `{}`.
    """
    ### BEGIN SOLUTION
    special_ids = set(tokenizer.all_special_ids)
    positions = {}
    for position, token_id in enumerate(input_ids):
        if token_id in special_ids:
            positions.setdefault(tokenizer.convert_ids_to_tokens(token_id), []).append(position)
    return positions
    ### END SOLUTION


# %%
print(special_token_positions(bert_tokenizer, bert_input["input_ids"]))
pair = bert_tokenizer("Is it raining?", "No, it is sunny.")["input_ids"]
print(bert_tokenizer.convert_ids_to_tokens(pair))
print(special_token_positions(bert_tokenizer, pair))
print(special_token_positions(gpt2_tokenizer, gpt2_input["input_ids"]))

# %% nbgrader={"grade": true, "grade_id": "q1_special_token_positions_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(special_token_positions)

# %% [markdown]
# ### Exercise 1.4: unknown tokens (5 points)
#
# A WordPiece vocabulary cannot spell everything. WordPiece works one word at a time (a word: what lies
# between spaces and punctuation): if it cannot build the **whole word** from vocabulary pieces, because
# the word holds a character the vocabulary lacks (many emoji, for example), the whole word becomes the
# **unknown token** `[UNK]`, not just that character. So `"I love🤗 Transformers"`, with no space before the
# emoji, gives `['i', '[UNK]', 'transformers']`: "love" is lost along with the emoji. Byte-level BPE can
# spell any text from bytes, so it never produces an unknown token. (GPT-2's tokenizer still names an
# `unk_token`, reusing `<|endoftext|>`, but tokenizing ordinary text never yields it.)
#
# Write `unknown_token_count(tokenizer, text)`: how many tokens of `text`'s model input are the tokenizer's
# unknown token (0 if the tokenizer has none: `tokenizer.unk_token_id` is then `None`).


# %% nbgrader={"grade": false, "grade_id": "q1_unknown_token_count", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unknown_token_count(tokenizer, text: str) -> int:
    """How many tokens of `text` are the tokenizer's unknown token.

    Args:
        tokenizer: any Hugging Face tokenizer.
        text (str): the text to tokenize.

    Returns:
        int: the number of positions of the model input holding `tokenizer.unk_token_id` (0 when the
        tokenizer has no unknown token).
    """
    ### BEGIN SOLUTION
    if tokenizer.unk_token_id is None:
        return 0
    return tokenizer(text)["input_ids"].count(tokenizer.unk_token_id)
    ### END SOLUTION


# %%
EMOJI_TEXT = "I love 🤗 Transformers 🚀"
print(bert_tokenizer.tokenize(EMOJI_TEXT), "->", unknown_token_count(bert_tokenizer, EMOJI_TEXT), "unknown")
print(gpt2_tokenizer.tokenize(EMOJI_TEXT), "->", unknown_token_count(gpt2_tokenizer, EMOJI_TEXT), "unknown")

# %% nbgrader={"grade": true, "grade_id": "q1_unknown_token_count_check", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
check(unknown_token_count)

# %%
print(bert_tokenizer.tokenize("I love🤗 Transformers"), "<- no space: the whole word 'love🤗' is unknown")

# %% [markdown]
# GPT-2 needed several tokens per emoji (one per group of bytes, shown as odd characters such as `ðŁ`),
# but it lost nothing: decoding gives the emoji back.
#
# ## How long can an input be?
#
# A tokenizer will cut any text into tokens, but a model has a fixed number of **positions**: its position
# embedding matrix has one row per position (Part 2), 512 for DistilBERT and BERT, 1,024 for GPT-2. Longer
# inputs must be cut: `truncation=True` keeps the first `tokenizer.model_max_length` tokens (special tokens
# included). This is a property of each model, not of encoders or decoders as such. (The offline stand-ins
# have only 128 positions, although their tokenizers still say 512.)

# %%
long_text = " ".join([SENTENCE] * 100)
print("tokens of the long text:", len(bert_tokenizer(long_text, verbose=False)["input_ids"]))  # no warning
truncated = bert_tokenizer(long_text, truncation=True)["input_ids"]
print("with truncation=True:", len(truncated), "ending in", bert_tokenizer.convert_ids_to_tokens(truncated[-1]))
print("tokenizer limit:", bert_tokenizer.model_max_length, " positions of this model:",
      classifier.config.max_position_embeddings)

# %% [markdown]
# ## Looking tokens up in the vocabulary
#
# The vocabulary is a dictionary from token string to id. `convert_tokens_to_ids` looks tokens up;
# `get_vocab()` returns the whole dictionary. In GPT-2's vocabulary, `"Love"` (at the start of a text, no
# space) is id 18565 and `"ĠLove"` (after a space) is a different token. BERT's uncased vocabulary has only
# `"love"`: looking up `"Love"` finds nothing and returns the id of `[UNK]`.

# %%
print("GPT-2 'Love':", gpt2_tokenizer.convert_tokens_to_ids("Love"))
print("GPT-2 'ĠLove':", gpt2_tokenizer.get_vocab()["ĠLove"])
print("BERT 'love':", bert_tokenizer.convert_tokens_to_ids("love"))
print("BERT 'Love':", bert_tokenizer.convert_tokens_to_ids("Love"), "= [UNK]:", bert_tokenizer.unk_token_id)

# %% [markdown]
# ## Summary
#
# - A tokenizer maps text to ids in a fixed vocabulary of sub-words: 30,522 for BERT, 50,257 for GPT-2.
# - WordPiece marks word continuations with `##` and turns a whole word it cannot spell into `[UNK]`;
#   byte-level BPE marks leading spaces with `Ġ` (so " trustworthy" and "trustworthy" are tokenized
#   differently) and can spell anything.
# - A model reads at most as many tokens as it has positions; `truncation=True` cuts longer inputs.
# - BERT's input is wrapped in `[CLS] ... [SEP]`; GPT-2's input is just the text's tokens.
#
# Next, in Part 2, we feed these ids to the models and look at the vectors they produce.
