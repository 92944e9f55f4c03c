"""Part 1's expected values, computed with the tokenizer's own calls, and its special-token hint.

One definition shared by the public checks (in the student's process) and the hidden suites (in the
grader), so the two can never disagree on what a correct answer is.
"""

from __future__ import annotations

from autograder.labs.encoders_decoders.compare import CheckFailed


def input_table(tokenizer, text: str) -> list[tuple[int, str]]:
    """(id, token) of the full model input, special tokens included: the encoding's own token strings,
    which are the vocabulary entries of its ids."""
    encoding = tokenizer(text)
    return list(zip(encoding["input_ids"], encoding.tokens(), strict=True))


def subword_splits(tokenizer, words: list[str]) -> dict[str, list[str]]:
    """Each word's pieces when tokenized on its own, without special tokens."""
    return {w: tokenizer.convert_ids_to_tokens(tokenizer(w, add_special_tokens=False)["input_ids"])
            for w in words}


def special_token_positions(tokenizer, input_ids: list[int]) -> dict[str, list[int]]:
    """Each special token occurring in `input_ids` -> its positions, in order."""
    mask = tokenizer.get_special_tokens_mask(input_ids, already_has_special_tokens=True)
    marked = [(tokenizer.convert_ids_to_tokens(input_ids[p]), p) for p, flag in enumerate(mask) if flag]
    return {token: [p for name, p in marked if name == token] for token, _ in marked}


def unknown_token_count(tokenizer, text: str) -> int:
    """How many ids of `text` are the unknown token (0 for a tokenizer without one)."""
    unk = tokenizer.unk_token_id
    return 0 if unk is None else tokenizer(text)["input_ids"].count(unk)


def expect_special_tokens_included(got: list, tokenizer, ids: list[int], what: str) -> None:
    """Fail with a hint when `got` is exactly the special tokens short of the full model input."""
    n_special = sum(i in tokenizer.all_special_ids for i in ids)
    if n_special and len(got) == len(ids) - n_special:
        raise CheckFailed(f"{what}: {n_special} item(s) short: include the special tokens the tokenizer adds "
                          "(tokenize with tokenizer(text), not tokenizer.tokenize(text))")
