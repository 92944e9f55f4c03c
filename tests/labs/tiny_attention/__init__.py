"""A second, small lab: two parts with their own solutions, hidden suites, public checks and points. It
proves that the grader and every builder serve any lab: it goes through all of them with no change outside
this folder (found through $AUTOGRADER_LABS; see docs/new-lab.md)."""

from pathlib import Path

from autograder.course import Lab, Part

_FOLDER = Path(__file__).resolve().parent

LAB = Lab(
    id="tiny_attention",
    title="Tiny attention",
    parts=(
        Part(1, "tiny_weights", "Attention weights by hand", 6),
        Part(2, "tiny_next_token", "The next token of a decoder", 4),
    ),
    folder=_FOLDER,
    solutions=_FOLDER / "solutions",
    assignments=_FOLDER / "assignments",
    roles=("decoder",),
    runtime=("__init__.py", "public.py"),
    forbidden="autograder.labs.tiny_attention.forbidden",
)
