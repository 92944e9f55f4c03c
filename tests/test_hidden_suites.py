"""The hidden suites prove both directions: the solution scores full marks, the untouched stubs score zero.

Three submissions are graded once each (module-scoped): the solution notebooks, the generated student
notebooks (stubs), and a small hand-written submission whose every function returns a well-typed WRONG value,
so that the value comparisons themselves run and their messages can be checked for leaked expected values.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from autograder.grading import worker
from autograder.grading.submission import locate
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

GRADED = [part for part in PARTS if part.points]

WRONG = {
    "part1_tokenization": '''
        def model_input_table(tokenizer, text):
            ids = tokenizer(text)["input_ids"]
            return [(i + 1, t) for i, t in zip(ids, tokenizer.convert_ids_to_tokens(ids))]

        def subword_splits(tokenizer, words):
            return {w: [w[:1], w[1:]] for w in words} if words else {"?": []}

        def special_token_positions(tokenizer, input_ids):
            return {"[X]": [1]}

        def unknown_token_count(tokenizer, text):
            return 7
    ''',
    "part2_hidden_states": '''
        import torch

        def _stack(model, tokenizer, text):
            with torch.no_grad():
                out = model(**tokenizer(text, return_tensors="pt"), output_hidden_states=True)
            return torch.stack(out.hidden_states)[:, 0]

        def input_embedding(model, input_ids, position):
            return model.get_input_embeddings().weight[0].detach() + 1

        def hidden_state_stack(model, tokenizer, text):
            return _stack(model, tokenizer, text) + 1

        def token_trajectory(model, tokenizer, text, position):
            return _stack(model, tokenizer, text)[:, position] * 2

        def sentence_vector(model, tokenizer, text):
            return _stack(model, tokenizer, text)[-1, -1] + 1

        def layerwise_similarity(model, tokenizer, text_a, position_a, text_b, position_b):
            return torch.full((_stack(model, tokenizer, text_a).shape[0],), 0.25)

        def prefix_shift(model, tokenizer, text_a, text_b):
            ids_a, ids_b = tokenizer(text_a)["input_ids"], tokenizer(text_b)["input_ids"]
            shared = next(p for p, (a, b) in enumerate(zip(ids_a + [-1], ids_b + [-2])) if a != b)
            return torch.full((shared,), 0.5)
    ''',
    "part3_softmax": '''
        import torch

        def softmax(logits, dim=-1):
            return torch.full_like(logits, 0.5)

        def classify(model, tokenizer, text):
            softmax(torch.zeros(2))
            return {label: 90.0 - 80.0 * i for i, label in model.config.id2label.items()}

        def top_k_next_tokens(model, tokenizer, prompt, k):
            softmax(torch.zeros(2))
            return [(" the", 0.5)] * k
    ''',
    "part4_greedy_decoding": '''
        import torch

        def greedy_next_token(model, input_ids):
            return 13

        def greedy_generate(model, tokenizer, prompt, max_new_tokens):
            ids = tokenizer(prompt)["input_ids"] + [13] * max_new_tokens
            return ids, torch.zeros(max_new_tokens, model.config.vocab_size)

        def decode_steps(tokenizer, token_ids, prompt_length):
            return ["x"] * (len(token_ids) - prompt_length + 1)
    ''',
}


@pytest.fixture(scope="module")
def grades(repo: Path, tmp_path_factory):
    wrong = tmp_path_factory.mktemp("wrong")
    for stem, source in WRONG.items():
        (wrong / f"{stem}.py").write_text("# %%\n" + textwrap.dedent(source).strip() + "\n")
    submissions = {"solution": repo / "solutions" / LAB_ID, "stub": repo / "assignments" / LAB_ID,
                   "wrong": wrong}
    out = tmp_path_factory.mktemp("graded")
    try:
        yield {name: worker.grade_one(name, locate(path, LAB), out / name, "offline")
               for name, path in submissions.items()}
    finally:
        worker.close()


def _outcomes(grade) -> dict[int, object]:
    return {outcome.part.number: outcome for outcome in grade.parts}


def test_solution_scores_full_marks_per_part(grades):
    outcomes = _outcomes(grades["solution"])
    for part in GRADED:
        failed = [f"{t.number} {t.name}: {t.message}" for t in outcomes[part.number].tests if not t.passed]
        assert not failed, failed
        assert outcomes[part.number].score == part.points
    assert grades["solution"].score == sum(part.points for part in PARTS) == LAB.points


@pytest.mark.parametrize("name", ["stub", "wrong"])
def test_wrong_submissions_score_zero_on_every_test(grades, name):
    for outcome in grades[name].parts:
        passed = [f"{t.number} {t.name}" for t in outcome.tests if t.passed]
        assert not passed, passed
        assert outcome.score == 0
    assert grades[name].max_score == LAB.points


@pytest.mark.parametrize("name", ["solution", "stub", "wrong"])
def test_points_per_part_match_lab_parts(grades, name):
    outcomes = _outcomes(grades[name])
    for part in PARTS:
        assert sum(t.points for t in outcomes[part.number].tests) == part.points, part.stem


@pytest.mark.parametrize("name", ["solution", "stub", "wrong"])
def test_no_grader_faults_and_every_test_has_a_name(grades, name):
    for outcome in grades[name].parts:
        for test in outcome.tests:
            assert not test.fault, test.fault
            assert test.name and not test.name.startswith("test_"), f"{test.number} has no docstring name"
            if not test.passed:
                assert test.message, f"{test.number} failed without a message"


def test_stub_messages_say_not_implemented(grades):
    for outcome in grades["stub"].parts:
        for test in outcome.tests:
            assert "NotImplementedError" in test.message, (test.number, test.message)


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")  # inputs and the student's own strings
_POSITION = re.compile(r"index \[[\d, ]*\]")
_NUMBER_LIST = re.compile(r"\[\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*,")  # e.g. [101, 2054, ...
_LONG_NUMBER = re.compile(r"\d{5,}|\d\.\d{5,}")  # token ids, floats printed with full precision


@pytest.mark.parametrize("name", ["stub", "wrong"])
def test_failure_messages_reveal_no_expected_values(grades, name):
    for outcome in grades[name].parts:
        for test in outcome.tests:
            text = _POSITION.sub("", _QUOTED.sub("''", test.message))
            for pattern in (_NUMBER_LIST, _LONG_NUMBER):
                assert not pattern.search(text), (test.number, test.message)
            assert "tensor(" not in test.message, (test.number, test.message)
