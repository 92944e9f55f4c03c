"""Public checks: what a student runs from a notebook with `check(softmax)`.

Each lab function has a few small checks on the notebook's own examples. Expected values come from LIBRARY
calls only (the tokenizer, `model(..., output_hidden_states=True)`, `torch.softmax`, `model.generate`), never
from the solutions. A failing check raises CheckFailed with a message that says what went wrong and where to
look, so the nbgrader test cell that called it fails. The hidden tests try other inputs and models.
"""

from __future__ import annotations

import contextlib
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from autograder import check_record
from autograder.labs.encoders_decoders import expected as expected_values
from autograder.labs.encoders_decoders.compare import (
    CheckFailed,
    expect_close,
    expect_equal,
    expect_no_grad,
    expect_shape,
    expect_type,
)
from autograder.models import load_pair

__all__ = ["CHECKS", "OPTIONAL", "CheckFailed", "check"]

# The notebooks' examples.
SENTENCE = "I believe that the EU is trustworthy."
NEGATIVE_SENTENCE = "This movie was a waste of time."
PROMPT = "Today I believe we can finally"
WORDS = ["good", "darwinism", "trustworthy", "tokenization"]
UNKNOWN_TEXT = "I love 🤗 Transformers 🚀"
RIVER, MONEY = "We sat on the bank of the river.", "I deposited my money at the bank."
GOOD_FILM, BAD_FILM = "The film was wonderful.", "The film was dreadful."

NOT_COMPREHENSIVE = "(Public checks are not comprehensive: the hidden tests try other inputs and models.)"


def check(fn: Callable, *others: Callable) -> None:
    """Run the public checks of `fn` (one of the lab's functions); raise CheckFailed on the first failure.

    An optional exercise's check takes the student's functions it is compared with as `others` (e.g.
    `check(greedy_generate_cached, greedy_generate)`); while the optional function is still a stub, the
    check says so and passes, since skipping it costs nothing.
    """
    name = getattr(fn, "__name__", repr(fn))
    if name not in CHECKS:
        raise CheckFailed(
            f"there are no public checks for {name!r}; pass one of the lab's functions: " + ", ".join(CHECKS)
        )
    wanted = OPTIONAL.get(name, ())
    given = tuple(getattr(other, "__name__", repr(other)) for other in others)
    if given != wanted:
        call = ", ".join((name, *wanted))
        raise CheckFailed(f"call it as check({call})")
    with _quiet():
        try:
            for one_check in CHECKS[name]:
                one_check(fn, *others)
        except _NotAttempted:
            check_record.passed(name, f"- {name} is optional and not written yet: nothing to check.")
            return
    count = len(CHECKS[name])
    checks = f"{count} public check{'s' * (count != 1)}"
    check_record.passed(name, f"✓ {name}: {checks} passed. {NOT_COMPREHENSIVE}")


# ---------------------------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence warnings and transformers logging: any stderr output makes an nbgrader test cell score zero."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        hf_logging.set_verbosity(verbosity)


class _NotAttempted(Exception):
    """An optional function is still the stub it was handed out as."""


def _call(fn: Callable, *args: Any) -> Any:
    """Call the student's function, turning a stub or a crash into a CheckFailed."""
    try:
        return fn(*args)
    except NotImplementedError as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1].name  # the stub that raised
        if where == fn.__name__ and fn.__name__ in OPTIONAL:
            raise _NotAttempted from None
        also = f" (it calls {where}, which is not)" if where != fn.__name__ else ""
        raise CheckFailed(f"{fn.__name__} is not implemented yet{also}") from None
    except CheckFailed:
        raise
    except Exception as exc:
        if isinstance(exc, AttributeError) and "object has no attribute" in str(exc):
            raise CheckFailed(
                f"{fn.__name__} raised AttributeError: {exc}. It must work for any model: use the generic "
                "interface (model(...), output_hidden_states=True, model.get_input_embeddings())"
            ) from exc
        raise CheckFailed(f"{fn.__name__} raised {type(exc).__name__}: {exc} (see the traceback)") from exc


def _pair(role: str):
    """The notebook's (tokenizer, model) for a role: the same default ("hub") as the notebooks."""
    return load_pair(role)


def _hidden_states(model, tokenizer, text: str) -> torch.Tensor:
    """Reference: every hidden state for `text`, shape [L+1, T, H]."""
    with torch.no_grad():
        out = model(**tokenizer(text, return_tensors="pt"), output_hidden_states=True)
    return torch.cat(out.hidden_states)  # L+1 tensors [1, T, H], joined along the batch of one


def _position_of(tokenizer, text: str, token: str) -> int:
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(text).input_ids)
    return next(i for i, t in enumerate(tokens) if t.lstrip("Ġ") == token)


class _NoBuiltinSoftmax(TorchFunctionMode):
    """Fails any softmax/log-softmax call, whichever way it was imported (torch., F., Tensor., nn.Softmax)."""

    def __init__(self, who: str):
        super().__init__()
        self.who = who

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if "softmax" in getattr(func, "__name__", ""):
            raise CheckFailed(
                f"{self.who} must compute softmax by hand (exp, sum, divide), but it called "
                f"the built-in {func.__name__}"
            )
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def _no_generate(who: str) -> Iterator[None]:
    """Make every `model.generate` raise: Part 4 asks for the loop to be written by hand."""
    from unittest import mock

    from transformers.generation.utils import GenerationMixin

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise CheckFailed(
            f"{who} must not call model.generate: write the loop yourself (forward pass, "
            "argmax of the last position, append)"
        )

    with mock.patch.object(GenerationMixin, "generate", forbidden):
        yield


def _hint_token_strings(
    got: list, ids: list[int], tokenizer, what: str, want_decoded: bool, item=None
) -> None:
    """Fail with a hint when `got` holds decoded text where vocabulary tokens are wanted, or the reverse.

    `item` picks the string out of each entry of `got` (e.g. 1 for (id, token) pairs); None: the entry itself.
    """
    pairs = all(isinstance(p, (tuple, list)) and len(p) == 2 for p in got)
    if item is not None and not pairs:
        return
    strings = [p if item is None else p[item] for p in got]
    wrong = [tokenizer.convert_ids_to_tokens(i) if want_decoded else tokenizer.decode([i]) for i in ids]
    right = [tokenizer.decode([i]) if want_decoded else tokenizer.convert_ids_to_tokens(i) for i in ids]
    if strings == wrong and wrong != right:
        if want_decoded:
            fix = "these are vocabulary tokens (like 'Ġthe'); decode each id with tokenizer.decode([id])"
        else:
            fix = "these are decoded strings; give vocabulary tokens (like 'Ġthe'): convert_ids_to_tokens"
        raise CheckFailed(f"{what}: {fix}")


def _reference_generate(model, tokenizer, prompt: str, max_new_tokens: int):
    """Reference: (all ids, [steps, V] scores) from `model.generate` with greedy decoding."""
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            output_scores=True,
            return_dict_in_generate=True,
            pad_token_id=tokenizer.eos_token_id,
        )
    return out.sequences[0].tolist(), torch.cat(out.scores)  # steps tensors [1, V] joined: [steps, V]


# -------------------------------------------------------------------------------- Part 1: tokenization


def _table_matches(fn: Callable, role: str, text: str) -> None:
    tokenizer, _ = _pair(role)
    expected = expected_values.input_table(tokenizer, text)
    ids = [i for i, _ in expected]
    got = _call(fn, tokenizer, text)
    what = f"model_input_table(<{role} tokenizer>, {text!r})"
    expect_type(got, list, what)
    _hint_token_strings(got, ids, tokenizer, what, want_decoded=False, item=1)
    expected_values.expect_special_tokens_included(got, tokenizer, ids, what)
    expect_equal(got, expected, what)


def _splits_match(fn: Callable, role: str, words: list[str]) -> None:
    tokenizer, _ = _pair(role)
    expected = expected_values.subword_splits(tokenizer, words)
    what = f"subword_splits(<{role} tokenizer>, {words!r})"
    expect_equal(_call(fn, tokenizer, list(words)), expected, what)


def _special_positions_match(fn: Callable, role: str, input_ids: list[int]) -> None:
    tokenizer, _ = _pair(role)
    expected = expected_values.special_token_positions(tokenizer, input_ids)
    what = f"special_token_positions(<{role} tokenizer>, {input_ids!r})"
    expect_equal(_call(fn, tokenizer, list(input_ids)), expected, what)


def _unknown_count_matches(fn: Callable, role: str, text: str) -> None:
    tokenizer, _ = _pair(role)
    expected = expected_values.unknown_token_count(tokenizer, text)
    expect_equal(_call(fn, tokenizer, text), expected, f"unknown_token_count(<{role} tokenizer>, {text!r})")


def _bert_ids(text: str, pair: str | None = None) -> list[int]:
    return _pair("encoder")[0](text, pair).input_ids


def _gpt2_ids(text: str) -> list[int]:
    tokenizer = _pair("decoder")[0]
    return [*tokenizer(text).input_ids, tokenizer.eos_token_id]


# ------------------------------------------------------------------------------ Part 2: hidden states


def _embedding_matches(fn: Callable, role: str, text: str, position: int) -> None:
    tokenizer, model = _pair(role)
    input_ids = tokenizer(text, return_tensors="pt").input_ids
    expected = model.get_input_embeddings().weight[input_ids[0, position]].detach()
    what = f"input_embedding(<{role}>, ids of {text!r}, {position})"
    got = _call(fn, model, input_ids, position)
    expect_shape(got, expected.shape, what, "(H,)")
    embedding_output = _hidden_states(model, tokenizer, text)[0, position]
    if torch.allclose(got.detach().float(), embedding_output, atol=1e-5) and not torch.allclose(
        embedding_output, expected, atol=1e-5
    ):
        raise CheckFailed(
            f"{what}: this is hidden_states[0], the embedding OUTPUT (position embeddings and "
            "LayerNorm already applied); return the raw row of model.get_input_embeddings()"
        )
    expect_close(got, expected, what)
    expect_no_grad(got, what)


def _stack_matches(fn: Callable, role: str, text: str) -> None:
    tokenizer, model = _pair(role)
    expected = _hidden_states(model, tokenizer, text)
    what = f"hidden_state_stack(<{role}>, tokenizer, {text!r})"
    got = _call(fn, model, tokenizer, text)
    expect_type(got, torch.Tensor, what, "stack the tuple of hidden states with torch.stack")
    if got.dim() == 3 and got.shape[0] == expected.shape[0] - 1:
        raise CheckFailed(
            f"{what}: {got.shape[0]} states for a {got.shape[0]}-layer model: the embedding "
            "output (hidden_states[0]) should come first, then one per layer"
        )
    expect_shape(got, expected.shape, what, "(L+1, T, H)")
    expect_close(got, expected, what)
    expect_no_grad(got, what)


def _trajectory_matches(fn: Callable, role: str, text: str, position: int) -> None:
    tokenizer, model = _pair(role)
    expected = _hidden_states(model, tokenizer, text)[:, position]
    what = f"token_trajectory(<{role}>, tokenizer, {text!r}, {position})"
    got = _call(fn, model, tokenizer, text, position)
    expect_shape(got, expected.shape, what, "(L+1, H)")
    expect_close(got, expected, what)
    expect_no_grad(got, what)


def _sentence_vector_matches(fn: Callable, role: str, text: str) -> None:
    tokenizer, model = _pair(role)
    expected = _hidden_states(model, tokenizer, text)[-1, 0]
    what = f"sentence_vector(<{role}>, tokenizer, {text!r})"
    got = _call(fn, model, tokenizer, text)
    expect_shape(got, expected.shape, what, "(H,)")
    expect_close(got, expected, what)
    expect_no_grad(got, what)


def _similarity_matches(fn: Callable, role: str, text_a: str, text_b: str, word: str) -> None:
    tokenizer, model = _pair(role)
    pos_a, pos_b = _position_of(tokenizer, text_a, word), _position_of(tokenizer, text_b, word)
    a = _hidden_states(model, tokenizer, text_a)[:, pos_a]
    b = _hidden_states(model, tokenizer, text_b)[:, pos_b]
    expected = torch.nn.functional.cosine_similarity(a, b, dim=-1)
    what = f"layerwise_similarity(<{role}>, tokenizer, {text_a!r}, {pos_a}, {text_b!r}, {pos_b})"
    got = _call(fn, model, tokenizer, text_a, pos_a, text_b, pos_b)
    expect_shape(got, expected.shape, what, "(L+1,)")
    expect_close(got, expected, what, atol=1e-5)
    expect_no_grad(got, what)


def _prefix_shift_matches(fn: Callable, role: str, text_a: str, text_b: str) -> None:
    tokenizer, model = _pair(role)
    ids_a, ids_b = tokenizer(text_a).input_ids, tokenizer(text_b).input_ids
    shared = expected_values.shared_prefix_length(ids_a, ids_b)
    moved = (_hidden_states(model, tokenizer, text_a)[-1, :shared]
             - _hidden_states(model, tokenizer, text_b)[-1, :shared])
    expected = torch.linalg.vector_norm(moved, dim=-1)
    leading = next((p for p, i in enumerate(ids_a) if i not in tokenizer.all_special_ids), len(ids_a))
    what = f"prefix_shift(<{role}>, tokenizer, {text_a!r}, {text_b!r})"
    got = _call(fn, model, tokenizer, text_a, text_b)
    expect_type(got, torch.Tensor, what)
    expected_values.expect_prefix_shift_shape(got, expected, leading, what)
    expect_shape(got, expected.shape, what, "(P,)")
    expect_close(got, expected, what, atol=1e-4, rtol=1e-3)


# ------------------------------------------------------------------------------------ Part 3: softmax


def _softmax_matches_torch(fn: Callable) -> None:
    gen = torch.Generator().manual_seed(0)
    cases = [
        (torch.randn(7, generator=gen), -1),
        (torch.randn(4, 7, generator=gen), -1),
        (torch.randn(4, 7, generator=gen), 0),
        (torch.randn(2, 3, 5, generator=gen), 1),
    ]
    for logits, dim in cases:
        what = f"softmax(<tensor of shape {tuple(logits.shape)}>, dim={dim})"
        got = _call(fn, logits.clone(), dim)
        expect_shape(got, logits.shape, what, str(tuple(logits.shape)))
        expect_close(got, torch.softmax(logits, dim=dim), what, atol=1e-6)


def _softmax_is_stable(fn: Callable) -> None:
    logits = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]])
    for shifted, label in [
        (logits + 1000, "logits + 1000"),
        (logits - 1000, "logits - 1000"),
        (torch.tensor([0.0, -1e30, -50.0]), "[0, -1e30, -50]"),
    ]:
        what = f"softmax({label})"
        expect_close(_call(fn, shifted, -1), torch.softmax(shifted, dim=-1), what, atol=1e-6)


def _softmax_avoids_builtins(fn: Callable) -> None:
    with _NoBuiltinSoftmax("softmax"):
        _call(fn, torch.tensor([[0.5, -1.0, 2.0]]), -1)


def _classify_matches(fn: Callable, text: str) -> None:
    tokenizer, model = _pair("encoder")
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
    probs = torch.softmax(logits, dim=-1)
    expected = {model.config.id2label[i]: round(100 * p.item(), 1) for i, p in enumerate(probs)}
    what = f"classify(<encoder>, tokenizer, {text!r})"
    got = _call(fn, model, tokenizer, text)
    expect_type(got, dict, what)
    for label, value in got.items():
        expect_type(value, float, f"{what}[{label!r}]")
    if got and all(0 <= v <= 1.0001 for v in got.values()) and max(expected.values()) > 1:
        raise CheckFailed(f"{what}: the values look like fractions; give percentages (x 100)")
    expect_equal(got, expected, what, float_tol=0.1 + 1e-9)  # one rounding step of slack


def _top_k_matches(fn: Callable, prompt: str, k: int) -> None:
    tokenizer, model = _pair("decoder")
    scores = _reference_generate(model, tokenizer, prompt, 1)[1][0]  # generate's first step: [V]
    ranked = torch.sort(torch.softmax(scores, dim=-1), descending=True)
    ids, probs = ranked.indices[:k], ranked.values[:k]
    expected = [(tokenizer.decode([i]), p) for i, p in zip(ids.tolist(), probs.tolist(), strict=True)]
    what = f"top_k_next_tokens(<decoder>, tokenizer, {prompt!r}, {k})"
    got = _call(fn, model, tokenizer, prompt, k)
    expect_type(got, list, what)
    _hint_token_strings(got, ids.tolist(), tokenizer, what, want_decoded=True, item=0)
    if len(got) == k and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in got):
        values = [p[1] for p in got]
        if all(isinstance(v, float) for v in values) and values != sorted(values, reverse=True):
            raise CheckFailed(f"{what}: the tokens should be sorted, most probable first")
    expect_equal(got, expected, what, float_tol=1e-4)


# ---------------------------------------------------------------------------- Part 4: greedy decoding


def _next_token_matches(fn: Callable, role: str, prompt: str) -> None:
    tokenizer, model = _pair(role)
    input_ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        expected = int(model(input_ids).logits[0, -1].argmax())
    what = f"greedy_next_token(<{role}>, ids of {prompt!r})"
    with _no_generate("greedy_next_token"):
        got = _call(fn, model, input_ids)
    expect_equal(got, expected, what)


def _generate_matches(fn: Callable, role: str, prompt: str | None, max_new_tokens: int) -> None:
    tokenizer, model = _pair(role)
    if prompt is None:  # the eos-prone kit decoder documents a prompt after which it emits eos
        prompt = ((model.config.task_specific_params or {}).get("autograder") or {}).get("eos_prompt", PROMPT)
    ids, scores = _reference_generate(model, tokenizer, prompt, max_new_tokens)
    what = f"greedy_generate(<{role}>, tokenizer, {prompt!r}, {max_new_tokens})"
    with _no_generate("greedy_generate"):
        got = _call(fn, model, tokenizer, prompt, max_new_tokens)
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailed(f"{what}: expected a tuple (token ids, step logits), got a {type(got).__name__}")
    got_ids, got_logits = got
    stopped_early = len(ids) < len(tokenizer(prompt).input_ids) + max_new_tokens
    too_long = isinstance(got_ids, list) and len(got_ids) > len(ids)
    if stopped_early and ids[-1] == tokenizer.eos_token_id and too_long:
        raise CheckFailed(
            f"{what}: the model emitted the eos token, so generation should stop right after "
            "it (eos included)"
        )
    expect_equal(got_ids, ids, f"{what}[0] (the token ids)")
    expect_shape(got_logits, scores.shape, f"{what}[1] (the step logits)", "(steps, V)")
    expect_close(got_logits, scores, f"{what}[1] (the step logits)", atol=1e-3, rtol=1e-4)


def _decode_steps_match(fn: Callable, prompt: str, max_new_tokens: int) -> None:
    tokenizer, model = _pair("decoder")
    ids, _ = _reference_generate(model, tokenizer, prompt, max_new_tokens)
    prompt_length = len(tokenizer(prompt).input_ids)
    for start in (prompt_length, len(ids)):
        expected = [tokenizer.decode([i]) for i in ids[start:]]
        what = f"decode_steps(tokenizer, <ids>, {start})"
        got = _call(fn, tokenizer, ids, start)
        expect_type(got, list, what)
        _hint_token_strings(got, ids[start:], tokenizer, what, want_decoded=True)
        expect_equal(got, expected, what)


def _timed(fn: Callable, *args: Any) -> tuple[Any, float]:
    """(fn's result, the fastest of three runs in seconds)."""
    best, result = float("inf"), None
    for _ in range(3):
        start = time.perf_counter()
        result = _call(fn, *args)
        best = min(best, time.perf_counter() - start)
    return result, best


def _cached_matches_own_loop(fn: Callable, loop: Callable, role: str, prompt: str | None, steps: int) -> None:
    """greedy_generate_cached gives the ids of the student's own greedy_generate; both are timed."""
    tokenizer, model = _pair(role)
    if prompt is None:  # the eos-prone kit decoder documents a prompt after which it emits eos
        prompt = ((model.config.task_specific_params or {}).get("autograder") or {}).get("eos_prompt", PROMPT)
    with _no_generate(fn.__name__):
        got, fast = _timed(fn, model, tokenizer, prompt, steps)
    with _no_generate(loop.__name__):
        reference, slow = _timed(loop, model, tokenizer, prompt, steps)
    if not isinstance(reference, tuple) or len(reference) != 2:
        raise CheckFailed(f"{loop.__name__} should return (token ids, step logits); fix it first, then this "
                          "check compares the two loops")
    what = f"{fn.__name__}(<{role}>, tokenizer, {prompt!r}, {steps})"
    expect_type(got, list, what, "return the list of all token ids, as greedy_generate's first element")
    expect_equal(got, list(reference[0]), f"{what} (compared with your {loop.__name__})")
    print(f"  {role}, {steps} new tokens: {loop.__name__} {slow * 1000:.1f} ms, {fn.__name__} "
          f"{fast * 1000:.1f} ms")


# -------------------------------------------------------------------------------- the checks by function

CHECKS: dict[str, list[Callable[[Callable], None]]] = {
    # Part 1
    "model_input_table": [
        lambda f: _table_matches(f, "encoder", SENTENCE),
        lambda f: _table_matches(f, "decoder", PROMPT),
    ],
    "subword_splits": [
        lambda f: _splits_match(f, "encoder", WORDS),
        lambda f: _splits_match(f, "decoder", WORDS),
    ],
    "special_token_positions": [
        lambda f: _special_positions_match(f, "encoder", _bert_ids(SENTENCE)),
        lambda f: _special_positions_match(f, "encoder", _bert_ids(SENTENCE, "Yes.")),
        lambda f: _special_positions_match(f, "decoder", _gpt2_ids(PROMPT)[:-1]),
        lambda f: _special_positions_match(f, "decoder", _gpt2_ids(PROMPT)),
    ],
    "unknown_token_count": [
        lambda f: _unknown_count_matches(f, "encoder", UNKNOWN_TEXT),
        lambda f: _unknown_count_matches(f, "encoder", SENTENCE),
        lambda f: _unknown_count_matches(f, "decoder", UNKNOWN_TEXT),
    ],
    # Part 2
    "input_embedding": [
        lambda f: _embedding_matches(f, "encoder", SENTENCE, 2),
        lambda f: _embedding_matches(f, "decoder", PROMPT, 1),
    ],
    "hidden_state_stack": [
        lambda f: _stack_matches(f, "encoder", SENTENCE),
        lambda f: _stack_matches(f, "decoder", PROMPT),
    ],
    "token_trajectory": [
        lambda f: _trajectory_matches(f, "encoder", SENTENCE, 7),
        lambda f: _trajectory_matches(f, "decoder", PROMPT, 2),
    ],
    "sentence_vector": [
        lambda f: _sentence_vector_matches(f, "encoder", SENTENCE),
        lambda f: _sentence_vector_matches(f, "decoder", PROMPT),
    ],
    "layerwise_similarity": [
        lambda f: _similarity_matches(f, "encoder", RIVER, MONEY, "bank"),
        lambda f: _similarity_matches(f, "decoder", RIVER, MONEY, "bank"),
    ],
    "prefix_shift": [
        lambda f: _prefix_shift_matches(f, "encoder", GOOD_FILM, BAD_FILM),
        lambda f: _prefix_shift_matches(f, "decoder", GOOD_FILM, BAD_FILM),
    ],
    # Part 3
    "softmax": [_softmax_matches_torch, _softmax_is_stable, _softmax_avoids_builtins],
    "classify": [lambda f: _classify_matches(f, SENTENCE), lambda f: _classify_matches(f, NEGATIVE_SENTENCE)],
    "top_k_next_tokens": [lambda f: _top_k_matches(f, PROMPT, 5), lambda f: _top_k_matches(f, "Love", 1)],
    # Part 4
    "greedy_next_token": [lambda f: _next_token_matches(f, "decoder", PROMPT)],
    "greedy_generate": [
        lambda f: _generate_matches(f, "decoder", PROMPT, 1),
        lambda f: _generate_matches(f, "decoder", PROMPT, 8),
        lambda f: _generate_matches(f, "decoder_eos", None, 8),
    ],
    "decode_steps": [lambda f: _decode_steps_match(f, PROMPT, 5)],
    # Part 4, optional
    "greedy_generate_cached": [
        lambda f, loop: _cached_matches_own_loop(f, loop, "decoder", PROMPT, 24),
        lambda f, loop: _cached_matches_own_loop(f, loop, "decoder_eos", None, 8),
    ],
}
# Optional exercises (no points) -> the student's functions their check compares them with.
OPTIONAL: dict[str, tuple[str, ...]] = {"greedy_generate_cached": ("greedy_generate",)}
