"""The sample-submission corpus (tests/submissions/): build real student folders from manifest.toml.

Each sample in manifest.toml is a recipe applied to the solution or stub notebooks (Jupytext `.py`):

    base = "solution" | "stub"             all five parts, from solutions/ or assignments/
    replace = "file.py" or ["a.py", ...]     every top-level `def` of the snippet replaces the same-named
                                             function in whichever part defines it (up to the next `# %%`);
                                             its other top-level statements become a cell after the setup
    prepend_cells / append_cells = {part = "part3_softmax", file = "x.py"} (or a list of such tables):
                                             a new `# %%` cell after the setup cell / at the end of the part
    extra_files = ["conftest.py.txt"]        copied into the folder without the `.txt` suffix
    extra_files = {"pkg/mod.py" = "x.py.txt"}   or each copied to the path given (folders made)
    raw_files = {"part1_tokenization.ipynb" = "broken.ipynb.txt"}   a part file replaced byte for byte
    drop_parts = ["part4_greedy_decoding"]
    as_ipynb = true                          write the parts as .ipynb (via jupytext) instead of .py
    notebook_metadata = {colab = {...}}      with as_ipynb: merged into each notebook's metadata
    cell_metadata = {vscode = {...}}         with as_ipynb: merged into each code cell's metadata
    crlf_bom = true                          each part file saved as some Windows editors do: CRLF line
                                             endings and a UTF-8 byte-order mark

Snippets live in tests/submissions/snippets/. This module is a helper, not a test.
"""

from __future__ import annotations

import ast
import re
import shutil
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "submissions"
SNIPPETS = CORPUS / "snippets"
LAB = "encoders_decoders"
BASES = {"solution": REPO / "solutions" / LAB, "stub": REPO / "assignments" / LAB}
PART_STEMS = ("part1_tokenization", "part2_hidden_states", "part3_softmax", "part4_greedy_decoding",
              "part5_reflection")
KINDS = ("reference", "stub", "mistake", "attack", "alternative")
CELL = "# %%"


def load_manifest() -> dict[str, dict]:
    """Sample name -> its table, in file order."""
    with open(CORPUS / "manifest.toml", "rb") as handle:
        manifest = tomllib.load(handle)
    for name, sample in manifest.items():
        if sample.get("kind") not in KINDS:
            raise ValueError(f"{name}: kind must be one of {KINDS}")
        if sample.get("base") not in BASES:
            raise ValueError(f"{name}: base must be one of {tuple(BASES)}")
    return manifest


def _tables(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _snippet(file: str) -> str:
    return (SNIPPETS / file).read_text(encoding="utf-8")


def _definitions(snippet: str) -> tuple[dict[str, str], str]:
    """(top-level function name -> its source with decorators, the other top-level statements)."""
    tree = ast.parse(snippet)
    lines = snippet.splitlines()
    found, rest = {}, []
    for node in tree.body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
        source = "\n".join(lines[start:node.end_lineno]) + "\n"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = source
        else:
            rest.append(source)
    return found, "".join(rest)


def replace_function(text: str, name: str, source: str) -> str | None:
    """`text` with the top-level `def name` block (up to the next cell marker) replaced, or None."""
    lines = text.splitlines(keepends=True)
    pattern = re.compile(rf"(async\s+)?def\s+{re.escape(name)}\s*\(")
    for start, line in enumerate(lines):
        if pattern.match(line):
            end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(CELL)), len(lines))
            return "".join(lines[:start]) + source + "\n\n" + "".join(lines[end:])
    return None


def _insert_cell(text: str, code: str, where: str) -> str:
    cell = f"{CELL}\n{code.rstrip()}\n\n"
    if where == "append":
        return text.rstrip() + "\n\n\n" + cell
    lines = text.splitlines(keepends=True)
    setup = next(i for i, line in enumerate(lines) if line.startswith(CELL) and '"setup"' in line)
    after = next((i for i in range(setup + 1, len(lines)) if lines[i].startswith(CELL)), len(lines))
    return "".join(lines[:after]) + cell + "".join(lines[after:])


def build_parts(sample: dict) -> dict[str, str]:
    """Part stem -> Jupytext percent text of the sample (before dropping or converting)."""
    base = BASES[sample["base"]]
    parts = {stem: (base / f"{stem}.py").read_text(encoding="utf-8") for stem in PART_STEMS}
    for file in _tables(sample.get("replace")):
        file = file["file"] if isinstance(file, dict) else file
        definitions, preamble = _definitions(_snippet(file))
        touched = []
        for name, source in definitions.items():
            hits = [stem for stem in parts if replace_function(parts[stem], name, source) is not None]
            if not hits:
                raise ValueError(f"{file}: no part defines {name}()")
            for stem in hits:
                parts[stem] = replace_function(parts[stem], name, source)
            touched += [stem for stem in hits if stem not in touched]
        if preamble:  # other statements (`_sm = torch.softmax`) run first, in a cell after the setup
            for stem in touched:
                parts[stem] = _insert_cell(parts[stem], preamble, "prepend")
    for key, where in (("prepend_cells", "prepend"), ("append_cells", "append")):
        for cell in _tables(sample.get(key)):
            parts[cell["part"]] = _insert_cell(parts[cell["part"]], _snippet(cell["file"]), where)
    return parts


def answered(notebook, stem: str):
    """A copy of a handed-out notebook of part `stem` (an nbformat notebook) with every exercise answered
    as the reference solution does: each solution cell holds the solution's cell of the same grade_id."""
    import copy

    import jupytext

    solution = jupytext.read(BASES["solution"] / f"{stem}.py")
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in solution.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    student = copy.deepcopy(notebook)
    for cell in student.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers.pop(grade_id)
    if answers:
        raise ValueError(f"{stem}: the notebook has no cell for {', '.join(answers)}")
    return student


def materialize(name: str, dest: Path, manifest: dict | None = None) -> Path:
    """Write sample `name` as a student folder at `dest` (created; must not exist yet). Returns `dest`."""
    import jupytext

    sample = (manifest or load_manifest())[name]
    dest = Path(dest)
    dest.mkdir(parents=True)
    parts = build_parts(sample)
    for stem in sample.get("drop_parts", []):
        del parts[stem]
    for stem, text in parts.items():
        if sample.get("as_ipynb"):
            notebook = jupytext.reads(text, fmt="py:percent")
            notebook.metadata.update(sample.get("notebook_metadata", {}))
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    cell.metadata.update(sample.get("cell_metadata", {}))
            path = dest / f"{stem}.ipynb"
            jupytext.write(notebook, path, fmt="ipynb")
        else:
            path = dest / f"{stem}.py"
            path.write_text(text, encoding="utf-8")
        if sample.get("crlf_bom"):
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    for file_name, snippet in sample.get("raw_files", {}).items():
        for stale in dest.glob(f"{Path(file_name).stem}.*"):
            stale.unlink()
        shutil.copyfile(SNIPPETS / snippet, dest / file_name)
    extras = sample.get("extra_files", [])
    if isinstance(extras, list):
        extras = {extra.removesuffix(".txt"): extra for extra in extras}
    for target, snippet in extras.items():
        (dest / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SNIPPETS / snippet, dest / target)
    return dest


def materialize_all(dest_root: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Every sample (or those named) as `dest_root/<name>/`. Returns name -> folder."""
    manifest = load_manifest()
    return {name: materialize(name, Path(dest_root) / name, manifest) for name in names or manifest}


if __name__ == "__main__":
    # `python tests/corpus.py DEST [NAME ...]`: write the corpus (or the named samples) as student folders.
    if len(sys.argv) < 2:
        sys.exit("usage: python tests/corpus.py DEST [NAME ...]")
    target = Path(sys.argv[1])
    if target.exists():
        shutil.rmtree(target)
    written = materialize_all(target, sys.argv[2:] or None)
    print(f"Wrote {len(written)} sample submissions to {target}")
