"""Student text is shown, never interpreted: in the TA's terminal, feedback.md, results.json, grades.csv and
summary.md (autograder/grading/inert.py)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

from corpus import replace_function

from autograder.grading import inert
from autograder.labs.encoders_decoders import LAB_ID

NASTY = (r"[/] [bold green]passed[/] \x1b[2J\x1b]0;pwned\x07 \u202egnp.exe <script>alert(1)</script> | x"
         r" lone \ud800 surrogate")
RAISES = f'''def softmax(logits, dim=-1):
    raise ValueError("{NASTY}")
'''
FOLDER = '=HYPERLINK("evil")'


def test_plain_drops_control_characters_but_keeps_lines():
    assert inert.plain("a\x1b[2Jb\x07c\u202ed\ne\tf\x9b") == "a[2Jbcd\ne\tf"
    assert inert.plain("a\ud800b\udfffc") == "a\ufffdb\ufffdc"  # lone surrogates: no file could hold them


def test_terminal_text_is_printed_not_read_as_markup():
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(inert.terminal("[/] [bold green]passed[/]"))
    assert console.export_text().strip() == "[/] [bold green]passed[/]"


def test_markdown_cells_show_html_as_text_and_keep_the_table():
    assert inert.markdown_cell("<b>x</b> | y\nz") == "&lt;b&gt;x&lt;/b&gt; \\| y z"


def test_spreadsheet_cells_never_start_a_formula():
    assert [inert.spreadsheet(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "ann")] == \
        ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "ann"]


def test_a_hostile_message_and_folder_name_stay_inert_in_every_output(repo, tmp_path):
    root = tmp_path / "class"
    (root / FOLDER).mkdir(parents=True)
    solution = (repo / "solutions" / LAB_ID / "part3_softmax.py").read_text(encoding="utf-8")
    (root / FOLDER / "part3_softmax.py").write_text(replace_function(solution, "softmax", RAISES),
                                                    encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "400"}
    single = subprocess.run([sys.executable, "-m", "autograder", "grade", str(root / FOLDER), "--out",
                             str(tmp_path / "one")], capture_output=True, text=True, timeout=600, env=env)
    assert single.returncode == 0, single.stderr  # a stray [/] used to crash the table
    assert "\x1b" not in single.stdout and "\x07" not in single.stdout
    assert "[bold green]passed[/]" in single.stdout  # printed as the student wrote it
    feedback = (tmp_path / "one" / "feedback.md").read_text(encoding="utf-8")
    assert "<script>" not in feedback and "&lt;script&gt;" in feedback and "\x1b" not in feedback
    assert "lone \ufffd surrogate" in feedback  # no UTF-8 file can hold a lone surrogate
    results = json.loads((tmp_path / "one" / "results.json").read_text(encoding="utf-8"))
    assert not any("\x1b" in test["output"] for test in results["tests"])

    batch = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(root), "--out",
                            str(tmp_path / "all")], capture_output=True, text=True, timeout=600, env=env)
    assert batch.returncode == 0, batch.stderr
    with open(tmp_path / "all" / "grades.csv", newline="", encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    assert row["student_id"] == "'" + FOLDER
