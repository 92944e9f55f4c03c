"""What a student wrote made inert before a TA's browser renders it: ``InertMarkdown``, the last of the
course's autograde preprocessors (``nbgrader_config.py``).

nbgrader's formgrader shows each autograded notebook as HTML inside JupyterLab, on the origin of the TA's
Jupyter server, and renders markdown cells as they are (its templates never sanitize them): an answer
holding ``<img src=x onerror=...>`` would run script with the TA's session, which can change any grade and
run code as the TA. ``InertMarkdown`` turns every markdown cell a student could edit into the HTML it
renders to, with only the tags, attributes and link protocols of ordinary markdown left (bleach, which
nbconvert's own sanitizer uses), so the formgrader and the feedback show the answer as it was written,
minus what would run. Outputs are sanitized by nbconvert itself (``HTMLExporter.sanitize_html``, set in the
course's configuration). It runs after ``SaveAutoGrades``, which compares each answer with the released
one to find unanswered prompts.
"""

from __future__ import annotations

import bleach
from nbconvert.filters import markdown2html
from nbgrader.preprocessors import NbGraderPreprocessor

# What markdown renders to (headings, lists, tables, code, emphasis, links, images), and nothing that runs.
TAGS = frozenset({"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
                  "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
                  "table", "tbody", "td", "th", "thead", "tr", "ul"})
ATTRIBUTES = {"a": ["href", "title"], "img": ["src", "alt", "title"], "th": ["align"], "td": ["align"],
              "*": ["class"]}
PROTOCOLS = frozenset({"http", "https", "mailto", "data", "attachment"})


def inert_markdown(source: str) -> str:
    """`source` (markdown) as the HTML it renders to, with only markdown's own tags, attributes and link
    protocols left; anything else is shown as text."""
    return bleach.clean(markdown2html(source), tags=TAGS, attributes=ATTRIBUTES, protocols=PROTOCOLS)


class InertMarkdown(NbGraderPreprocessor):
    """Every markdown cell a student could edit (all but nbgrader's locked ones, which autograde restored
    from the gradebook) made inert: see the module docstring."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown" and not cell.get("metadata", {}).get("nbgrader", {}).get("locked"):
            cell.source = inert_markdown(cell.source)
        return cell, resources
