"""Hidden tests of Part 4 (a manual greedy loop): 25 points (greedy_next_token 5, greedy_generate 15,
decode_steps 5).

Decision: every call forbids `model.generate` (`forbid=("generate",)`), as lab-spec.md says for all of this
part's graded functions; an answer that calls it earns none of the part's points, and each failing test says
why. Expected ids come from `model.generate(..., do_sample=False)` on GPT-2, a Llama-style decoder and a GPT-2
that emits eos soon after a documented prompt; the step logits from `output_scores=True`.
"""

from __future__ import annotations

import torch

from autograder.grading.suite import points
from autograder.labs.encoders_decoders.compare import (
    CheckFailed,
    expect_close,
    expect_equal,
    expect_shape,
    expect_type,
)
from autograder.runner.placeholders import model, tokenizer

NAMES = {"decoder": "GPT-2", "decoder_alt": "Llama-style decoder", "decoder_eos": "GPT-2 (ends early)"}
NO_GENERATE = ("generate",)
_generated: dict[tuple, tuple[list[int], torch.Tensor, int]] = {}


def _generate(reference, role: str, prompt: str, max_new_tokens: int) -> tuple[list[int], torch.Tensor, int]:
    """Reference: (all ids, [steps, V] scores, prompt length) of greedy `model.generate`; computed once."""
    tok, mdl = reference(role)
    key = (id(mdl), prompt, max_new_tokens)
    if key not in _generated:
        inputs = tok(prompt, return_tensors="pt")
        with torch.no_grad():
            out = mdl.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, output_scores=True,
                               return_dict_in_generate=True, pad_token_id=tok.eos_token_id)
        _generated[key] = (out.sequences[0].tolist(), torch.stack(out.scores)[:, 0],
                           inputs["input_ids"].shape[1])
    return _generated[key]


def _logit_tolerance(scores: torch.Tensor) -> float:
    """Absolute tolerance for step logits: 1e-3 at logits up to about 10, growing with their scale (a loop
    without the attention cache differs from generate's by ~1e-4 on a 135M model)."""
    return 1e-4 * max(10.0, float(scores.abs().max()))


# ---------------------------------------------------------------------------- greedy_next_token: 5


def _check_next_token(student, reference, role: str, prompt: str) -> None:
    tok, mdl = reference(role)
    input_ids = tok(prompt, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        logits = mdl(input_ids).logits[0]
    expected = int(logits[-1].argmax())
    what = f"greedy_next_token(<{NAMES[role]}>, <ids of {prompt!r}>)"
    got = student.call("greedy_next_token", model(role), input_ids, forbid=NO_GENERATE)
    expect_type(got, int, what, "return a Python int: int(tensor) or tensor.item()")
    if got != expected and input_ids.shape[1] > 1 and got == int(logits[0].argmax()):
        raise CheckFailed(f"{what}: this is the prediction after the FIRST token; use the logits at the last "
                          "position (logits[0, -1])")
    expect_equal(got, expected, what)


@points(2)
def test_next_token_matches_argmax_gpt2(student, reference):
    """greedy_next_token equals the argmax of the last position's logits (GPT-2, several sentences)"""
    _check_next_token(student, reference, "decoder", "It was 9 p.m. in Zürich. The café closed early; we")


@points(2)
def test_next_token_matches_argmax_llama(student, reference):
    """greedy_next_token equals the argmax of the last position's logits (Llama-style decoder)"""
    _check_next_token(student, reference, "decoder_alt", "  Two leading spaces and an emoji 🚀 then")


@points(1)
def test_next_token_matches_argmax_one_token_prompt(student, reference):
    """greedy_next_token works on a one-token prompt (GPT-2)"""
    _check_next_token(student, reference, "decoder", "Hello")


# ------------------------------------------------------------------------------ greedy_generate: 15


def _what(role: str, prompt: str, max_new_tokens: int) -> str:
    return f"greedy_generate(<{NAMES[role]}>, tokenizer, {prompt!r}, {max_new_tokens})"


def _call_generate(student, reference, role: str, prompt: str, max_new_tokens: int):
    what = _what(role, prompt, max_new_tokens)
    tok, mdl = reference(role)
    # The answer: every token id, and a vocabulary's logits per step (the reply cap follows it).
    answer_size = (len(tok(prompt)["input_ids"]) + max_new_tokens) * (mdl.config.vocab_size + 1)
    got = student.call("greedy_generate", model(role), tokenizer(role), prompt, max_new_tokens,
                       forbid=NO_GENERATE, answer_size=answer_size)
    if not isinstance(got, tuple) or len(got) != 2:
        length = f" of length {len(got)}" if isinstance(got, (list, tuple)) else ""
        raise CheckFailed(f"{what}: expected a tuple (token ids, step logits), got a "
                          f"{type(got).__name__}{length}")
    return got


def _check_ids(got_ids, expected: list[int], prompt_length: int, eos: int, what: str) -> None:
    what = f"{what}[0] (the token ids)"
    expect_type(got_ids, list, what, "return a list of ints: input_ids[0].tolist()")
    ended_with_eos = expected[-1] == eos and len(expected) > prompt_length
    if got_ids == expected[prompt_length:] and prompt_length:
        raise CheckFailed(f"{what}: only the generated ids; the list should start with the prompt's ids")
    expect_equal(got_ids[:prompt_length], expected[:prompt_length], f"{what} (the prompt part)")
    if ended_with_eos and len(got_ids) > len(expected) and got_ids[: len(expected)] == expected:
        raise CheckFailed(f"{what}: did not stop after the eos token: keep the eos token, then stop")
    if ended_with_eos and got_ids == expected[:-1]:
        raise CheckFailed(f"{what}: the eos token is missing at the end: append the eos token to the ids, "
                          "then stop (model.generate keeps it)")
    for index in range(prompt_length, min(len(got_ids), len(expected))):
        if got_ids[index] != expected[index]:
            raise CheckFailed(f"{what}: the generated token at index {index} differs from the greedy choice "
                              "(argmax of the logits at the LAST position, after appending every previous "
                              "choice)")
    if len(got_ids) != len(expected):
        raise CheckFailed(f"{what}: {len(got_ids) - prompt_length} token(s) generated instead of "
                          f"{len(expected) - prompt_length}: generate max_new_tokens tokens, stopping early "
                          "only after the eos token")
    expect_equal(got_ids, expected, what)


def _check_logits(got_logits, scores: torch.Tensor, what: str) -> None:
    what = f"{what}[1] (the step logits)"
    expect_type(got_logits, torch.Tensor, what, "stack the logits of each step with torch.stack")
    expect_shape(got_logits, tuple(scores.shape), what, "(steps, V)")
    if got_logits.is_floating_point() and torch.allclose(got_logits.double().sum(-1),
                                                         torch.ones(len(got_logits), dtype=torch.float64),
                                                         atol=1e-3):
        raise CheckFailed(f"{what}: these look like probabilities; return the raw logits of each step")
    expect_close(got_logits, scores, what, atol=_logit_tolerance(scores), rtol=1e-4)


def _check_generate(student, reference, role: str, prompt: str, max_new_tokens: int, logits: bool) -> None:
    tok, _ = reference(role)
    expected, scores, prompt_length = _generate(reference, role, prompt, max_new_tokens)
    what = _what(role, prompt, max_new_tokens)
    got_ids, got_logits = _call_generate(student, reference, role, prompt, max_new_tokens)
    _check_ids(got_ids, expected, prompt_length, tok.eos_token_id, what)
    if logits:
        _check_logits(got_logits, scores, what)


@points(4)
def test_greedy_ids_match_generate_gpt2(student, reference):
    """greedy_generate ids equal model.generate (GPT-2, max_new_tokens 1 and 6)"""
    _check_generate(student, reference, "decoder", "  Über 3 cafés served 1,234 crêpes 🥞 today.", 1, False)
    _check_generate(student, reference, "decoder", "The quick brown fox. It jumped!", 6, False)


@points(4)
def test_greedy_ids_match_generate_llama(student, reference):
    """greedy_generate ids equal model.generate (Llama-style decoder)"""
    _check_generate(student, reference, "decoder_alt", "Once upon a time, in 1999,", 5, False)


@points(4)
def test_greedy_logits_match_generate_scores(student, reference):
    """greedy_generate step logits match model.generate's scores (GPT-2 and Llama-style, shape (steps, V))"""
    _check_generate(student, reference, "decoder", "The quick brown fox. It jumped!", 6, True)
    _check_generate(student, reference, "decoder_alt", "  Two leading spaces and an emoji 🚀 then", 1, True)


@points(3)
def test_greedy_stops_after_eos_like_generate(student, reference):
    """greedy_generate stops right after the eos token, eos included, like model.generate"""
    tok, mdl = reference("decoder_eos")
    settings = ((mdl.config.task_specific_params or {}).get("autograder") or {})
    prompt, eos_after = settings["eos_prompt"], settings["eos_after"]
    max_new_tokens = eos_after + 5
    expected, _, prompt_length = _generate(reference, "decoder_eos", prompt, max_new_tokens)
    if len(expected) != prompt_length + eos_after or expected[-1] != tok.eos_token_id:
        raise RuntimeError("the eos-prone model did not stop where its config says: rebuild the model kit")
    _check_generate(student, reference, "decoder_eos", prompt, max_new_tokens, True)


# --------------------------------------------------------------------------------- decode_steps: 5


def _check_decode(student, reference, role: str, ids: list[int], prompt_length: int,
                  description: str) -> None:
    tok, _ = reference(role)
    expected = [tok.decode([i]) for i in ids[prompt_length:]]
    what = f"decode_steps(tokenizer, <{description}>, {prompt_length})"
    got = student.call("decode_steps", tokenizer(role), list(ids), prompt_length, forbid=NO_GENERATE)
    expect_type(got, list, what)
    if expected and got == tok.convert_ids_to_tokens(ids[prompt_length:]) and got != expected:
        raise CheckFailed(f"{what}: these are vocabulary tokens (like 'Ġthe'); decode each id on its own "
                          "with tokenizer.decode([id])")
    if expected and len(got) == len(ids) and got[prompt_length:] == expected:
        raise CheckFailed(f"{what}: the prompt's tokens are included; start at prompt_length")
    expect_equal(got, expected, what)


@points(2)
def test_decode_steps_match_tokenizer_decode_bytes(student, reference):
    """decode_steps equals tokenizer.decode of each id (GPT-2 byte pieces of accents, emoji and €)"""
    tok, _ = reference("decoder")
    prompt, rest = "The bill:", " naïve café ☕ costs €3.50!"
    prompt_ids = tok(prompt)["input_ids"]
    ids = prompt_ids + tok(rest)["input_ids"]
    _check_decode(student, reference, "decoder", ids, len(prompt_ids), f"ids of {prompt!r} + {rest!r}")


@points(2)
def test_decode_steps_match_tokenizer_decode_generated(student, reference):
    """decode_steps equals tokenizer.decode of each generated id (Llama-style decoder's greedy output)"""
    prompt = "  Leading spaces matter"
    ids, _, prompt_length = _generate(reference, "decoder_alt", prompt, 6)
    _check_decode(student, reference, "decoder_alt", ids, prompt_length, f"greedy ids after {prompt!r}")


@points(1)
def test_decode_steps_empty_when_nothing_generated(student, reference):
    """decode_steps gives an empty list when nothing was generated"""
    tok, _ = reference("decoder")
    prompt = "Nothing follows."
    ids = tok(prompt)["input_ids"]
    _check_decode(student, reference, "decoder", ids, len(ids), f"ids of {prompt!r}")
