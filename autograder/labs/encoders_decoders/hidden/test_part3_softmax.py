"""Hidden tests of Part 3 (softmax over logits): 20 points (softmax 8, classify 6, top_k_next_tokens 6).

Decisions:
- Every softmax call forbids the built-in softmax family (`forbid=("softmax",)`): an answer that calls
  torch.softmax has no value for this exercise, so it earns none of softmax's points; the 1-point test
  "computes softmax by hand" states the rule by name in the report.
- classify and top_k_next_tokens cannot forbid the built-ins, because the models' attention layers call them.
  They are checked by value against torch.softmax of the model's logits, and separately for using the
  student's own `softmax`, as the exercise asks: it must be called (`spy=("softmax",)`), and with its
  result reversed (`flip=("softmax",)`) the answer must follow it, so a call made for show does not count.
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

NAMES = {"encoder": "DistilBERT classifier", "encoder_alt": "BERT classifier", "decoder": "GPT-2",
         "decoder_alt": "Llama-style decoder"}
OWN_SOFTMAX = "use the softmax function you wrote above to turn the logits into probabilities"


def _logits(*shape: int, seed: int, scale: float = 3.0) -> torch.Tensor:
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _check_softmax(student, logits: torch.Tensor, dim: int | None, label: str, atol: float = 1e-6) -> None:
    what = f"softmax({label})" if dim is None else f"softmax({label}, dim={dim})"
    args = (logits,) if dim is None else (logits, dim)
    got = student.call("softmax", *args, forbid=("softmax",))
    expect_shape(got, tuple(logits.shape), what)
    expected = torch.softmax(logits, dim=-1 if dim is None else dim)
    expect_close(got, expected, what, atol=atol, rtol=1e-4)


# ----------------------------------------------------------------------------------------- softmax: 8


@points(3)
def test_softmax_matches_torch_last_dim(student):
    """softmax matches torch.softmax on random 2-D logits along the last dimension (and by default)"""
    logits = _logits(5, 11, seed=11)
    _check_softmax(student, logits, -1, "<random logits of shape (5, 11)>")
    _check_softmax(student, logits, None, "<random logits of shape (5, 11)> with the default dim")


@points(2)
def test_softmax_matches_torch_any_dim(student):
    """softmax matches torch.softmax along other dimensions of 1-D and 3-D logits"""
    cube = _logits(2, 3, 4, seed=12)
    for dim in (0, 1, -2):
        _check_softmax(student, cube, dim, "<random logits of shape (2, 3, 4)>")
    _check_softmax(student, _logits(9, seed=13), 0, "<random logits of shape (9,)>")


@points(2)
def test_softmax_stable_for_large_and_very_negative_logits(student):
    """softmax is numerically stable: logits + 1000 and very negative logits give no NaN or inf"""
    base = _logits(3, 6, seed=14)
    _check_softmax(student, base + 1000, -1, "<logits + 1000>")
    _check_softmax(student, base - 1000, -1, "<logits - 1000>")
    extreme = torch.tensor([[0.0, -1e30, -50.0], [-1e30, -1e30, 3.0]])
    _check_softmax(student, extreme, -1, "<logits with entries of -1e30>")
    _check_softmax(student, base.T * 200, 0, "<logits * 200>")


@points(1)
def test_softmax_avoids_builtin_softmax(student):
    """softmax computes by hand (no torch.softmax / F.softmax / log_softmax)"""
    _check_softmax(student, torch.tensor([[0.5, -1.0, 2.0, 0.0]]), -1, "<logits of shape (1, 4)>")


# ---------------------------------------------------------------------------------------- classify: 6


def _expected_classes(reference, role: str, text: str, flip: bool = False) -> dict[str, tuple[float, ...]]:
    """Label -> the acceptable rounded percentages: one, or two when the exact value is so close to a
    rounding boundary (x.x5) that a correct hand-written softmax may round either way. With `flip`, as
    computed from a softmax whose result is reversed (see StudentProcess.call)."""
    tok, mdl = reference(role)
    with torch.no_grad():
        logits = mdl(**tok(text, return_tensors="pt")).logits[0]
    if flip:
        logits = logits.flip(-1)
    percents = (100 * torch.softmax(logits.double(), dim=-1)).tolist()
    return {mdl.config.id2label[i]: tuple(sorted({round(p - 1e-4, 1), round(p + 1e-4, 1)}))
            for i, p in enumerate(percents)}


def _check_classify(student, reference, role: str, text: str, spy: tuple[str, ...] = (),
                    flip: tuple[str, ...] = ()) -> None:
    expected = _expected_classes(reference, role, text, flip=bool(flip))
    what = f"classify(<{NAMES[role]}>, tokenizer, {text!r})"
    got = student.call("classify", model(role), tokenizer(role), text, spy=spy, flip=flip)
    expect_type(got, dict, what)
    for label, value in got.items():
        expect_type(value, float, f"{what}[{label!r}]", "round(100 * probability, 1) is a float")
    if got and all(0 <= v <= 1.0001 for v in got.values()) and max(max(v) for v in expected.values()) > 1:
        raise CheckFailed(f"{what}: the values look like fractions; give percentages (x 100)")
    for label, value in got.items():
        if abs(value - round(value, 1)) > 1e-4:
            raise CheckFailed(f"{what}[{label!r}]: round the percentage to one decimal (round(x, 1))")
    if set(got) in ({str(i) for i in range(len(expected))}, set(range(len(expected)))):
        raise CheckFailed(f"{what}: the keys should be the label names from model.config.id2label")
    # Each label's reference is the acceptable rounding nearest to the student's value (any value, when the
    # label is missing, which expect_equal then reports); 1e-4 of slack covers rounding in float32.
    chosen = {label: min(options, key=lambda option: abs(option - got.get(label, option)))
              for label, options in expected.items()}
    expect_equal(got, chosen, what, float_tol=1e-4)


@points(2)
def test_classify_matches_softmax_of_logits_distilbert(student, reference):
    """classify equals the percent softmax of the classifier's logits (DistilBERT, emoji and numbers)"""
    _check_classify(student, reference, "encoder", "Absolutely loved it!!! 10/10, would watch again 🍿")


@points(2)
def test_classify_matches_softmax_of_logits_bert(student, reference):
    """classify equals the percent softmax of the classifier's logits (BERT, several sentences)"""
    _check_classify(student, reference, "encoder_alt",
                    "The plot was thin. The acting? Wooden. Still, the soundtrack by Zoë was superb.")


@points(2)
def test_classify_uses_own_softmax(student, reference):
    """classify uses your softmax function"""
    text = "  Not bad at all, though a little long."
    _check_classify(student, reference, "encoder", text, spy=("softmax",))
    what = f"classify(<{NAMES['encoder']}>, tokenizer, {text!r})"
    if student.last_spied.get("softmax", 0) == 0:
        raise CheckFailed(f"{what} did not call your softmax function: {OWN_SOFTMAX}")
    # Called is not used: with your softmax's result reversed, the percentages must follow it.
    try:
        _check_classify(student, reference, "encoder", text, flip=("softmax",))
    except CheckFailed:
        raise CheckFailed(f"{what}: its percentages do not come from your softmax function: "
                          f"{OWN_SOFTMAX}") from None


# ------------------------------------------------------------------------------- top_k_next_tokens: 6


def _next_token_probabilities(reference, role: str, prompt: str) -> torch.Tensor:
    """Reference: the softmax of the last position's logits after `prompt`, shape [V]."""
    tok, mdl = reference(role)
    with torch.no_grad():
        return torch.softmax(mdl(**tok(prompt, return_tensors="pt")).logits[0, -1], dim=-1)


def _check_top_k(student, reference, role: str, prompt: str, k: int, spy: tuple[str, ...] = ()) -> None:
    tok, _ = reference(role)
    probs, ids = _next_token_probabilities(reference, role, prompt).topk(k)
    ids = ids.tolist()
    expected = [(tok.decode([i]), p) for i, p in zip(ids, probs.tolist(), strict=True)]
    what = f"top_k_next_tokens(<{NAMES[role]}>, tokenizer, {prompt!r}, {k})"
    got = student.call("top_k_next_tokens", model(role), tokenizer(role), prompt, k, spy=spy)
    expect_type(got, list, what)
    pairs = all(isinstance(p, (tuple, list)) and len(p) == 2 for p in got)
    if pairs and len(got) == k:
        tokens = [p[0] for p in got]
        if tokens == tok.convert_ids_to_tokens(ids) and tokens != [e[0] for e in expected]:
            raise CheckFailed(f"{what}: these are vocabulary tokens (like 'Ġthe'); decode each id with "
                              "tokenizer.decode([id])")
        values = [p[1] for p in got]
        if all(isinstance(v, float) for v in values) and values != sorted(values, reverse=True):
            raise CheckFailed(f"{what}: the tokens should be sorted, most probable first")
        if all(isinstance(v, float) for v in values) and any(v > 1.0 or v < 0.0 for v in values):
            raise CheckFailed(f"{what}: these are not probabilities (each must lie between 0 and 1): return "
                              "your softmax of the last position's logits, not percentages or raw logits")
    expect_equal(got, expected, what, float_tol=1e-5)


@points(2)
def test_top_k_matches_softmax_topk_gpt2(student, reference):
    """top_k_next_tokens equals torch.topk of the softmaxed last logits (GPT-2, k=5)"""
    _check_top_k(student, reference, "decoder", "  The café on 5th Avenue serves", 5)


@points(2)
def test_top_k_matches_softmax_topk_llama(student, reference):
    """top_k_next_tokens equals torch.topk of the softmaxed last logits (Llama-style decoder, k=3)"""
    _check_top_k(student, reference, "decoder_alt", "Numbers like 3.14159 and emoji 🚀 are", 3)


@points(1)
def test_top_k_matches_softmax_topk_single(student, reference):
    """top_k_next_tokens with k=1 gives a list of one (token, probability) pair"""
    _check_top_k(student, reference, "decoder", "Zürich", 1)


@points(1)
def test_top_k_uses_own_softmax(student, reference):
    """top_k_next_tokens uses your softmax function"""
    prompt = "Once more, with feeling:"
    _check_top_k(student, reference, "decoder", prompt, 4, spy=("softmax",))
    what = f"top_k_next_tokens(<{NAMES['decoder']}>, tokenizer, {prompt!r}, 4)"
    if student.last_spied.get("softmax", 0) == 0:
        raise CheckFailed(f"{what} did not call your softmax function: {OWN_SOFTMAX}")
    # Called is not used: with your softmax's result reversed, each probability returned must be what it
    # gives for that token (whether the ranking came from it or from the logits).
    tok, _ = reference("decoder")
    flipped = _next_token_probabilities(reference, "decoder", prompt).flip(-1)
    got = student.call("top_k_next_tokens", model("decoder"), tokenizer("decoder"), prompt, 4,
                       flip=("softmax",))
    if not (isinstance(got, list) and got and all(_from_distribution(tok, flipped, pair) for pair in got)):
        raise CheckFailed(f"{what}: its probabilities do not come from your softmax function: {OWN_SOFTMAX}")


def _from_distribution(tok, probabilities: torch.Tensor, pair) -> bool:
    """Whether `pair` = (token, p) is a token whose probability in `probabilities` ([V]) is p."""
    if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[1], float)):
        return False
    token, p = pair
    candidates = torch.nonzero((probabilities - p).abs() <= 1e-4 * p).flatten().tolist()
    return any(tok.decode([i]) == token for i in candidates)
