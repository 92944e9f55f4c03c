"""The README's data-flow diagram names only modules that exist, so the picture cannot drift from the code.

A name in the diagram is dotted, relative to the `autograder` package (`runner.child`, a package such as
`labs.encoders_decoders.hidden`, or a module and what it defines, `runner.student.StudentProcess`), or a path
(`grading/suite.py`, `labs/*/hidden/`). A dotted word that ends in a data file's extension (`results.json`)
names an output, not a module.
"""

import ast
import re
from pathlib import Path

OUTPUTS = {"json", "md", "csv", "png", "ipynb", "py", "toml"}
DOTTED = re.compile(r"(?<![\w./-])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
PATH = re.compile(r"(?<![\w./-])[\w*]+(?:/[\w*.]+)+/?")


def mermaid_blocks(readme: Path) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```", readme.read_text(), re.S | re.M)


def names(diagram: str) -> set[str]:
    """The module names a diagram mentions: paths, and dotted names that are not output files."""
    text = diagram.replace("<br/>", " ")
    paths = set(PATH.findall(text))
    for path in paths:
        text = text.replace(path, " ")
    return paths | {n for n in DOTTED.findall(text) if n.rsplit(".", 1)[1] not in OUTPUTS}


def _defines(node: ast.AST, name: str) -> ast.AST | None:
    """The class, function or assignment called `name` in a module's or class's body."""
    for item in getattr(node, "body", []):
        if isinstance(item, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == name:
            return item
        targets = item.targets if isinstance(item, ast.Assign) else [getattr(item, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return item
    return None


def resolves(name: str, package: Path) -> bool:
    """Whether `name` is a file or folder of the package, or a module (and then what it defines)."""
    if "/" in name:
        return any(package.glob(name.rstrip("/")))
    where, parts = package, name.split(".")
    while parts and (where / parts[0]).is_dir():  # packages, then perhaps a module file
        where = where / parts.pop(0)
    if parts and (where / f"{parts[0]}.py").is_file():
        where = where / f"{parts.pop(0)}.py"
    if where == package:
        return False  # its first part is nothing of the package
    if not parts:
        return True
    module = where / "__init__.py" if where.is_dir() else where
    if not module.is_file():
        return False  # a folder that is no package defines nothing
    node: ast.AST | None = ast.parse(module.read_text())
    for part in parts:  # what the module defines, then what that class defines
        node = _defines(node, part)
        if node is None:
            return False
    return True


def test_every_module_in_the_diagram_exists(repo):
    blocks = mermaid_blocks(repo / "README.md")
    assert blocks, "README.md has no mermaid diagram"
    found = set().union(*map(names, blocks))
    assert len(found) >= 10, f"too few module names found for a data-flow diagram: {sorted(found)}"
    missing = sorted(n for n in found if not resolves(n, repo / "autograder"))
    assert not missing, f"the README's diagram names what the package does not have: {missing}"


def test_the_name_finder_tells_modules_from_outputs_and_refuses_what_is_not_there(repo):
    found = names('x["runner.child<br/>grading/suite.py, results.json"] -->|"labs/*/hidden/"| y')
    assert found == {"runner.child", "grading/suite.py", "labs/*/hidden/"}
    package = repo / "autograder"
    real = (*found, "runner.student.StudentProcess.call", "models.load_pair")
    assert all(resolves(n, package) for n in real)
    wrong = ("runner.zygotes", "runner.student.Student", "grading/suit.py", "runner.child.Limits.nothing",
             "torch.softmax", "labs.encoders_decoders.hidden.test_x")
    assert not any(resolves(n, package) for n in wrong)
