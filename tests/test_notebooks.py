"""Every solution notebook runs top to bottom on the offline kit, every public check in it passes, and
nothing it prints is an offensive word (see test_offensive_words.py)."""

import jupytext
import pytest
from nbclient import NotebookClient
from test_offensive_words import offensive

from autograder.labs.encoders_decoders import LAB_ID, PARTS


@pytest.mark.parametrize("stem", [part.stem for part in PARTS])
def test_solution_notebook_runs_clean(repo, kit_dir, stem, tmp_path):
    notebook = jupytext.read(repo / "solutions" / LAB_ID / f"{stem}.py")
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    checks = [cell for cell in notebook.cells
              if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.cell_type == "code"]
    for cell in checks:
        printed = "".join(out.get("text", "") for out in cell.outputs)
        assert "passed" in printed, f"{cell.metadata.nbgrader.grade_id} printed {printed!r}"
    shown = "".join(str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", ""))
                    for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs)
    assert shown.strip()
    assert not offensive(shown), f"{stem} printed offensive words on the kit: {offensive(shown)}"
