"""Classroom rosters: repository folders matched to students by whole GitHub usernames, never by a guess."""

import pytest

from autograder import cli
from autograder.errors import UsageError
from autograder.grading.roster import Entry, apply, match, read_roster


def roster(*usernames: str) -> list[Entry]:
    return [Entry(f"s-{name}", name) for name in usernames]


def graded(**totals: float) -> list[dict]:
    """grades.csv rows of graded folders (keyword names: `_` stands for `-` in a folder name)."""
    return [{"student_id": folder.replace("_", "-"), "part1": total, "total": total, "status": "graded"}
            for folder, total in totals.items()]


def keyed(rows: list[dict], entries: list[Entry]) -> tuple[dict[str, dict], dict[str, str]]:
    by_identifier, unmatched = apply(rows, entries, ["student_id", "part1", "total", "status"])
    return {row["github_username"]: row for row in by_identifier}, unmatched


def test_usernames_that_end_one_another_each_get_their_own_grade():
    rows, unmatched = keyed(graded(hw1_ann=10, hw1_a_ann=15, hw1_jo_ann=20, hw1_x_jo_ann=30),
                            roster("ann", "a-ann", "jo-ann", "x-jo-ann"))
    totals = {name: row["total"] for name, row in rows.items()}
    assert totals == {"ann": 10, "a-ann": 15, "jo-ann": 20, "x-jo-ann": 30} and unmatched == {}


def test_a_shorter_username_never_claims_a_longer_ones_repository():
    """`ann` has no repository: she is missing, and jo-ann's grade is jo-ann's alone."""
    rows, unmatched = keyed(graded(hw1_jo_ann=20, hw1_bob=5), roster("ann", "jo-ann", "bob"))
    assert rows["ann"]["status"] == "missing: no repository" and rows["ann"]["total"] == ""
    assert rows["jo-ann"]["total"] == 20 and unmatched == {}


def test_the_shared_assignment_prefix_decides_where_the_username_starts():
    rows, unmatched = keyed(graded(lab_x_ann=1, lab_x_bob=2, lab_x_jo_ann=3), roster("ann", "x-ann", "bob"))
    assert rows["ann"]["total"] == 1 and rows["bob"]["total"] == 2
    assert rows["x-ann"]["status"] == "missing: no repository"
    assert unmatched == {"lab-x-jo-ann": "not on the roster"}  # jo-ann is not ann


def test_an_ambiguous_folder_is_reported_not_assigned(capsys):
    """One folder and no prefix to go by: lab-x-ann may be x-ann's (assignment lab) or ann's (lab-x)."""
    rows, unmatched = keyed(graded(lab_x_ann=7), roster("ann", "x-ann"))
    assert unmatched == {"lab-x-ann": "could be the repository of x-ann or ann: not assigned, match by hand"}
    for name in ("ann", "x-ann"):
        assert rows[name]["total"] == ""
        assert rows[name]["status"] == "error: lab-x-ann may be theirs (x-ann or ann): match by hand"
    assert cli._report_class({}, unmatched) == 0  # reported, and no grader failure
    assert "lab-x-ann: could be the repository of x-ann or ann" in capsys.readouterr().err


def test_exact_names_and_case_are_matched():
    matching = match(["Ann", "hw1-Jo-Ann"], roster("ann", "jo-ann"))
    assert {folder: entry.github_username for folder, entry in matching.owners.items()} == {
        "Ann": "ann", "hw1-Jo-Ann": "jo-ann"}


def test_two_repositories_of_one_student_are_reported_not_picked():
    rows, unmatched = keyed(graded(hw1_ann=1, hw2_ann=2), roster("ann"))
    assert rows["ann"]["status"] == "error: more than one repository (hw1-ann, hw2-ann): match by hand"
    assert unmatched == {"hw1-ann": "one of 2 repositories of ann", "hw2-ann": "one of 2 repositories of ann"}
    rows, unmatched = keyed(graded(ann=1, hw1_ann=2), roster("ann"))  # a folder of her very name wins
    assert rows["ann"]["total"] == 1 and unmatched == {"hw1-ann": "ann's repository is ann"}


def test_a_username_listed_twice_is_refused(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("identifier,github_username\ns1,Ann\ns2,ann\n")
    with pytest.raises(UsageError, match=r"github_username\(s\) listed twice: ann"):
        read_roster(path)


def test_a_roster_saved_by_a_spreadsheet_is_read_and_a_bad_one_refused(tmp_path):
    """Excel writes a byte-order mark and CRLF; Classroom leaves github_username empty for a student who
    has not linked an account yet: that student is read, and has no repository."""
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffidentifier,github_username,github_id,name\r\ns1,ann,1,Ann Lee\r\n"
                     "s2,,,Bo Ng\r\n,,,\r\n".encode())
    entries = read_roster(path)
    assert entries == [Entry("s1", "ann", "Ann Lee"), Entry("s2", "", "Bo Ng")]
    rows, _ = keyed(graded(hw1_ann=5), entries)
    assert rows[""]["status"] == "missing: no repository" and rows["ann"]["total"] == 5
    path.write_text("student,login\ns1,ann\n")
    with pytest.raises(UsageError, match="needs the columns identifier and github_username"):
        read_roster(path)
    with pytest.raises(UsageError, match="cannot read the roster"):
        read_roster(tmp_path / "absent.csv")
