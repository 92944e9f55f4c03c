"""Student stubs and notebooks are generated from the solutions: regions cleared, nothing leaked, in sync."""

import __future__

import dataclasses
import inspect
import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from autograder.build import leaks
from autograder.build.assignments import (
    build_assignments,
    graded_functions,
    notebook_units,
    render_assignment,
    runtime_cell,
    solution_regions,
)
from autograder.errors import UsageError
from autograder.labs.encoders_decoders import LAB as REAL_LAB

LAB = REAL_LAB.id
REPO = Path(__file__).resolve().parent.parent
HEADER = """\
# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""


def nbgrader(grade_id, grade=False, solution=False, task=False, **extra):
    """A percent-format ``nbgrader=`` cell option (schema 3, keys sorted as nbgrader writes them)."""
    meta = dict(grade=grade, grade_id=grade_id, locked=not solution, schema_version=3, solution=solution,
                task=task, **extra)
    return "nbgrader=" + json.dumps(dict(sorted(meta.items())))


SOLUTION = HEADER + f"""
# %% [markdown]
# # Softmax
#
# Some prose.

# %%
import math


# %% {nbgrader("q1_scale", solution=True)}
def scale(xs, factor):
    \"\"\"Multiply every element of ``xs`` by ``factor``.\"\"\"
    ### BEGIN SOLUTION
    # one comprehension does it
    doubled_secret = [x * factor for x in xs]

    return doubled_secret
    ### END SOLUTION


def helper(xs):
    \"\"\"Not an exercise, but in the same cell.\"\"\"
    return xs


# %% {nbgrader("q1_scale_check", grade=True, points=4)}
assert scale([1], 2) == [2]
### BEGIN HIDDEN TESTS
assert scale([3], 3) == [9], "hidden_secret_test"
### END HIDDEN TESTS

# %% [markdown] {nbgrader("q2_explain", grade=True, solution=True, points=2)}
# Explain softmax.
#
# ### BEGIN SOLUTION
# The model answer is secret_prose here.
# ### END SOLUTION

# %% [markdown] {nbgrader("r1_task", task=True, points=5)}
# Why do encoders see both sides?
#
# === BEGIN MARK SCHEME ===
# Full marks: bidirectional_secret attention.
# === END MARK SCHEME ===

# %% [markdown]
# YOUR ANSWER HERE
"""
SECRETS = ["doubled_secret", "one comprehension", "hidden_secret_test", "secret_prose",
           "bidirectional_secret", "MARK SCHEME", "BEGIN SOLUTION", "HIDDEN TESTS"]
STUB = ('    # YOUR CODE HERE (~2 lines)\n    raise NotImplementedError('
        '"scale: replace this line with your code (see the docstring above)")\n')


def lab_at(root):
    """The real lab's definition with its solutions and assignments under ``root``."""
    return dataclasses.replace(REAL_LAB, solutions=root / "solutions" / LAB,
                               assignments=root / "assignments" / LAB)


def write_lab(root, files):
    """Write ``{stem: text}`` as solution files of a synthetic lab under ``root``."""
    folder = root / "solutions" / LAB
    folder.mkdir(parents=True, exist_ok=True)
    for stem, text in files.items():
        (folder / f"{stem}.py").write_text(text, encoding="utf-8")
    return root / "assignments" / LAB


def cells_of(path):
    """(cell_type, source, nbgrader metadata) of every cell of a .py or .ipynb file."""
    notebook = jupytext.read(path)
    return [(cell.cell_type, cell.source, cell.metadata.get("nbgrader")) for cell in notebook.cells]


def exercise_cells(path):
    """Source of every code cell that students fill in (nbgrader ``solution: true``, ``grade_id`` q...)."""
    for cell in jupytext.read(path).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and meta["grade_id"].startswith("q"):
            yield meta["grade_id"], cell.source


def assert_every_function_raises(solution, stub, namespace):
    """Exec the stub's exercise cells (annotations unevaluated) and call each graded function of the solution
    with None arguments: each raises NotImplementedError naming itself, before looking at its arguments."""
    functions = graded_functions(solution)
    assert functions, f"{solution.name} has no graded functions"
    for grade_id, source in exercise_cells(stub):
        code = compile(source, f"{stub.name}:{grade_id}", "exec",
                       flags=__future__.annotations.compiler_flag, dont_inherit=True)
        exec(code, namespace)
    for name in functions:
        function = namespace[name]
        with pytest.raises(NotImplementedError, match=f"^{name}: replace this line"):
            function(*[None] * len(inspect.signature(function).parameters))


def test_solution_region_becomes_a_budgeted_stub_naming_the_function(tmp_path):
    out = write_lab(tmp_path, {"part1_demo": SOLUTION})
    build_assignments(lab_at(tmp_path), tmp_path)
    stub = (out / "part1_demo.py").read_text()
    assert STUB in stub
    assert 'def helper(xs):\n    """Not an exercise, but in the same cell."""\n    return xs\n' in stub


def test_markdown_solution_becomes_your_answer_here_and_secrets_are_gone(tmp_path):
    out = write_lab(tmp_path, {"part1_demo": SOLUTION})
    build_assignments(lab_at(tmp_path), tmp_path)
    stub = (out / "part1_demo.py").read_text()
    assert "# Explain softmax.\n#\n# YOUR ANSWER HERE\n" in stub
    assert "# Why do encoders see both sides?\n#\n\n" in stub
    assert "assert scale([1], 2) == [2]\n\n" in stub
    for text in (stub, (out / "part1_demo.ipynb").read_text()):
        for secret in SECRETS:
            assert secret not in text


def test_stub_is_the_solution_with_exactly_the_regions_changed():
    expected = SOLUTION
    for region, replacement in [
        (r"    ### BEGIN SOLUTION\n.*?    ### END SOLUTION\n", STUB),
        (r"# ### BEGIN SOLUTION\n.*?# ### END SOLUTION\n", "# YOUR ANSWER HERE\n"),
        (r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n", ""),
        (r"# === BEGIN MARK SCHEME ===\n.*?# === END MARK SCHEME ===\n", ""),
    ]:
        expected = re.sub(region, replacement, expected, count=1, flags=re.S)
    assert render_assignment(REAL_LAB, SOLUTION, "demo.py")[0] == expected


@pytest.mark.parametrize("edit, message", [
    (("    ### END SOLUTION\n", ""), r"demo\.py:\d+: BEGIN SOLUTION is not closed"),
    (("    ### BEGIN SOLUTION\n", ""), r"demo\.py:\d+: END SOLUTION without a matching BEGIN SOLUTION"),
    (("    # one comprehension does it\n", "    ### BEGIN SOLUTION\n"), r"demo\.py:\d+: BEGIN .* inside"),
    (("### END HIDDEN TESTS\n", "### END SOLUTION\n"), r"demo\.py:\d+: END SOLUTION .*HIDDEN TESTS is open"),
    ((nbgrader("q1_scale", solution=True), nbgrader("q1_scale")),
     r"demo\.py:\d+: a SOLUTION region must be in a cell .*\"solution\": true"),
    ((nbgrader("r1_task", task=True, points=5), nbgrader("r1_task", points=5)),
     r"demo\.py:\d+: a MARK SCHEME region must be in a cell"),
])
def test_bad_delimiters_are_an_error_naming_the_line(edit, message):
    broken = SOLUTION.replace(*edit)
    assert broken != SOLUTION
    with pytest.raises(UsageError, match=message) as error:
        render_assignment(REAL_LAB, broken, "demo.py")
    line = int(str(error.value).split(":")[1])
    assert any(word in broken.splitlines()[line - 1] for word in ("BEGIN", "END"))


def test_unparsable_solution_is_a_usage_error_with_the_file_name(tmp_path):
    write_lab(tmp_path, {"part1_demo": SOLUTION.replace("def helper(xs):", "def helper(xs:")})
    with pytest.raises(UsageError, match=r"part1_demo\.py:\d+: does not parse"):
        build_assignments(lab_at(tmp_path), tmp_path)
    bad_json = SOLUTION.replace('"task": false}\ndef scale', '"task": false\ndef scale')
    assert bad_json != SOLUTION
    with pytest.raises(UsageError, match=r"demo\.py:\d+: the cell metadata is not valid JSON"):
        render_assignment(REAL_LAB, bad_json, "demo.py")


def test_duplicate_grade_id_is_an_error_not_a_random_cell_id():
    duplicate = SOLUTION.replace(nbgrader("q2_explain", grade=True, solution=True, points=2),
                                 nbgrader("q1_scale", grade=True, solution=True, points=2))
    with pytest.raises(UsageError, match="grade_id 'q1_scale' is used twice"):
        render_assignment(REAL_LAB, duplicate, "demo.py")


def test_solution_cell_without_delimiters_is_replaced_whole_like_nbgrader():
    text = (HEADER + f'\n# %% {nbgrader("q9_all", solution=True)}\n'
            "answer_secret = 42\nprint(answer_secret)\n\n# %%\nx = 1\n")
    stub, _ = render_assignment(REAL_LAB, text, "demo.py")
    assert "answer_secret" not in stub
    assert '# YOUR CODE HERE (~2 lines)\nraise NotImplementedError("q9_all: replace' in stub
    assert stub.endswith("\n\n# %%\nx = 1\n")


def test_build_is_byte_deterministic_with_stable_cell_ids(tmp_path):
    out = write_lab(tmp_path / "a", {"part1_demo": SOLUTION})
    write_lab(tmp_path / "b", {"part1_demo": SOLUTION})
    build_assignments(lab_at(tmp_path / "a"), tmp_path / "a")
    build_assignments(lab_at(tmp_path / "b"), tmp_path / "b")
    for name in ("part1_demo.py", "part1_demo.ipynb"):
        assert (out / name).read_bytes() == (tmp_path / "b" / "assignments" / LAB / name).read_bytes()
    notebook = nbformat.read(out / "part1_demo.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert [cell.id for cell in notebook.cells] == [
        "cell-0", "cell-1", "q1_scale", "q1_scale_check", "q2_explain", "r1_task", "cell-6"]
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert (out / "part1_demo.ipynb").read_text().endswith("}\n")
    assert build_assignments(lab_at(tmp_path / "a"), tmp_path / "a") == []  # nothing to rewrite


def test_a_setup_cell_gets_the_runtime_cell_before_it_and_no_other_id_moves():
    with_setup = SOLUTION.replace("# %%\nimport math\n", f"# %% {nbgrader('setup')}\nimport math\n")
    assert with_setup != SOLUTION
    stub, notebook = render_assignment(REAL_LAB, with_setup, "demo.py")
    cells = nbformat.reads(notebook, as_version=4).cells
    assert [cell.id for cell in cells] == [
        "cell-0", "lab-runtime", "setup", "q1_scale", "q1_scale_check", "q2_explain", "r1_task", "cell-6"]
    assert cells[1].source == "".join(runtime_cell(REAL_LAB)[1:]).strip()
    assert stub.count('RUNTIME = ""\n') == 1
    # no setup cell: no runtime cell
    assert "lab-runtime" not in render_assignment(REAL_LAB, SOLUTION, "demo.py")[0]


def test_check_reports_stale_and_orphaned_files_and_writes_nothing(tmp_path):
    out = write_lab(tmp_path, {"part1_demo": SOLUTION, "part2_other": SOLUTION})
    assert build_assignments(lab_at(tmp_path), tmp_path, check=True) == sorted(
        out / f"{stem}.{ext}" for stem in ("part1_demo", "part2_other") for ext in ("ipynb", "py"))
    assert not out.exists()
    assert len(build_assignments(lab_at(tmp_path), tmp_path)) == 4
    assert build_assignments(lab_at(tmp_path), tmp_path, check=True) == []

    (tmp_path / "solutions" / LAB / "part1_demo.py").write_text(SOLUTION.replace("Some prose.", "New prose."))
    (tmp_path / "solutions" / LAB / "part2_other.py").unlink()
    (out / "README.md").write_text("not generated, left alone")
    stale = [out / f"{stem}.{ext}" for stem in ("part1_demo", "part2_other") for ext in ("ipynb", "py")]
    assert build_assignments(lab_at(tmp_path), tmp_path, check=True) == stale
    assert (out / "part2_other.py").exists()
    assert build_assignments(lab_at(tmp_path), tmp_path) == stale
    assert sorted(path.name for path in out.iterdir()) == ["README.md", "part1_demo.ipynb", "part1_demo.py"]
    assert build_assignments(lab_at(tmp_path), tmp_path, check=True) == []


def test_missing_solutions_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no solutions folder"):
        build_assignments(lab_at(tmp_path), tmp_path)


def test_py_and_ipynb_hold_the_same_cells_and_metadata(tmp_path):
    out = write_lab(tmp_path, {"part1_demo": SOLUTION})
    build_assignments(lab_at(tmp_path), tmp_path)
    cells = cells_of(out / "part1_demo.py")
    assert cells == cells_of(out / "part1_demo.ipynb")
    assert [meta["grade_id"] for _, _, meta in cells if meta] == ["q1_scale", "q1_scale_check", "q2_explain",
                                                                   "r1_task"]


def test_every_stub_function_raises_not_implemented(tmp_path):
    out = write_lab(tmp_path, {"part1_demo": SOLUTION})
    build_assignments(lab_at(tmp_path), tmp_path)
    solution = tmp_path / "solutions" / LAB / "part1_demo.py"
    assert graded_functions(solution) == {"scale": "q1_scale"}  # helper() holds no solution region
    assert_every_function_raises(solution, out / "part1_demo.py", {})


# --- the real lab ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_lab(repo, tmp_path_factory):
    """The real solutions, built afresh into a temporary copy: (solution files, assignments folder)."""
    solutions = sorted((repo / "solutions" / LAB).glob("part*.py"))
    if not solutions:
        pytest.skip("no solutions/encoders_decoders/part*.py yet")
    root = tmp_path_factory.mktemp("real")
    out = write_lab(root, {path.stem: path.read_text(encoding="utf-8") for path in solutions})
    build_assignments(lab_at(root), root)
    return solutions, out


def test_committed_assignments_are_up_to_date(repo, real_lab):
    assert build_assignments(lab_at(repo), repo, check=True) == [], "run `autograder build assignments`"


def test_no_solution_or_mark_scheme_line_appears_in_a_real_stub(real_lab):
    solutions, out = real_lab
    for solution in solutions:
        outside, inside, region = [], [], False
        for line in solution.read_text().splitlines():
            if any(marker in line for marker in ("SOLUTION", "MARK SCHEME")) and \
                    ("BEGIN" in line or "END" in line):
                region = "BEGIN" in line
            else:
                # Markdown lives in "# " comments in a percent file: compare the text behind them.
                (inside if region else outside).append(line.strip().lstrip("# ").strip())
        secret = {line for line in inside if len(line) > 3 and line not in outside}
        assert secret, f"{solution.name}: no solution lines found"
        for generated in (out / solution.name, out / f"{solution.stem}.ipynb"):
            text = "\n".join(source for _, source, _ in cells_of(generated))
            shown = {line.strip().lstrip("# ").strip() for line in text.splitlines()}
            assert not secret & shown, generated.name


def test_every_real_graded_function_raises_not_implemented(real_lab):
    torch = pytest.importorskip("torch")
    solutions, out = real_lab
    for solution in solutions:
        if graded_functions(solution):
            assert_every_function_raises(solution, out / solution.name, {"torch": torch})


def test_real_py_and_ipynb_pairs_hold_the_same_cells_and_metadata(real_lab):
    solutions, out = real_lab
    for solution in solutions:
        stub = out / solution.name
        assert cells_of(stub) == cells_of(stub.with_suffix(".ipynb")), stub.name
        metas = [meta for _, _, meta in cells_of(solution)]
        setup = next(i for i, meta in enumerate(metas) if meta and meta["grade_id"] == "setup")
        # the solution's cells, and the runtime cell right before the setup cell
        assert [meta for _, _, meta in cells_of(stub)] == [*metas[:setup], None, *metas[setup:]]


def test_every_real_notebook_gets_the_runtime_cell_first_among_its_code(real_lab):
    solutions, out = real_lab
    template = "".join(runtime_cell(REAL_LAB)[1:]).strip()
    assert f'find_spec("{REAL_LAB.package}")' in template and "@@" not in template
    for solution in solutions:
        notebook = nbformat.read(out / f"{solution.stem}.ipynb", as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert code[0].id == "lab-runtime" and code[0].source == template, solution.name
        assert code[0].metadata == {"cellView": "form", "tags": ["lab-runtime"]}
        assert code[1].metadata["nbgrader"]["grade_id"] == "setup"
        assert sum(cell.source == template for cell in notebook.cells) == 1


def test_real_notebooks_pass_nbgrader_metadata_validation(real_lab):
    pytest.importorskip("nbgrader")
    from nbgrader.nbgraderformat import MetadataValidator

    solutions, out = real_lab
    for solution in solutions:
        MetadataValidator().validate_nb(nbformat.read(out / f"{solution.stem}.ipynb", as_version=4))


# --- the logic of a solution, in any form -----------------------------------------------------------------

# What Part 4 of the student notebook used to show right after the graded exercise: greedy_generate's loop
# again, with a cache and other names. The line check let it through.
OLD_CACHED_DEMO = '''
# %%
def greedy_generate_cached(model, tokenizer, prompt: str, max_new_tokens: int) -> list[int]:
    """Greedy decoding that feeds only the newest token, reusing the attention cache."""
    input_ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    ids, new_ids, cache = input_ids[0].tolist(), input_ids, None
    with torch.no_grad():
        for _ in range(max_new_tokens):
            outputs = model(new_ids, cache=cache, use_cache=True)  # only the new tokens go in
            cache = outputs.cache  # keys and values of every position so far
            next_id = int(outputs.logits[0, -1].argmax())
            ids.append(next_id)
            if next_id == tokenizer.eos_token_id:
                break
            new_ids = torch.tensor([[next_id]])
    return ids
'''
RENAMED_SPECIAL_POSITIONS = '''
# %%
marks = set(bert_tokenizer.all_special_ids)
where = {}
for k, v in enumerate(pair):
    if v in marks:
        where.setdefault(bert_tokenizer.convert_ids_to_tokens(v), []).append(k)
print(where)
'''


def real_lab_with(tmp_path, stem, extra_cell):
    """A copy of the real solutions in which part ``stem`` ends with ``extra_cell`` (a plain cell)."""
    files = {path.stem: path.read_text(encoding="utf-8")
             for path in sorted((REPO / "solutions" / LAB).glob("part*.py"))}
    files[stem] = files[stem].rstrip("\n") + "\n\n" + extra_cell
    write_lab(tmp_path, files)
    return tmp_path


def test_the_old_cached_demo_is_caught_as_greedy_generate_logic(tmp_path):
    root = real_lab_with(tmp_path, "part4_greedy_decoding", OLD_CACHED_DEMO)
    with pytest.raises(RuntimeError, match=r"logic of solutions/encoders_decoders/part4_greedy_decoding\.py: "
                                           r"greedy_generate shows in part4_greedy_decoding \(student copy\) "
                                           r"cell \d+: def greedy_generate_cached"):
        build_assignments(lab_at(root), root, check=True)


def test_a_renamed_solution_in_another_notebook_is_caught(tmp_path):
    root = real_lab_with(tmp_path, "part5_reflection", RENAMED_SPECIAL_POSITIONS)
    with pytest.raises(RuntimeError, match=r"special_token_positions shows in part5_reflection"):
        build_assignments(lab_at(root), root, check=True)


def test_logic_scores_separate_a_leak_from_ordinary_demo_code():
    regions = [region for path in sorted((REPO / "solutions" / LAB).glob("part*.py"))
               for region in solution_regions(path.read_text(encoding="utf-8"), path.name)]
    weight = leaks.weights(regions)
    greedy = next(r for r in regions if r.where.endswith(": greedy_generate"))
    planted = leaks.units("planted", OLD_CACHED_DEMO.removeprefix("\n# %%\n"))[-1]
    assert leaks.score(greedy, planted, weight) >= leaks.THRESHOLD
    assert leaks.score(greedy, leaks.units("same", "".join(
        line.removeprefix("    ") for line in greedy_source().splitlines(keepends=True)))[0], weight) == 1.0
    notebook = jupytext.read(REPO / "assignments" / LAB / "part4_greedy_decoding.ipynb")
    demo = notebook_units(notebook, "part4")
    assert demo and max(leaks.score(greedy, unit, weight) for unit in demo) < leaks.THRESHOLD


def greedy_source():
    """The body of greedy_generate's solution region."""
    text = (REPO / "solutions" / LAB / "part4_greedy_decoding.py").read_text(encoding="utf-8")
    start = text.index("### BEGIN SOLUTION", text.index("def greedy_generate("))
    return text[text.index("\n", start) + 1 : text.index("### END SOLUTION", start)]


def test_optional_exercises_are_stubbed_but_not_graded():
    solution = REPO / "solutions" / LAB / "part4_greedy_decoding.py"
    assert "greedy_generate_cached" not in graded_functions(solution)
    assert graded_functions(solution, optional=True) == {
        "greedy_generate_cached": "optional_greedy_generate_cached"}
    stub = (REPO / "assignments" / LAB / "part4_greedy_decoding.py").read_text(encoding="utf-8")
    assert 'raise NotImplementedError("greedy_generate_cached: replace this line' in stub
    assert "cache = " not in stub
