"""Student text made inert for each place it is shown: a TA's terminal, Markdown (and the HTML it becomes),
and a spreadsheet.

Exception messages, printed output, file and folder names come from the student. In a terminal, escape
sequences move the cursor or retitle the window and rich reads `[...]` as markup (a stray `[/]` crashes the
table); in Markdown, raw HTML is rendered; in a spreadsheet, a cell starting with `=` is a formula.
"""

from __future__ import annotations

import html
import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates that can
# make text read differently from what it is.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # alone in a str (code can make them): no UTF-8 file holds one
_FORMULA_START = ("=", "+", "-", "@", "\t")  # after `plain`, which removes "\r"


def plain(text: object) -> str:
    """`text` without control characters (newlines and tabs kept), lone surrogates shown as U+FFFD."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", str(text)))


def terminal(text: object) -> str:
    """For rich's console: no control characters, and brackets that rich prints rather than reads."""
    from rich.markup import escape

    return escape(plain(text))


def markdown_cell(text: object) -> str:
    """One line of a Markdown table: whitespace collapsed, `|` escaped, HTML shown as text."""
    return html.escape(" ".join(plain(text).split()), quote=False).replace("|", "\\|")


def spreadsheet(text: object) -> str:
    """A CSV cell no spreadsheet runs as a formula (OWASP's rule: a leading quote)."""
    value = plain(text)
    return "'" + value if value.startswith(_FORMULA_START) else value
