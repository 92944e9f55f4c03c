"""Hidden tests of Part 1 (tokenization inspection): 20 points, 5 per function.

Every expected value comes from the tokenizer itself (`tokenizer(...)`, `convert_ids_to_tokens`), on texts
unlike the notebook's, with both the WordPiece (encoder) and the byte-level BPE (decoder) tokenizer.
Messages name the function, the tokenizer and the input text, never an expected value.
"""

from __future__ import annotations

from autograder.grading.suite import points
from autograder.labs.encoders_decoders import expected as expected_values
from autograder.labs.encoders_decoders.compare import CheckFailed, expect_equal, expect_type
from autograder.models import without_unknown_token
from autograder.runner.placeholders import tokenizer

WORDPIECE, BPE = "encoder", "decoder"
NAMES = {"encoder": "WordPiece tokenizer", "decoder": "GPT-2 tokenizer"}

ACCENTS_TEXT = "Café naïve résumé: 42°C in Zürich! Pneumonoultramicroscopicsilicovolcanoconiosis?"
SPACES_EMOJI_TEXT = "  Leading spaces, émojis 🤗🚀 and 1,234.56 numbers.\nA new line."
SENTENCES_TEXT = "It rained 3 days in a row. Then, on 2024-05-17, the sun came out! Was it worth the wait?"


def _what(function: str, role: str, *args) -> str:
    shown = ", ".join(repr(a) for a in args)
    return f"{function}(<{NAMES[role]}>, {shown})"


def _vocabulary_hint(got, ids: list[int], tok, what: str) -> None:
    """A clear message when the table holds decoded text instead of vocabulary tokens."""
    if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in got):
        return
    strings = [p[1] for p in got]
    decoded = [tok.decode([i]) for i in ids]
    if strings == decoded and decoded != tok.convert_ids_to_tokens(ids):
        raise CheckFailed(f"{what}: these are decoded strings; give vocabulary tokens (like 'Ġthe' or "
                          "'##ing') with tokenizer.convert_ids_to_tokens")


def _check_table(student, reference, role: str, text: str) -> None:
    tok, _ = reference(role)
    expected = expected_values.input_table(tok, text)
    ids = [i for i, _ in expected]
    what = _what("model_input_table", role, text)
    got = student.call("model_input_table", tokenizer(role), text)
    expect_type(got, list, what)
    _vocabulary_hint(got, ids, tok, what)
    expected_values.expect_special_tokens_included(got, tok, ids, what)
    expect_equal(got, expected, what)


# ------------------------------------------------------------------------------ model_input_table: 5


@points(2)
def test_table_matches_tokenizer_ids_wordpiece(student, reference):
    """model_input_table equals the tokenizer's ids and tokens (WordPiece, accents and a rare long word)"""
    _check_table(student, reference, WORDPIECE, ACCENTS_TEXT)


@points(2)
def test_table_matches_tokenizer_ids_bpe(student, reference):
    """model_input_table equals the tokenizer's ids and tokens (GPT-2 BPE, leading spaces and emoji)"""
    _check_table(student, reference, BPE, SPACES_EMOJI_TEXT)


@points(1)
def test_table_matches_tokenizer_ids_several_sentences(student, reference):
    """model_input_table equals the tokenizer's ids and tokens (sentences with numbers, both tokenizers)"""
    for role in (WORDPIECE, BPE):
        _check_table(student, reference, role, SENTENCES_TEXT)


# --------------------------------------------------------------------------------- subword_splits: 5


def _check_splits(student, reference, role: str, words: list[str]) -> None:
    tok, _ = reference(role)
    expected = expected_values.subword_splits(tok, words)
    what = _what("subword_splits", role, words)
    got = student.call("subword_splits", tokenizer(role), list(words))
    expect_type(got, dict, what)
    if words and set(got) != set(words) and len(got) == len(words):
        raise CheckFailed(f"{what}: the keys should be the words exactly as given (same case and accents)")
    for word, pieces in got.items():
        if isinstance(pieces, list) and any(p in tok.all_special_tokens for p in pieces) and \
                not any(p in tok.all_special_tokens for p in expected.get(word, [])):
            raise CheckFailed(f"{what}[{word!r}]: contains special tokens; tokenize each word with "
                              "add_special_tokens=False")
    expect_equal(got, expected, what)


@points(2)
def test_splits_match_tokenizer_wordpiece(student, reference):
    """subword_splits equals the tokenizer's pieces (WordPiece: rare, accented and hyphenated words)"""
    words = ["Pneumonoultramicroscopicsilicovolcanoconiosis", "Café", "unbelievably", "COVID-19", "2024",
             "tokenizers"]
    _check_splits(student, reference, WORDPIECE, words)


@points(2)
def test_splits_match_tokenizer_bpe(student, reference):
    """subword_splits equals the tokenizer's pieces (GPT-2 BPE: accents, emoji, numbers, a leading space)"""
    words = ["naïve", "🤗", "Antidisestablishmentarianism", "1,234", "Transformers", " world"]
    _check_splits(student, reference, BPE, words)


@points(1)
def test_splits_match_tokenizer_single_pieces_and_no_words(student, reference):
    """subword_splits: a one-piece word gives a one-item list, and no words give an empty dict"""
    for role in (WORDPIECE, BPE):
        _check_splits(student, reference, role, ["the", "house"])
        _check_splits(student, reference, role, [])


# ------------------------------------------------------------------------ special_token_positions: 5


def _check_positions(student, reference, role: str, ids: list[int], description: str) -> None:
    tok, _ = reference(role)
    expected = expected_values.special_token_positions(tok, ids)
    what = f"special_token_positions(<{NAMES[role]}>, <{description}>)"
    got = student.call("special_token_positions", tokenizer(role), list(ids))
    expect_type(got, dict, what)
    expect_equal(got, expected, what)


@points(2)
def test_special_positions_match_tokenizer_bert_pair_padded(student, reference):
    """special_token_positions finds [CLS], both [SEP] and the [PAD] tokens of a padded sentence pair"""
    tok, _ = reference(WORDPIECE)
    first, second = "Is it raining in Zürich?", "No. It is 25°C and sunny!"
    ids = tok(first, second, padding="max_length", max_length=32)["input_ids"]
    description = f"ids of the pair {first!r}, {second!r} padded to 32"
    _check_positions(student, reference, WORDPIECE, ids, description)


@points(1)
def test_special_positions_match_tokenizer_bert_mask(student, reference):
    """special_token_positions finds a [MASK] token written in the text"""
    tok, _ = reference(WORDPIECE)
    text = "Paris is the [MASK] of France. Berlin is the [MASK] of Germany."
    _check_positions(student, reference, WORDPIECE, tok(text)["input_ids"], f"ids of {text!r}")


@points(1)
def test_special_positions_match_tokenizer_gpt2_eos(student, reference):
    """special_token_positions finds GPT-2's eos token between and after two documents"""
    tok, _ = reference(BPE)
    first, second = "First document.", " Second one 🙂"
    ids = [*tok(first)["input_ids"], tok.eos_token_id, *tok(second)["input_ids"], tok.eos_token_id]
    _check_positions(student, reference, BPE, ids, f"ids of {first!r}, eos, {second!r}, eos")


@points(1)
def test_special_positions_empty_without_special_tokens(student, reference):
    """special_token_positions gives an empty dict when there are no special tokens (both tokenizers)"""
    text = "  No special tokens here: 3 cafés, 1 naïve idea."
    for role in (BPE, WORDPIECE):
        tok, _ = reference(role)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        _check_positions(student, reference, role, ids, f"ids of {text!r} without special tokens")


# ---------------------------------------------------------------------------- unknown_token_count: 5


def _check_unknown(student, reference, role: str, text: str, unknown_token: bool = True) -> None:
    tok, _ = reference(role)
    tok = tok if unknown_token else without_unknown_token(tok)
    expected = expected_values.unknown_token_count(tok, text)
    name = NAMES[role] if unknown_token else f"{NAMES[role]} without an unknown token"
    what = f"unknown_token_count(<{name}>, {text!r})"
    got = student.call("unknown_token_count", tokenizer(role, unknown_token), text)
    expect_type(got, int, what)
    expect_equal(got, expected, what)


@points(2)
def test_unknown_count_matches_tokenizer_wordpiece_emoji(student, reference):
    """unknown_token_count counts the [UNK] tokens of a text full of emoji (WordPiece)"""
    _check_unknown(student, reference, WORDPIECE, "I ❤️ 🍕, you ❤️ 🌮 — deal? 🤝 東京 ok")


@points(1)
def test_unknown_count_zero_for_known_wordpiece_text(student, reference):
    """unknown_token_count is 0 for a WordPiece text without unknown characters (accents, numbers)"""
    text = "Café naïve résumé, 3.14 and 2024. Pneumonoultramicroscopic!"
    _check_unknown(student, reference, WORDPIECE, text)


@points(1)
def test_unknown_count_matches_tokenizer_bpe(student, reference):
    """unknown_token_count is 0 for byte-level BPE, even with emoji and other scripts (GPT-2)"""
    _check_unknown(student, reference, BPE, "Hi 🧧 and ا, 東京 🤖 naïve… 1,234")


@points(1)
def test_unknown_count_uses_the_tokenizers_own_unknown_token(student, reference):
    """unknown_token_count counts GPT-2's unknown token, <|endoftext|>, and none where a tokenizer has none"""
    # GPT-2 spells its unknown token differently from BERT: a count of "[UNK]" strings finds none here.
    text = "The end.<|endoftext|>A new story begins."
    _check_unknown(student, reference, BPE, text)
    # The same tokenizer naming no unknown token (unk_token_id None, as some tokenizers have): 0, although
    # <|endoftext|>, now only the eos token, is still in the ids.
    _check_unknown(student, reference, BPE, text, unknown_token=False)
