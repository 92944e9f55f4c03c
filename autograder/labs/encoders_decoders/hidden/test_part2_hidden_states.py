"""Hidden tests of Part 2 (embeddings and hidden states): 25 points, 4 per function of Exercises 2.1-2.5 and
5 for prefix_shift (2.6).

Each function is tried on more than one architecture (BERT and DistilBERT encoders, GPT-2 and a Llama-style
decoder), so code that hard-codes `model.distilbert` or `model.transformer.wte` loses the other models' tests.
Expected values come from `model.get_input_embeddings()` and `model(..., output_hidden_states=True)`.
prefix_shift is tried on both architectures of each role, so an answer that only holds for one kind of
model (zeros, as a decoder gives; a leading [CLS] assumed, as an encoder has) loses points on both
architectures of the other role.
Tensors cross the process boundary without `requires_grad`, so "no gradients" is not checked here (the
public checks do that in the student's own process).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.grading.suite import points
from autograder.labs.encoders_decoders import expected as expected_values
from autograder.labs.encoders_decoders.compare import CheckFailed, expect_close, expect_shape, expect_type
from autograder.runner.placeholders import model, tokenizer
from autograder.runner.student import StudentFailure

NAMES = {"encoder": "DistilBERT classifier", "encoder_alt": "BERT classifier", "decoder": "GPT-2",
         "decoder_alt": "Llama-style decoder"}

SENTENCES_TEXT = "Prices rose 3.5% in 2023. Économistes were surprised! Nobody expected it."
SPACES_EMOJI_TEXT = "  Two leading spaces, an emoji 🎉 and the number 42."
RARE_TEXT = "Antidisestablishmentarianism? Naïve, perhaps, but 100% sincere."
BAT_FLYING, BAT_BASEBALL = "The bat flew out of the cave at dusk.", "He swung the baseball bat and missed."
SPRING_SEASON, SPRING_COIL = "Flowers bloom every spring in Kyoto.", "The old mattress has a broken spring."
CAT_SHORT, CAT_LONG = "The cat sat", "The cat sat on the mat."
CATS, DOGS = "Cats sleep all day.", "Dogs bark at night."

GENERIC = ("it must work for any model: use the generic interface (model(**inputs, "
           "output_hidden_states=True), model.get_input_embeddings()), not attributes of one architecture")


def _call(student, function: str, *args, answer_size: int):
    """The student's value; an AttributeError on a model gets a hint about architecture-specific code."""
    try:
        return student.call(function, *args, answer_size=answer_size)
    except StudentFailure as exc:
        if exc.kind == "raised" and "AttributeError" in str(exc) and "has no attribute" in str(exc):
            raise CheckFailed(f"{exc}; {GENERIC}") from None
        raise


def _expect_depths(got, expected: torch.Tensor, what: str) -> None:
    """A clear message when the result is one depth short: which end is missing, if either matches."""
    if not isinstance(got, torch.Tensor) or got.dim() != expected.dim():
        return
    if got.shape[0] != expected.shape[0] - 1 or tuple(got.shape[1:]) != tuple(expected.shape[1:]):
        return
    if torch.allclose(got.float(), expected[:-1], atol=1e-5):
        raise CheckFailed(f"{what}: the last layer's output is missing: keep every entry of hidden_states, "
                          "the embedding output first, then one per layer")
    raise CheckFailed(f"{what}: one entry per layer but the embedding output is missing: "
                      "hidden_states[0] (the embedding output) comes first, then one per layer")


def _states_size(reference, role: str, *texts: str) -> int:
    """How many numbers every hidden state of `texts` holds: a bound on any answer about them (a correct
    one is smaller), which the grader's reply cap follows."""
    tok, mdl = reference(role)
    tokens = sum(len(tok(text)["input_ids"]) for text in texts)
    return (mdl.config.num_hidden_layers + 1) * tokens * mdl.config.hidden_size


def _hidden_states(reference, role: str, text: str) -> torch.Tensor:
    """Reference: every hidden state for `text`, shape [L+1, T, H]."""
    tok, mdl = reference(role)
    with torch.no_grad():
        out = mdl(**tok(text, return_tensors="pt"), output_hidden_states=True)
    return torch.stack(out.hidden_states)[:, 0]


def _position_of(reference, role: str, text: str, word: str) -> int:
    tok, _ = reference(role)
    tokens = tok.convert_ids_to_tokens(tok(text)["input_ids"])
    return next(i for i, t in enumerate(tokens) if t.lstrip("Ġ") == word)


# ------------------------------------------------------------------------------- input_embedding: 5


def _check_embedding(student, reference, role: str, text: str, position: int | None = None) -> None:
    tok, mdl = reference(role)
    input_ids = tok(text, return_tensors="pt")["input_ids"]  # [1, T]
    position = input_ids.shape[1] - 1 if position is None else position
    expected = mdl.get_input_embeddings().weight[input_ids[0, position]].detach()
    what = f"input_embedding(<{NAMES[role]}>, <ids of {text!r}>, {position})"
    got = _call(student, "input_embedding", model(role), input_ids, position,
                answer_size=_states_size(reference, role, text))
    expect_shape(got, tuple(expected.shape), what, "(H,)")
    embedding_output = _hidden_states(reference, role, text)[0, position]
    if not torch.allclose(embedding_output, expected, atol=1e-5) and \
            torch.allclose(got.float(), embedding_output, atol=1e-5):
        raise CheckFailed(f"{what}: this is hidden_states[0], the embedding OUTPUT (position embeddings "
                          "and normalisation already applied); return the raw row of "
                          "model.get_input_embeddings()")
    expect_close(got, expected, what)


@points(2)
def test_embedding_matches_embedding_matrix_bert(student, reference):
    """input_embedding equals the embedding-matrix row (BERT, several sentences)"""
    _check_embedding(student, reference, "encoder_alt", SENTENCES_TEXT, 5)


@points(1)
def test_embedding_matches_embedding_matrix_gpt2(student, reference):
    """input_embedding equals the embedding-matrix row (GPT-2, last position, leading spaces and emoji)"""
    _check_embedding(student, reference, "decoder", SPACES_EMOJI_TEXT)


@points(1)
def test_embedding_matches_embedding_matrix_llama(student, reference):
    """input_embedding equals the embedding-matrix row (Llama-style decoder, position 0)"""
    _check_embedding(student, reference, "decoder_alt", RARE_TEXT, 0)


# ---------------------------------------------------------------------------- hidden_state_stack: 5


def _check_stack(student, reference, role: str, text: str) -> None:
    expected = _hidden_states(reference, role, text)
    what = f"hidden_state_stack(<{NAMES[role]}>, tokenizer, {text!r})"
    got = _call(student, "hidden_state_stack", model(role), tokenizer(role), text,
                answer_size=_states_size(reference, role, text))
    if isinstance(got, (list, tuple)):
        raise CheckFailed(f"{what}: expected one tensor, got a {type(got).__name__}; stack the hidden states "
                          "with torch.stack")
    _expect_depths(got, expected, what)
    expect_shape(got, tuple(expected.shape), what, "(L+1, T, H)")
    expect_close(got, expected, what)


@points(2)
def test_stack_matches_output_hidden_states_bert(student, reference):
    """hidden_state_stack equals output_hidden_states (BERT, several sentences)"""
    _check_stack(student, reference, "encoder_alt", SENTENCES_TEXT)


@points(1)
def test_stack_matches_output_hidden_states_llama(student, reference):
    """hidden_state_stack equals output_hidden_states (Llama-style decoder, leading spaces and emoji)"""
    _check_stack(student, reference, "decoder_alt", SPACES_EMOJI_TEXT)


@points(1)
def test_stack_matches_output_hidden_states_distilbert(student, reference):
    """hidden_state_stack equals output_hidden_states (DistilBERT, a long rare word)"""
    _check_stack(student, reference, "encoder", RARE_TEXT)


# ------------------------------------------------------------------------------ token_trajectory: 5


def _check_trajectory(student, reference, role: str, text: str, position: int | None = None) -> None:
    stack = _hidden_states(reference, role, text)
    position = stack.shape[1] - 1 if position is None else position
    expected = stack[:, position]
    what = f"token_trajectory(<{NAMES[role]}>, tokenizer, {text!r}, {position})"
    got = _call(student, "token_trajectory", model(role), tokenizer(role), text, position,
                answer_size=_states_size(reference, role, text))
    _expect_depths(got, expected, what)
    expect_shape(got, tuple(expected.shape), what, "(L+1, H)")
    expect_close(got, expected, what)


@points(2)
def test_trajectory_matches_hidden_states_bert_last_position(student, reference):
    """token_trajectory equals the hidden states at one position (BERT, the final [SEP])"""
    _check_trajectory(student, reference, "encoder_alt", RARE_TEXT)


@points(1)
def test_trajectory_matches_hidden_states_llama(student, reference):
    """token_trajectory equals the hidden states at one position (Llama-style decoder)"""
    _check_trajectory(student, reference, "decoder_alt", SENTENCES_TEXT, 6)


@points(1)
def test_trajectory_matches_hidden_states_gpt2(student, reference):
    """token_trajectory equals the hidden states at one position (GPT-2, leading spaces)"""
    _check_trajectory(student, reference, "decoder", SPACES_EMOJI_TEXT, 3)


# ------------------------------------------------------------------------------- sentence_vector: 5


def _check_sentence_vector(student, reference, role: str, text: str) -> None:
    stack = _hidden_states(reference, role, text)
    expected = stack[-1, 0]
    what = f"sentence_vector(<{NAMES[role]}>, tokenizer, {text!r})"
    got = _call(student, "sentence_vector", model(role), tokenizer(role), text,
                answer_size=_states_size(reference, role, text))
    expect_shape(got, tuple(expected.shape), what, "(H,)")
    if torch.allclose(got.float(), stack[-1].mean(0), atol=1e-5):
        raise CheckFailed(f"{what}: this is the mean over all tokens; return the first token's vector")
    if torch.allclose(got.float(), stack[0, 0], atol=1e-5):
        raise CheckFailed(f"{what}: this is the embedding output; return the LAST layer's vector")
    expect_close(got, expected, what)


@points(2)
def test_sentence_vector_matches_last_layer_first_token_bert(student, reference):
    """sentence_vector equals the last hidden state of the first token (BERT)"""
    _check_sentence_vector(student, reference, "encoder_alt", SPACES_EMOJI_TEXT)


@points(1)
def test_sentence_vector_matches_last_layer_first_token_distilbert(student, reference):
    """sentence_vector equals the last hidden state of the first token (DistilBERT)"""
    _check_sentence_vector(student, reference, "encoder", SENTENCES_TEXT)


@points(1)
def test_sentence_vector_matches_last_layer_first_token_llama(student, reference):
    """sentence_vector equals the last hidden state of the first token (Llama-style decoder)"""
    _check_sentence_vector(student, reference, "decoder_alt", RARE_TEXT)


# -------------------------------------------------------------------------- layerwise_similarity: 5


def _check_similarity(student, reference, role: str, text_a: str, text_b: str, word: str) -> None:
    pos_a, pos_b = _position_of(reference, role, text_a, word), _position_of(reference, role, text_b, word)
    a = _hidden_states(reference, role, text_a)[:, pos_a]
    b = _hidden_states(reference, role, text_b)[:, pos_b]
    expected = F.cosine_similarity(a, b, dim=-1)
    what = f"layerwise_similarity(<{NAMES[role]}>, tokenizer, {text_a!r}, {pos_a}, {text_b!r}, {pos_b})"
    got = _call(student, "layerwise_similarity", model(role), tokenizer(role), text_a, pos_a, text_b, pos_b,
                answer_size=_states_size(reference, role, text_a, text_b))
    _expect_depths(got, expected, what)
    expect_shape(got, tuple(expected.shape), what, "(L+1,)")
    expect_close(got, expected, what, atol=1e-5)


@points(2)
def test_similarity_matches_cosine_of_hidden_states_bert(student, reference):
    """layerwise_similarity equals the cosine of the two tokens' hidden states (BERT, 'bat' in two senses)"""
    _check_similarity(student, reference, "encoder_alt", BAT_FLYING, BAT_BASEBALL, "bat")


@points(1)
def test_similarity_matches_cosine_of_hidden_states_llama(student, reference):
    """layerwise_similarity equals the cosine of the two tokens' hidden states (Llama-style decoder)"""
    _check_similarity(student, reference, "decoder_alt", BAT_FLYING, BAT_BASEBALL, "bat")


@points(1)
def test_similarity_matches_cosine_of_hidden_states_distilbert(student, reference):
    """layerwise_similarity equals the cosine of the two tokens' hidden states (DistilBERT, 'spring')"""
    _check_similarity(student, reference, "encoder", SPRING_SEASON, SPRING_COIL, "spring")


# ---------------------------------------------------------------------------------- prefix_shift: 5


def _check_prefix_shift(student, reference, role: str, text_a: str, text_b: str) -> None:
    tok, _ = reference(role)
    ids_a, ids_b = tok(text_a)["input_ids"], tok(text_b)["input_ids"]
    shared = expected_values.shared_prefix_length(ids_a, ids_b)
    moved = (_hidden_states(reference, role, text_a)[-1, :shared]
             - _hidden_states(reference, role, text_b)[-1, :shared])  # [P, H]
    expected = torch.linalg.vector_norm(moved, dim=-1)  # [P]
    leading = next((p for p, i in enumerate(ids_a) if i not in tok.all_special_ids), len(ids_a))
    what = f"prefix_shift(<{NAMES[role]}>, tokenizer, {text_a!r}, {text_b!r})"
    got = _call(student, "prefix_shift", model(role), tokenizer(role), text_a, text_b,
                answer_size=_states_size(reference, role, text_a, text_b))
    expect_type(got, torch.Tensor, what)
    expected_values.expect_prefix_shift_shape(got, expected, leading, what)
    expect_shape(got, tuple(expected.shape), what, "(P,)")
    expect_close(got, expected, what, atol=1e-4, rtol=1e-3)


@points(1)
def test_prefix_shift_encoder_prefix_moves_distilbert(student, reference):
    """prefix_shift: every shared position of an encoder moves (DistilBERT, the last word differs)"""
    _check_prefix_shift(student, reference, "encoder", BAT_FLYING, BAT_FLYING.replace("dusk", "dawn"))


@points(1)
def test_prefix_shift_encoder_prefix_moves_bert(student, reference):
    """prefix_shift: every shared position of an encoder moves (BERT, one text is the other's start)"""
    _check_prefix_shift(student, reference, "encoder_alt", CAT_SHORT, CAT_LONG)


@points(1)
def test_prefix_shift_encoder_only_cls_shared_bert(student, reference):
    """prefix_shift: two texts that share only [CLS] (BERT)"""
    _check_prefix_shift(student, reference, "encoder_alt", CATS, DOGS)


@points(1)
def test_prefix_shift_decoder_prefix_stays_gpt2(student, reference):
    """prefix_shift: a decoder's shared positions do not move (GPT-2, the last word differs; and two texts
    that share no first token, so no position)"""
    _check_prefix_shift(student, reference, "decoder", SPRING_SEASON, SPRING_SEASON.replace("Kyoto", "Paris"))
    _check_prefix_shift(student, reference, "decoder", CATS, DOGS)


@points(1)
def test_prefix_shift_decoder_prefix_stays_llama(student, reference):
    """prefix_shift: a decoder's shared positions do not move (Llama-style, one text is the other's start)"""
    _check_prefix_shift(student, reference, "decoder_alt", CAT_SHORT, CAT_LONG)
