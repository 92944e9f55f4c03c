"""The `autograder` command line.

Exit codes: 0 when the command did its job, 1 for an internal fault (or a failed `--check`), 2 for bad input
or usage, always as one clear line on stderr rather than a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from autograder.errors import GraderFault, UsageError

REPO_ROOT = Path(__file__).resolve().parent.parent


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 too, but with a usage dump; keep it to one line
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _models_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", metavar="SPEC",
                        help="model set: offline (default), hub, or a TOML file; also $AUTOGRADER_MODELS")


def _shard(text: str) -> tuple[int, int]:
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N, got {text!r}")
    return int(k), int(n)


def _lab_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lab", help="the lab, by name (default: the one lab of this installation); a "
                                      "course's own labs are found in the folders of $AUTOGRADER_LABS")


def _lab_and_models(parser: argparse.ArgumentParser) -> None:
    _lab_option(parser)
    _models_option(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    models = sub.add_parser("models", help="show or build the reference models")
    models.add_argument("action", nargs="?", choices=["list", "build"], default="list")
    _models_option(models)

    grade = sub.add_parser("grade", help="grade one student's submission (a folder or one part file)")
    grade.add_argument("path", type=Path)
    _weak_isolation_option(grade)
    grade.add_argument("--out", type=Path, default=Path("graded"), help="output folder (default: graded)")
    _lab_and_models(grade)

    grade_all = sub.add_parser("grade-all", help="grade every student folder under ROOT")
    grade_all.add_argument("root", type=Path)
    _weak_isolation_option(grade_all)
    grade_all.add_argument("--out", type=Path, required=True, help="output folder")
    grade_all.add_argument("--jobs", type=int, default=1, help="students graded in parallel (default 1)")
    grade_all.add_argument("--resume", action="store_true",
                           help="skip students whose files are unchanged since their last grading")
    grade_all.add_argument("--shard", type=_shard, metavar="K/N",
                           help="grade only slice K of N (stable across machines); combine with merge")
    grade_all.add_argument("--roster", type=Path, metavar="CSV",
                           help="GitHub Classroom roster: key grades.csv by its identifier")
    _lab_and_models(grade_all)

    autograde = sub.add_parser("nbgrader-autograde", help="autograde an nbgrader course's submitted/ with "
                               "grade-all and record the grades in its gradebook, as nbgrader autograde does")
    autograde.add_argument("course", type=Path, help="the course folder (autograder build nbgrader's)")
    _weak_isolation_option(autograde)
    autograde.add_argument("--jobs", type=int, default=1, help="students graded in parallel (default 1)")
    autograde.add_argument("--force", action="store_true",
                           help="grade and record every student again (default: only new or changed "
                                "submissions, so an interrupted run goes on where it stopped)")
    _lab_and_models(autograde)

    merge = sub.add_parser("merge", help="combine the outputs of grade-all --shard runs")
    merge.add_argument("shards", type=Path, nargs="+", metavar="DIR")
    merge.add_argument("--out", type=Path, required=True, help="output folder")
    merge.add_argument("--roster", type=Path, metavar="CSV", help="as for grade-all")

    build = sub.add_parser("build", help="generate what students and graders receive")
    build.add_argument("target", choices=["assignments", *BUILDERS])
    build.add_argument("--out", type=Path, help="where to write (release and nbgrader: a folder; "
                                                 "gradescope: a .zip file)")
    build.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 naming the generated files that are out of date")
    build.add_argument("--runtime-url", metavar="ADDRESS",
                       help="release only: where a notebook that runs on its own (Colab) installs the lab's "
                            "runtime from: github:OWNER/REPO[@BRANCH] (the template's own wheel), an https "
                            "URL of the wheel, or a path such as /content/drive/MyDrive/... (Google Drive)")
    _lab_option(build)
    build.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    return parser


def cmd_models(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from autograder.models import ROLES, kit, local_folder, resolve

    model_set = resolve(args.models, default="offline")
    console = Console()
    if args.action == "build":
        with console.status("Building the offline model kit") as status:
            folder = kit.ensure(progress=lambda role: status.update(f"Building the offline kit: {role}"))
        console.print(f"Offline model kit ready: {folder}")
    table = Table(title=f"Model set: {model_set.name}")
    for column in ("role", "source", "what it is", "on this machine"):
        table.add_column(column)
    for role, description in ROLES.items():
        source = model_set[role]
        if source.kind == "kit":
            folder = kit.default_root() / kit.fingerprint() / source.ref
            here = "built" if folder.is_dir() else "built on first use"
        else:
            here = "folder" if local_folder(source) else "downloaded from the Hub on first use"
        table.add_row(role, str(source), description, here)
    console.print(table)
    return 0


# target -> module in autograder.build whose build(lab, root, out) writes it and returns the written paths
BUILDERS = {"release": "release", "nbgrader": "nbgrader", "gradescope": "gradescope"}


def cmd_build(args) -> int:
    import importlib

    from autograder.build.assignments import build_assignments
    from autograder.course import find

    lab = find(args.lab)
    if args.runtime_url is not None and args.target != "release":
        raise UsageError("--runtime-url is for build release only")
    if args.target in BUILDERS:
        if args.out is None:
            raise UsageError(f"build {args.target} needs --out")
        module = importlib.import_module(f"autograder.build.{BUILDERS[args.target]}")
        options = {"runtime_url": args.runtime_url} if args.runtime_url is not None else {}
        written = module.build(lab, args.root, args.out, **options)
        print(f"Wrote {args.out} ({len(written)} files)")
        return 0
    paths = build_assignments(lab, args.root, check=args.check)
    shown = [str(p.relative_to(args.root)) if p.is_relative_to(args.root) else str(p) for p in paths]
    if args.check:
        if shown:
            print("Out of date (run 'autograder build assignments'):", *shown, sep="\n  ", file=sys.stderr)
            return 1
        print(f"The assignments of {lab.id} are up to date with its solutions")
        return 0
    print(f"Wrote {len(shown)} file(s)", *shown, sep="\n  ")
    return 0


def _offline_unless_hub(spec: str | None) -> None:
    """Set HF_HUB_OFFLINE unless the model set names a Hub model: no network is expected otherwise, and a
    Hub lookup then fails in seconds instead of a minute of retries. Must run before huggingface_hub loads."""
    from autograder.models import resolve

    if all(source.kind != "hub" for source in resolve(spec, default="offline").sources.values()):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _grading_setup(args):
    """The lab and the model spec to grade with, after checking the output folder."""
    from autograder.course import find
    from autograder.grading.records import writable_folder
    from autograder.models import selected_spec

    lab = find(args.lab)
    writable_folder(args.out)
    return lab, selected_spec(args.models, default="offline")


def _weak_isolation_option(parser) -> None:
    parser.add_argument("--allow-weak-isolation", action="store_true",
                        help="grade even where the sandbox for student code lacks a layer (see the README's "
                             "Confinement); the summary and the terminal then say which")


def _isolation_policy(args) -> None:
    from autograder.runner.confinement import WEAK_ISOLATION

    if args.allow_weak_isolation:
        os.environ[WEAK_ISOLATION] = "1"  # read by the zygote, in this process or a worker


def cmd_grade(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from autograder.grading import worker
    from autograder.grading.inert import terminal
    from autograder.grading.submission import locate

    lab, models = _grading_setup(args)
    submission = locate(args.path, lab)
    _isolation_policy(args)
    console = Console(stderr=True)
    try:
        with console.status("Grading (starting the grading worker)"):
            grade = worker.grade_one(args.path.name or "submission", submission, args.out, models,
                                     hide=(submission.root, args.out))
    finally:
        worker.close()
    table = Table(title=f"{terminal(args.path)}: {grade.score:g} / {grade.max_score:g} autograded points")
    for column in ("question", "points", "result"):
        table.add_column(column)
    for outcome in grade.parts:
        for test in outcome.tests:  # messages quote the student's code and values: shown, never interpreted
            result = "passed" if test.passed else f"failed: {terminal(test.message)}"
            table.add_row(f"Q{test.number} {terminal(test.name)}",
                          f"{test.points if test.passed else 0:g} / {test.points:g}", result)
    Console().print(table)
    print(f"Wrote {args.out / 'results.json'} and {args.out / 'feedback.md'}")
    return 0


def _grade_class(args, root: Path, **options):
    """grade-all of `root` into `args.out`, as the command line asks: (the lab, each student's (status,
    reason), the folders matched to nobody on the roster)."""
    from autograder.grading import batch, worker

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    lab, models = _grading_setup(args)
    _isolation_policy(args)
    try:
        return lab, *batch.grade_all(lab, root, args.out, models, jobs=args.jobs, **options)
    finally:
        worker.close()


def cmd_grade_all(args) -> int:
    from collections import Counter

    _, statuses, unmatched = _grade_class(args, args.root, resume=args.resume, shard=args.shard,
                                          roster=args.roster)
    counts = Counter(status for status, _ in statuses.values())
    print(f"Graded {counts['graded']}, missing {counts['missing']}, errors {counts['error']}; "
          f"wrote {args.out / 'grades.csv'} and {args.out / 'summary.md'}")
    return _report_class(statuses, unmatched)


def cmd_nbgrader_autograde(args) -> int:
    course = args.course
    if not (course / "nbgrader_config.py").is_file():
        raise UsageError(f"{course} is not an nbgrader course (no nbgrader_config.py); write one with "
                         "autograder build nbgrader")
    if not (course / "submitted").is_dir():
        raise UsageError(f"{course} has no submitted/ folder: collect the submissions first")
    try:
        from autograder.integrations import nbgrader_record
    except ImportError as exc:
        raise UsageError(f"nbgrader-autograde needs nbgrader ({exc}): install the nbgrader extra") from None
    args.out = course / nbgrader_record.RECORDS
    lab, statuses, _ = _grade_class(args, course, resume=not args.force)
    failed = sorted(student for student, (status, _) in statuses.items() if status == "error")
    recorded = nbgrader_record.record(course, lab.id, args.out, failed, args.force)
    graded = sum(status == "graded" for status, _ in statuses.values())
    print(f"Graded {graded} of {len(statuses)} students; "
          + (f"recorded them in {course / 'gradebook.db'} and {course / 'autograded'}" if recorded == 0 else
             "nbgrader could not record every one of them (its errors are above)"))
    return max(_report_class(statuses, {}), recorded)


def cmd_merge(args) -> int:
    from autograder.grading import shards

    statuses, unmatched = shards.merge(args.shards, args.out, args.roster)
    print(f"Merged {len(args.shards)} shard(s) into {args.out / 'grades.csv'} and {args.out / 'summary.md'}")
    return _report_class(statuses, unmatched)


def _report_class(statuses: dict[str, tuple[str, str]], unmatched: dict[str, str]) -> int:
    """On stderr: the folders matched to nobody on the roster, and the students the grader failed for;
    the exit code: 1 when there are such students (no score is recorded for them), else 0."""
    from autograder.grading.inert import plain

    if unmatched:
        print("Repositories matched to nobody on the roster:", file=sys.stderr)
        for folder, why in sorted(unmatched.items()):
            print(f"  {plain(folder)}: {plain(why)}", file=sys.stderr)
    errors = {student: reason for student, (status, reason) in statuses.items() if status == "error"}
    if not errors:
        return 0
    print(f"autograder: the grader failed for {len(errors)} student(s); no score is recorded for them (fix "
          "the fault, then grade them again with grade-all --resume):", file=sys.stderr)
    for student, reason in sorted(errors.items()):
        print(f"  {plain(student)}: {plain(reason)}", file=sys.stderr)
    return 1


COMMANDS = {"models": cmd_models, "grade": cmd_grade, "grade-all": cmd_grade_all, "merge": cmd_merge,
            "build": cmd_build, "nbgrader-autograde": cmd_nbgrader_autograde}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        args = build_parser().parse_args(argv)
        if hasattr(args, "models"):
            _offline_unless_hub(args.models)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted", file=sys.stderr)
        return 130
    except GraderFault as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get("AUTOGRADER_DEBUG"):
            raise
        print(f"autograder: internal error: {type(exc).__name__}: {exc} "
              "(set AUTOGRADER_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


def run() -> None:
    """The console entry point: `main`, then an exit that skips the interpreter's teardown of torch and the
    models (over a second after a grade). Every report is written and closed by then."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(code)
