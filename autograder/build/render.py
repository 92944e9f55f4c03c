"""Every generated text file from its template, by one mechanism: Jinja2.

Templates are ``*.jinja`` files in ``autograder/build/templates/`` (a lab's own, its student README, in the
lab's folder): none is a module of the package, whatever it renders.
Variables are written ``{[ name ]}`` and blocks ``{% for ... %}``, so GitHub's ``${{ ... }}``, bash's
``${#x}`` and Python's braces stay literal. A name a template uses but is not given is an error, never an
empty string in a student's file.

    render("release/classroom.yml", lab=lab, python="3.11")
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), undefined=jinja2.StrictUndefined,
                              variable_start_string="{[", variable_end_string="]}",
                              comment_start_string="{##", comment_end_string="##}",
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              autoescape=False)


def render(name: str, folder: Path = TEMPLATES, **context) -> str:
    """The template `name` (a path under `folder`) filled in with `context`."""
    return _environment(Path(folder)).get_template(name).render(**context)
