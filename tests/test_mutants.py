"""The mutant generator of tests/mutants.py (`make mutants` grades every mutant; here only one function's).

Checks that every graded function yields mutants, that the lab's extra operators make the mistakes they are
named for, that every reviewed equivalent still matches a mutant, and, grading the mutants of one small
function with the real grader, that a survivor fails the run and is listed with its diff while the reviewed
equivalents make it pass.
"""

from __future__ import annotations

import io

import pytest
from corpus import BASES
from mutants import (
    BASELINE,
    EQUIVALENTS,
    generate,
    grade_mutants,
    judge,
    load_equivalents,
    main,
    report,
    stale_entries,
)
from rich.console import Console

from autograder.build.assignments import graded_functions

SMALL = "model_input_table"  # 3 reviewed equivalents among its mutants; Part 1 needs no model


@pytest.fixture(scope="module")
def mutants():
    return generate()


def _console() -> tuple[Console, io.StringIO]:
    text = io.StringIO()
    return Console(file=text, width=200), text


def test_every_graded_function_yields_distinct_mutants(mutants):
    graded = {name for path in BASES["solution"].glob("part*.py") for name in graded_functions(path)}
    assert {"model_input_table", "prefix_shift", "softmax", "greedy_generate"} <= graded  # every part is read
    counts = {name: sum(m.function == name for m in mutants) for name in graded}
    assert all(count >= 3 for count in counts.values()), counts
    assert len({m.name for m in mutants}) == len(mutants), "two mutants share a name"
    for mutant in mutants:
        assert mutant.source != mutant.original and mutant.before and mutant.after, mutant.name
        compile(mutant.source, mutant.name, "exec")


DECODE = "return [tokenizer.decode([token_id]) for token_id in token_ids[{}]]"


@pytest.mark.parametrize(("function", "operator", "before", "after"), [
    ("decode_steps", "off_by_one", DECODE.format("prompt_length:"), DECODE.format("prompt_length - 1:")),
    ("greedy_generate", "off_by_one", "for _ in range(max_new_tokens):",
     "for _ in range(max_new_tokens + 1):"),
    ("softmax", "wrong_dim", "return exps / exps.sum(dim=dim, keepdim=True)",
     "return exps / exps.sum(dim=-1, keepdim=True)"),
    ("sentence_vector", "first_last", "return hidden_state_stack(model, tokenizer, text)[-1, 0]",
     "return hidden_state_stack(model, tokenizer, text)[0, 0]"),
    ("greedy_next_token", "drop_index", "return int(logits[0, -1].argmax())",
     "return int(logits[0].argmax())"),
    ("classify", "unwrap_call", "probabilities = softmax(logits).tolist()",
     "probabilities = logits.tolist()"),
    ("greedy_generate", "remove_statement", "if next_id == tokenizer.eos_token_id:\nbreak", "pass"),
    ("subword_splits", "name", 'input_ids = tokenizer(word, add_special_tokens=False)["input_ids"]',
     'input_ids = tokenizer(word, add_special_tokens=True)["input_ids"]'),  # one of mutmut's own
])
def test_operators_make_the_mistakes_they_are_named_for(mutants, function, operator, before, after):
    assert (function, operator, before, after) in {m.key for m in mutants}


def test_every_reviewed_equivalent_matches_a_mutant(mutants):
    equivalents = load_equivalents()
    assert equivalents and all(reason.strip() for reason in equivalents.values())
    assert stale_entries(equivalents, mutants) == []
    strict = ("model_input_table", "name",
              "return list(zip(input_ids, tokenizer.convert_ids_to_tokens(input_ids), strict=True))",
              "return list(zip(input_ids, tokenizer.convert_ids_to_tokens(input_ids), strict=False))")
    assert strict in equivalents


def test_an_unknown_function_is_refused(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--functions", "softmax", "no_such_function"])
    assert exited.value.code == 2 and "not a graded function: no_such_function" in capsys.readouterr().err


def test_stale_equivalent_fails_the_run(tmp_path):
    listed = tmp_path / "equivalent.toml"
    listed.write_text(EQUIVALENTS.read_text() + '\n[[equivalent]]\nfunction = "decode_steps"\n'
                      'operator = "name"\nbefore = "x = 1"\nafter = "x = 2"\nreason = "gone"\n')
    mutants = generate(["decode_steps"])
    stale = stale_entries(load_equivalents(listed), mutants)
    assert stale == [("decode_steps", "name", "x = 1", "x = 2")]
    console, text = _console()
    assert report([], stale, console) == 1 and "match no mutant" in text.getvalue()


def test_a_grader_fault_is_no_kill():
    mutant = generate(["decode_steps"])[0]
    full = {"part1": "20", "part2": "25", "part3": "20", "part4": "25", "status": "graded"}
    rows = {BASELINE: full, mutant.name: {**full, "part4": "", "status": "error: RuntimeError: boom"}}
    outcomes = judge([mutant], rows, {})
    assert [(o.status, o.detail) for o in outcomes] == [("error", "error: RuntimeError: boom")]
    console, text = _console()
    assert report(outcomes, [], console) == 1 and "grader failed on" in text.getvalue()


@pytest.fixture(scope="module")
def graded_small(tmp_path_factory):
    """SMALL's reviewed equivalent mutants, two others and the solution, in one real grade-all batch."""
    equivalents = load_equivalents()
    mutants = generate([SMALL])
    others = [m for m in mutants if m.key not in equivalents]
    chosen = [m for m in mutants if m.key in equivalents] + others[:2]
    rows = grade_mutants(chosen, tmp_path_factory.mktemp("mutants"), _console()[0])
    return chosen, rows


@pytest.mark.slow  # graded_small is a real grade-all batch: 17 s of the default tier
def test_a_survivor_fails_the_run_and_is_listed_with_its_diff(graded_small):
    mutants, rows = graded_small
    console, text = _console()
    assert report(judge(mutants, rows, {}), [], console) == 1
    shown = text.getvalue()
    assert "Surviving mutants" in shown and "Under 95%: part1" in shown
    assert "+    return list(zip(input_ids, tokenizer.convert_ids_to_tokens(input_ids), strict=False))" \
        in shown


@pytest.mark.slow
def test_reviewed_equivalents_make_the_run_pass(graded_small):
    mutants, rows = graded_small
    outcomes = judge(mutants, rows, load_equivalents())
    assert [o.status for o in outcomes] == ["equivalent"] * 3 + ["killed"] * 2
    console, text = _console()
    assert report(outcomes, [], console) == 0
    assert "100.0%" in text.getvalue() and "Surviving" not in text.getvalue()
