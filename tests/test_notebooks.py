"""Every solution notebook runs top to bottom on the offline kit, every public check in it passes (and
leaves its record for scripts/check_part.py), and nothing it prints is an offensive word (see
test_offensive_words.py)."""

import jupytext
import pytest
from nbclient import NotebookClient
from test_offensive_words import offensive

from autograder import check_record
from autograder.build.assignments import graded_functions
from autograder.labs.encoders_decoders import LAB_ID, PARTS


@pytest.mark.parametrize("stem", [part.stem for part in PARTS])
def test_solution_notebook_runs_clean(repo, kit_dir, stem, tmp_path):
    notebook = jupytext.read(repo / "solutions" / LAB_ID / f"{stem}.py")
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    checks = [cell for cell in notebook.cells
              if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.cell_type == "code"]
    records = {}
    for cell in checks:
        shown = "".join(out.get("text", "") + out.get("data", {}).get("text/plain", "")
                        for out in cell.outputs)
        assert "passed" in shown, f"{cell.metadata.nbgrader.grade_id} showed {shown!r}"
        for out in cell.outputs:
            if check_record.MIME in out.get("data", {}):
                record = out["data"][check_record.MIME]
                records[record["check"]] = record
                assert out["data"]["text/plain"] == record["line"]  # what the student sees
    assert set(graded_functions(repo / "solutions" / LAB_ID / f"{stem}.py")) <= set(records)
    assert all(record["passed"] is True for record in records.values())
    shown = "".join(str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", ""))
                    for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs)
    assert shown.strip()
    assert not offensive(shown), f"{stem} printed offensive words on the kit: {offensive(shown)}"
