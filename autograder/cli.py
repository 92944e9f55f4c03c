"""The `autograder` command line.

Exit codes: 0 when the command did its job, 1 for an internal fault (or a failed `--check`), 2 for bad input
or usage, always as one clear line on stderr rather than a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parent.parent


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 too, but with a usage dump; keep it to one line
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _models_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", metavar="SPEC",
                        help="model set: offline (default), hub, or a TOML file; also $AUTOGRADER_MODELS")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    models = sub.add_parser("models", help="show or build the reference models")
    models.add_argument("action", nargs="?", choices=["list", "build"], default="list")
    _models_option(models)

    build = sub.add_parser("build", help="generate what students and graders receive")
    build.add_argument("target", choices=["assignments"])
    build.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 naming the generated files that are out of date")
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


def cmd_build(args) -> int:
    from autograder.build.assignments import build_assignments

    paths = build_assignments(args.root, check=args.check)
    shown = [str(p.relative_to(args.root)) if p.is_relative_to(args.root) else str(p) for p in paths]
    if args.check:
        if shown:
            print("Out of date (run 'autograder build assignments'):", *shown, sep="\n  ", file=sys.stderr)
            return 1
        print("assignments/ is up to date with solutions/")
        return 0
    print(f"Wrote {len(shown)} file(s)", *shown, sep="\n  ")
    return 0


def _offline_unless_hub(spec: str | None) -> None:
    """Set HF_HUB_OFFLINE unless the model set names a Hub model: no network is expected otherwise, and a
    Hub lookup then fails in seconds instead of a minute of retries. Must run before huggingface_hub loads."""
    from autograder.models import resolve

    if all(source.kind != "hub" for source in resolve(spec, default="offline").sources.values()):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")


COMMANDS = {"models": cmd_models, "build": cmd_build}


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
    except Exception as exc:
        if os.environ.get("AUTOGRADER_DEBUG"):
            raise
        print(f"autograder: internal error: {type(exc).__name__}: {exc} "
              "(set AUTOGRADER_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
