"""Expected values computed with the tokenizer's own calls (Part 1, and Part 2's shared prefix), and the
hints that spot typical wrong answers.

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


def shared_prefix_length(ids_a: list[int], ids_b: list[int]) -> int:
    """How many leading ids two model inputs share."""
    pairs = zip(ids_a, ids_b, strict=False)
    return next((p for p, (a, b) in enumerate(pairs) if a != b), min(len(ids_a), len(ids_b)))


def expect_prefix_shift_shape(got, expected, leading_special: int, what: str) -> None:
    """Fail with a hint when `got` (prefix_shift's result) has a typical wrong length or is all zeros where
    the reference moved. `leading_special` counts the special tokens at the start of the model input."""
    import torch

    if not isinstance(got, torch.Tensor) or got.dim() != 1:
        return
    n, p = got.shape[0], expected.shape[0]
    if leading_special and n == p - leading_special:
        raise CheckFailed(f"{what}: {n} position(s) instead of {p}: count the special tokens at the start "
                          "too (compare the ids of the model inputs, not tokenizer.tokenize)")
    if n == p + 1:
        raise CheckFailed(f"{what}: one position too many: the first position where the ids differ is not "
                          "shared")
    if n == p and p and torch.allclose(got.float(), torch.zeros(p)) and expected.abs().max() > 1e-3:
        raise CheckFailed(f"{what}: every value is 0, but this model's shared positions do move: compare "
                          "the LAST layer's vectors (the embedding output of a shared token is the same in "
                          "both texts)")
