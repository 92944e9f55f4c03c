"""`autograder build release`: the GitHub Classroom student template.

What it must hold: nothing secret (no solution line, hidden suite, mark scheme or gradebook); a workflow in
the current Classroom shape with one grader step per part at that part's points; grader commands that pass
on the solutions and fail on the stubs when run like the command grader runs them (only PATH and HOME).
"""

import base64
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jupytext
import pytest
from fresh_env import TORCH_INDEX, clean_env, new_venv, run, source_copy
from platforms import grader_steps, scrubbed_run, workflow

from autograder import check_record
from autograder.build import release
from autograder.build.assignments import _normalize
from autograder.errors import UsageError
from autograder.grading import reports, results
from autograder.labs.encoders_decoders import LAB, LAB_ID, PARTS

GRADED = [part for part in PARTS if part.points]
DIST_INFO = "encoders_decoders_runtime-0.1.0.dist-info"


@pytest.fixture(scope="module")
def built(repo, tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "template"
    written = release.build(LAB, repo, out)
    return out, written


def test_layout(built):
    out, written = built
    names = {p.relative_to(out).as_posix() for p in written}
    for part in PARTS:
        assert {f"{part.stem}.ipynb", f"{part.stem}.py"} <= names
    assert {"README.md", "requirements.txt", ".gitignore", ".github/workflows/classroom.yml",
            ".github/INSTRUCTORS.md", "scripts/check_part.py", "scripts/summary.py",
            "autograder/labs/encoders_decoders/public.py", "autograder/models/kit.py",
            "autograder/models/vendor/gpt2/vocab.json",
            "autograder/models/vendor/bert-base-uncased/vocab.txt",
            "runtime/encoders_decoders_runtime-0.1.0-py3-none-any.whl"} <= names
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(names)


def test_nothing_secret(repo, built):
    out, _ = built
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # only the public runtime of the package, never the grader, the hidden suites or the builders
    package = {n.removeprefix("autograder/") for n in files if n.startswith("autograder/")}
    lab_runtime = {f"labs/{LAB.id}/{name}" for name in LAB.runtime}
    assert {n for n in package if not n.startswith("models/vendor/")} == {*release.RUNTIME, *lab_runtime}
    hidden = {p.name for p in (repo / "autograder" / "labs" / LAB_ID / "hidden").glob("*")}
    assert hidden and not hidden & {Path(n).name for n in files}
    assert not any("gradebook" in n or "hidden" in Path(n).parts for n in files)
    secret = release.solution_lines(LAB)
    assert len(secret) > 50  # the check has something to look for
    generic = secret & release.runtime_lines(files)
    for name, data in files.items():
        if name.startswith("autograder/models/vendor/") or name.endswith(".whl"):
            continue  # the wheel holds the runtime files (checked below)
        text = data.decode("utf-8")
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "MARK SCHEME"):
            assert marker not in text, f"{marker} in {name}"
        lines = [_normalize(line) for line in text.splitlines()]
        for line in lines:
            # the runtime, copied verbatim, may share a library call with a solution (its public checks
            # compute references the same way); nothing else may hold any solution line
            assert line not in secret or (name.startswith("autograder/") and line in generic), (name, line)
        for a, b in itertools.pairwise(lines):
            assert not (a in secret and b in secret), f"two solution lines in a row in {name}: {a!r}"
    # the runtime files are byte-identical copies of the package's
    for name in release.RUNTIME:
        assert files[f"autograder/{name}"] == (repo / "autograder" / name).read_bytes()
    # and the wheel holds exactly those files, and its metadata
    with zipfile.ZipFile(out / release.wheel_path(LAB)) as runtime:
        members = {name: runtime.read(name) for name in runtime.namelist()}
    assert {name: data for name, data in members.items() if name.startswith("autograder/")} == {
        name: data for name, data in files.items() if name.startswith("autograder/")}
    assert {name.split("/")[0] for name in members} == {"autograder", f"{DIST_INFO}"}


def test_the_runtime_wheel_pins_what_the_notebooks_need_but_torch(repo, built):
    out, _ = built
    with zipfile.ZipFile(out / release.wheel_path(LAB)) as runtime:
        meta = runtime.read(f"{DIST_INFO}/METADATA").decode()
        record = runtime.read(f"{DIST_INFO}/RECORD").decode().splitlines()
        listed = {line.split(",")[0] for line in record}
        assert listed == set(runtime.namelist())
        for line in record[:-1]:  # RECORD lists itself last, without a hash
            name, digest, size = line.split(",")
            data = runtime.read(name)
            sha256 = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")
            assert digest == f"sha256={sha256}"
            assert int(size) == len(data)
    requires = [line.removeprefix("Requires-Dist: ") for line in meta.splitlines()
                if line.startswith("Requires-Dist: ")]
    pins = release.constraints(repo)
    assert requires == ["torch", *(f"{pins[n][0]}=={pins[n][1]}" for n in release.RUNTIME_PINNED)]
    assert "Requires-Python: >=3.11" in meta


def test_the_leak_guard_looks_inside_the_wheel(repo):
    files = release.expected_files(LAB, repo)
    hidden = f"autograder/labs/{LAB_ID}/hidden/test_part3_softmax.py"
    planted = release.wheel.build("x", "1", {hidden: b"x = 1\n"}, summary="x", requires_python=">=3",
                                  requires=[])
    with pytest.raises(RuntimeError, match=r"\.whl/autograder/labs/encoders_decoders/hidden/\S+ must not be"):
        release.check_release(LAB, {**files, release.wheel_path(LAB): planted})


def test_runtime_url_is_written_into_every_notebook_of_the_pair(repo, tmp_path):
    out = tmp_path / "template"
    subprocess.run([sys.executable, "-m", "autograder", "build", "release", "--out", str(out),
                    "--runtime-url", "github:course/template@fall"], check=True, capture_output=True)
    address = ("https://raw.githubusercontent.com/course/template/fall/runtime/"
               "encoders_decoders_runtime-0.1.0-py3-none-any.whl")
    for part in PARTS:
        runtime_cells = [cell.source for cell in jupytext.read(out / f"{part.stem}.ipynb").cells
                         if "lab-runtime" in cell.metadata.get("tags", [])]
        assert len(runtime_cells) == 1 and f'\nRUNTIME = "{address}"\n' in runtime_cells[0], part.stem
        assert code_of(out / f"{part.stem}.py") == code_of(out / f"{part.stem}.ipynb")  # the pair agrees
    # a notebook of the default release says nothing, and only that line differs
    default = release.expected_files(LAB, repo)
    assert b'"RUNTIME = \\"\\"\\n",' in default["part3_softmax.ipynb"]  # a line of a JSON list
    assert (out / "part3_softmax.py").read_text().replace(f'"{address}"', '""') == \
        default["part3_softmax.py"].decode()
    path = "/content/drive/MyDrive/Course/encoders_decoders_runtime-0.1.0-py3-none-any.whl"
    assert f'RUNTIME = "{path}"'.encode() in release.expected_files(LAB, repo, path)["part1_tokenization.py"]


@pytest.mark.parametrize("address, message", [("github:course", "write github:OWNER/REPOSITORY"),
                                              ("a\"b", "is not an address"), (" ", "is not an address")])
def test_a_bad_runtime_url_is_a_usage_error(repo, address, message):
    with pytest.raises(UsageError, match=message):
        release.expected_files(LAB, repo, address)


def code_of(path: Path) -> list[str]:
    return [cell.source for cell in jupytext.read(path).cells if cell.cell_type == "code"]


def test_leak_guard_refuses_a_solution(repo):
    files = release.expected_files(LAB, repo)
    solution = repo / "solutions" / LAB_ID / "part3_softmax.py"
    lines = solution.read_text().splitlines(keepends=True)
    answer = "".join(line for line in lines if "SOLUTION" not in line)
    with pytest.raises(RuntimeError, match=r"a solution line is in part3_softmax\.py"):
        release.check_release(LAB, {**files, "part3_softmax.py": answer.encode()})
    with pytest.raises(RuntimeError, match="delimiter"):
        release.check_release(LAB, {**files, "part3_softmax.py": solution.read_bytes()})
    with pytest.raises(RuntimeError, match="must not be in"):
        hidden = f"autograder/labs/{LAB_ID}/hidden/test_x.py"
        release.check_release(LAB, {**files, hidden: b"x = 1\n"})


def test_leak_guard_refuses_a_solutions_logic_under_other_names(repo):
    from test_build_assignments import OLD_CACHED_DEMO, RENAMED_SPECIAL_POSITIONS

    files = release.expected_files(LAB, repo)
    assert release.logic_leaks(LAB, files) == []

    def planted(name: str, code: str) -> list[str]:
        return release.logic_leaks(LAB, {**files, name: files[name] + code.encode()})

    found = planted("part4_greedy_decoding.py", OLD_CACHED_DEMO)
    assert any(re.match(r"the logic of part4_greedy_decoding\.py: greedy_generate shows in "
                        r"part4_greedy_decoding\.py cell \d+: def greedy_generate_cached", f) for f in found)
    assert any("greedy_generate shows in scripts/summary.py: def greedy_generate_cached" in f
               for f in planted("scripts/summary.py", OLD_CACHED_DEMO))
    # in the public runtime a reference may make a short answer's library calls, not a longer one's steps
    public = "autograder/labs/encoders_decoders/public.py"
    assert any(f"greedy_generate shows in {public}" in f for f in planted(public, OLD_CACHED_DEMO))
    body = RENAMED_SPECIAL_POSITIONS.removeprefix("\n# %%\n").replace("print(where)", "return where")
    short = "\n\ndef positions(bert_tokenizer, pair):\n" + "".join(
        f"    {line}" for line in body.splitlines(keepends=True))
    assert planted(public, short) == []
    assert any("special_token_positions shows in scripts/summary.py" in f
               for f in planted("scripts/summary.py", short))
    script = files["scripts/summary.py"] + short.encode()
    with pytest.raises(RuntimeError, match=r"special_token_positions shows in scripts/summary\.py"):
        release.check_release(LAB, {**files, "scripts/summary.py": script})


def test_workflow_shape(built):
    out, _ = built
    flow = workflow(out)
    assert flow["name"] == "Autograding Tests"
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) >= {"push", "workflow_dispatch", "repository_dispatch"}
    assert flow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    job = flow["jobs"]["run-autograding-tests"]
    assert job["if"] == "github.actor != 'github-classroom[bot]'"
    steps = grader_steps(out)
    assert [(s["id"], s["with"]["max-score"]) for s in steps] == [(f"part{p.number}", p.points)
                                                                 for p in GRADED]
    assert sum(s["with"]["max-score"] for s in steps) == LAB.points
    for step, part in zip(steps, GRADED, strict=True):
        command = step["with"]["command"]
        # inline: no env: reaches the command grader's command
        assert command.startswith("AUTOGRADER_MODELS=offline HF_HUB_OFFLINE=1 ")
        assert command.endswith(f"scripts/check_part.py {part.number}")
        assert "env" not in step
    reporter = [s for s in job["steps"] if s.get("uses", "").startswith(
        "classroom-resources/autograding-grading-reporter@v1")]
    assert len(reporter) == 1 and reporter[0]["with"]["runners"] == "part1,part2,part3,part4"
    assert set(reporter[0]["env"]) == {f"PART{p.number}_RESULTS" for p in GRADED}
    summary = [s for s in job["steps"] if "summary.py" in s.get("run", "")]
    assert summary and summary[0]["if"] == "${{ !cancelled() }}"


def test_hidden_step_is_optional_and_guarded(built):
    out, _ = built
    job = workflow(out)["jobs"]["run-autograding-tests"]
    assert "secrets.GRADER_TOKEN" in job["env"]["HIDDEN_TESTS"]
    hidden = [s for s in job["steps"] if "HIDDEN_TESTS" in str(s.get("if", ""))]
    assert len(hidden) == 2
    fetch = hidden[0]
    assert fetch["uses"].startswith("actions/checkout@")
    assert fetch["with"]["token"] == "${{ secrets.GRADER_TOKEN }}"
    assert fetch["with"]["persist-credentials"] is False
    assert all("secrets" not in str(s.get("if", "")) for s in job["steps"])  # not allowed in a step's if:
    assert "continue-on-error" not in hidden[1]  # a grader that cannot run must show, not pass quietly
    guide = (out / ".github" / "INSTRUCTORS.md").read_text()
    assert "grade-all" in guide and "can edit" in guide


def test_requirements_are_pinned_from_constraints(repo, built):
    out, _ = built
    pins = release.constraints(repo)
    lines = [line for line in (out / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    names = {release._canonical(line.split("==")[0]) for line in lines}
    assert {"torch", "transformers", "tokenizers", "safetensors", "jupytext", "nbclient", "nbformat",
            "ipykernel"} <= names
    assert not {"nbgrader", "pytest", "ruff", "matplotlib"} & names  # only what the notebooks need
    for line in lines:
        name, version = line.split("==")
        assert pins[release._canonical(name)][1] == version
    assert "torch==2.13.0" in lines


def test_student_readme(repo, built):
    text = (built[0] / "README.md").read_text()
    for needed in ("JupyterLab", "VS Code", "Colab", "check_part.py", "push", "hidden tests", "@@"):
        assert (needed in text) is (needed != "@@"), needed
    # The student's install is the course's: JupyterLab at the version constraints.txt pins, as torch is.
    pins = release.constraints(repo)
    for name in ("torch", "jupyterlab"):
        assert f"{name}=={pins[name][1]}" in text, name


def test_deterministic_and_rebuilds_in_place(repo, built, tmp_path):
    out, _ = built
    again = tmp_path / "again"
    release.build(LAB, repo, again)
    (again / ".git").mkdir()
    (again / "stale.txt").write_text("old")
    release.build(LAB, repo, again)  # a previous release is replaced, its .git kept
    assert (again / ".git").is_dir() and not (again / "stale.txt").exists()
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*")
                           if p.is_file() and ".git" not in p.parts)
    assert all((out / f).read_bytes() == (again / f).read_bytes() for f in files)
    other = tmp_path / "other"
    other.mkdir()
    (other / "precious.txt").write_text("keep")
    with pytest.raises(UsageError, match="not a previous release"):
        release.build(LAB, repo, other)


def test_actionlint(built, actionlint):
    workflow_file = built[0] / ".github" / "workflows" / "classroom.yml"
    result = subprocess.run([actionlint, str(workflow_file)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_summary_table(built, tmp_path):
    out, _ = built
    copy = tmp_path / "repo"
    shutil.copytree(out, copy)
    (copy / ".autograder").mkdir()
    failure = "cell 11 (q3_softmax_check): CheckFailed: softmax is not implemented"
    (copy / ".autograder" / "part3.json").write_text(json.dumps({
        "part": 3, "passed": False, "errors": [failure],
        "checks": [{"name": "softmax", "passed": False, "message": failure},
                   {"name": "classify", "passed": True, "message": ""}]}))

    def encoded(status, score):
        return base64.b64encode(json.dumps({"status": status, "tests": [{"score": score}]}).encode()).decode()

    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "PART1_RESULTS": encoded("pass", 20),
           "PART3_RESULTS": encoded("fail", 0)}
    subprocess.run([sys.executable, "scripts/summary.py"], cwd=copy, env=env, check=True, timeout=60)
    text = summary.read_text()
    assert "| 1 | `part1_tokenization.ipynb` | ✅ | 20 / 20 |" in text
    assert "| 3 | `part3_softmax.ipynb` | ❌ 1/2 | 0 / 20 |" in text
    assert f"**20 / {LAB.points}**" in text and "`softmax`: cell 11" in text
    missing = tmp_path / "no-hidden-results.json"  # the hidden step could not run: said, not hidden
    subprocess.run([sys.executable, "scripts/summary.py", "--hidden", str(missing)], cwd=copy, env=env,
                   check=True, timeout=60)
    assert "## Hidden tests: did not run" in summary.read_text()


def _constant(script: Path, name: str):
    """The value a release script assigns to `name` (the scripts import nothing of the package)."""
    import ast

    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == [name]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{script.name} assigns no {name}")


def test_the_scripts_read_what_the_runtime_and_the_grader_write(built):
    scripts = built[0] / "scripts"
    assert _constant(scripts / "check_part.py", "RECORD") == check_record.MIME
    assert _constant(scripts / "summary.py", "GRADE_RECORD") == (results.FILE, results.KIND, results.VERSION)


def test_a_passed_check_outside_a_kernel_prints_its_line(capsys):
    check_record.passed("softmax", "✓ softmax: 3 public checks passed.")
    assert capsys.readouterr().out == "✓ softmax: 3 public checks passed.\n"
    assert check_record.record("softmax", "✓ line") == {"version": 1, "check": "softmax", "passed": True,
                                                        "line": "✓ line"}


def test_the_hidden_tests_table_comes_from_the_grade_record(built, tmp_path):
    """The hidden step's folder holds grade.json beside results.json; the table is made from the record
    (results.json is Gradescope's: here it is damaged, and nothing changes)."""
    out, _ = built
    part = next(p for p in PARTS if p.points)
    failed = "softmax(x):\x1b[2J 1 of 3 differ"
    tests = (results.TestResult(part.number, 1, "softmax matches", 3.0, True, test_id="test_a"),
             results.TestResult(part.number, 2, "rows | sum to 1", 2.0, False, failed, test_id="test_b"))
    grade = results.Grade("s", LAB.id, (results.PartResult(part, tests=tests),), 1.0)
    hidden = tmp_path / "hidden"
    reports.write_student(hidden, grade)
    (hidden / "results.json").write_text("{")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}  # printed, then

    def summary(path: Path) -> str:
        return subprocess.run([sys.executable, "scripts/summary.py", "--hidden", str(path)], cwd=out, env=env,
                              capture_output=True, text=True, check=True, timeout=60).stdout

    shown = summary(hidden / "results.json")  # as the workflow names it
    assert shown.endswith(f"## Hidden tests: 3 / 5\n\n| question | points | result |\n|---|---|---|\n"
                          f"| Q{part.number}.1 softmax matches | 3 / 3 | passed |\n"
                          f"| Q{part.number}.2 rows \\| sum to 1 | 0 / 2 | "
                          "failed: softmax(x):[2J 1 of 3 differ |\n")
    assert summary(hidden) == shown


# ------------------------------------------------------------- the grader commands, as Classroom runs them


def with_solutions(repo: Path, out: Path, target: Path) -> Path:
    shutil.copytree(out, target)
    for part in PARTS:
        source = repo / "solutions" / LAB_ID / f"{part.stem}.py"
        jupytext.write(jupytext.read(source), target / f"{part.stem}.ipynb", fmt="ipynb")
        shutil.copy(source, target / f"{part.stem}.py")
    return target


@pytest.mark.parametrize("saved_on_windows", [False, True], ids=["as_released", "bom_and_crlf"])
def test_one_step_fails_on_the_stub(built, scrubbed_home, tmp_path, saved_on_windows):
    """Default tier: one grader command, in a copy of the release, in a scrubbed environment; a notebook
    saved with a UTF-8 byte-order mark and CRLF line endings is read like any other."""
    copy = tmp_path / "repo"
    shutil.copytree(built[0], copy)
    if saved_on_windows:
        notebook = copy / "part3_softmax.ipynb"
        notebook.write_bytes(b"\xef\xbb\xbf" + notebook.read_bytes().replace(b"\n", b"\r\n"))
    step = grader_steps(copy)[2]  # part 3
    result = scrubbed_run(step["with"]["command"], copy, scrubbed_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL  softmax: cell" in result.stdout and "softmax is not implemented yet" in result.stdout
    assert "Part 3: 0/3 public checks passed; failed" in result.stdout
    report = json.loads((copy / ".autograder" / "part3.json").read_text())
    assert [c["passed"] for c in report["checks"]] == [False, False, False]


# The slow tier runs the workflow as GitHub does, in a fresh environment: a new virtual environment stands
# in for actions/setup-python, the install step runs as written, then every step's command.


def steps_named(out: Path) -> dict[str, dict]:
    return {step["name"]: step for step in workflow(out)["jobs"]["run-autograding-tests"]["steps"]}


@pytest.fixture(scope="module")
def runner(built, tmp_path_factory) -> Path:
    """A runner after the workflow's install step (bash -eo pipefail, as GitHub runs `run:`), with only
    PATH and HOME set and torch from TORCH_INDEX (fresh_env.py); returns its Python's `bin` folder."""
    out, _ = built
    python_bin = new_venv(tmp_path_factory.mktemp("runner") / "python")
    install = steps_named(out)["Install the pinned requirements and build the offline model kit"]
    run(install["run"], out, clean_env(python_bin, TORCH_INDEX=TORCH_INDEX))
    return python_bin


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["stubs", "solutions"])
def test_every_step_passes_the_solutions_and_fails_the_stubs_in_a_fresh_runner(repo, built, runner, tmp_path,
                                                                               variant):
    out, _ = built
    copy = with_solutions(repo, out, tmp_path / "repo") if variant == "solutions" else Path(
        shutil.copytree(out, tmp_path / "repo"))
    steps = grader_steps(copy)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda s: scrubbed_run(s["with"]["command"], copy, Path.home(),
                                                       python_bin=runner), steps))
    for step, result in zip(steps, results, strict=True):
        expected = 0 if variant == "solutions" else 1
        assert result.returncode == expected, f"{step['id']}: {result.stdout}{result.stderr}"
        assert (" public checks passed; passed" in result.stdout) is (variant == "solutions")


@pytest.mark.slow
def test_the_hidden_step_as_written_grades_the_solution_to_full_marks(repo, built, runner, tmp_path):
    """The optional step installs the grader from the instructor's checkout with its own `pip install`
    and grades; the summary then shows the hidden tests' score."""
    out, _ = built
    copy = with_solutions(repo, out, tmp_path / "repo")
    source_copy(copy / ".hidden-grader")  # what actions/checkout of the private course repository gives
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    steps = steps_named(copy)
    run(steps["Run the hidden tests (optional, feedback only)"]["run"], copy,
        clean_env(runner, RUNNER_TEMP=str(runner_temp)))
    results = json.loads((runner_temp / "hidden" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == results["max_score"] == sum(p.points for p in GRADED)
    summary = tmp_path / "summary.md"
    env = clean_env(runner, RUNNER_TEMP=str(runner_temp), HIDDEN_TESTS="true",
                    GITHUB_STEP_SUMMARY=str(summary))
    run(steps["Summary table"]["run"], copy, env)
    assert f"## Hidden tests: {LAB.points} / {LAB.points}" in summary.read_text(encoding="utf-8")
