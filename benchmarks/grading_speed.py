"""How fast the grader is, side by side with what it replaces, on this machine. Prints ratios, writes JSON.

    python benchmarks/grading_speed.py [--n 30] [--nbgrader-n 10] [--out benchmarks/results.json]
    python benchmarks/grading_speed.py --baseline DIR [--n 20] [--rounds 3] [--nbgrader-n K]

Four measurements on the offline kit, one after another in this one run:

1. `autograder grade-all` of N submissions (solutions and typical mistakes from tests/submissions, as
   .ipynb), with --jobs 1 and --jobs 2: wall time, seconds per submission, peak memory of the process tree
   (the sum of PSS, so pages the forked children share with the zygote count once).
2. The marginal cost of one more submission: grade-all of N and of N/2, (T(N) - T(N/2)) / (N/2), for
   --jobs 1 and --jobs 2.
3. The nbgrader course `autograder build nbgrader` writes, filled from the same submissions in
   `submitted/` in four ways, each on a fresh copy (nbgrader is slow, so --nbgrader-n may take fewer of
   the same submissions; per-submission times are then what is compared):
   - `autograder nbgrader-autograde --jobs 2`, then `nbgrader export` (from submitted/ to grades.csv), of
     all N submissions, as grade-all;
   - stock `nbgrader autograde` (one kernel per notebook, one notebook after another), its hidden-test
     cells answered by the warm grader;
   - the same with `--ResilientExecute.warm_grader=False`: each notebook's hidden cells start the
     standalone grader in a fresh process, as before the warm grader;
   - nbgrader's floor: `nbgrader autograde` of the same notebooks with the hidden-test cells removed
     (from the source notebooks and from the submissions), so nothing is graded but the kernels run.
4. `autograder grade` of one solution against the bare cost of executing the same four solution notebooks
   once, in one plain Python process.

With `--baseline DIR` (a checkout of an earlier version, e.g. `git worktree add DIR <ref>`), only this:
`grade-all --jobs 2` of the same N submissions by this checkout and by DIR's grader (on PYTHONPATH),
alternately, `--rounds` times each, and with `--nbgrader-n K` stock `nbgrader autograde` of the first K of
them on a course each grader built; the ratio of the medians says what a change cost.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import corpus  # noqa: E402
import platforms  # noqa: E402

LAB = "encoders_decoders"
GRADED_PARTS = ("part1_tokenization", "part2_hidden_states", "part3_softmax", "part4_greedy_decoding")
# Quick, realistic mix: solutions and one-part mistakes (no attacks that sit out their timeouts).
MIX = ("solution", "m_softmax_no_max_shift", "m_table_no_special_tokens", "m_greedy_off_by_one",
       "m_hidden_no_embedding_output", "m_classify_not_rounded", "m_greedy_no_eos_stop",
       "m_embedding_batch_dim")
ENV = {**os.environ, "AUTOGRADER_MODELS": "offline", "HF_HUB_OFFLINE": "1",
       "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # nbgrader runs alembic from the environment's bin folder:
       "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def measure(command: list[str], cwd: Path | None = None, env: dict | None = None) -> dict:
    """Wall seconds and peak PSS (MiB) of the whole process tree of `command`, sampled every 0.2 s."""
    start = time.monotonic()
    process = psutil.Popen(command, cwd=cwd, env=env or ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    peak, done = 0, threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            total = 0
            for proc in [process, *process.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_full_info().pss
            peak = max(peak, total)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode()[-2000:]}")
    return {"seconds": round(time.monotonic() - start, 2), "peak_mib": round(peak / 2**20)}


def submissions(root: Path, n: int) -> list[str]:
    """N student folders cycling through MIX, each part an .ipynb as the nbgrader release gives it to
    students: both graders read the very same files."""
    manifest = corpus.load_manifest()
    names = []
    for i in range(n):
        sample = MIX[i % len(MIX)]
        name = f"s{i:03d}_{sample}"
        folder = corpus.materialize(sample, root / "corpus" / name, manifest)
        platforms.nbgrader_submission(folder, root / "plain" / name)
        names.append(name)
    return names


def grade_all(root: Path, names: list[str], jobs: int, work: Path, grader: Path | None = None,
              tag: str = "") -> dict:
    """grade-all of `names`; by the grader in checkout `grader` (on PYTHONPATH) if given."""
    batch = work / f"batch-{len(names)}-{jobs}{tag}"
    batch.mkdir()
    for name in names:
        shutil.copytree(root / "plain" / name, batch / name)
    env = {**ENV, "PYTHONPATH": str(grader)} if grader else ENV
    result = measure([sys.executable, "-m", "autograder", "grade-all", str(batch), "--out",
                      str(work / f"out-{len(names)}-{jobs}{tag}"), "--jobs", str(jobs)], cwd=work, env=env)
    result["per_submission"] = round(result["seconds"] / len(names), 2)
    return result


NBGRADER = [sys.executable, "-m", "nbgrader"]


def nbgrader_course(root: Path, names: list[str], course: Path, floor: bool = False,
                    env: dict | None = None) -> Path:
    """The built course with `names` in submitted/; for the floor, without any hidden-test cell; built by
    the grader `env` names (another checkout's, on PYTHONPATH)."""
    import nbformat

    from autograder.integrations.nbgrader_cells import hidden_call

    subprocess.run([sys.executable, "-m", "autograder", "build", "nbgrader", "--out", str(course)],
                   env=env or ENV, check=True, capture_output=True)
    hidden: set[str] = set()
    for path in (course / "source" / LAB).glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        hidden |= {c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if hidden_call(c)}
        if floor:
            notebook.cells = [c for c in notebook.cells if not hidden_call(c)]
            nbformat.write(notebook, path)
    subprocess.run([*NBGRADER, "generate_assignment", LAB, "--force"], cwd=course, env=ENV, check=True,
                   capture_output=True)
    for name in names:
        shutil.copytree(root / "plain" / name, course / "submitted" / name / LAB)
        for path in (course / "submitted" / name / LAB).glob("*.ipynb") if floor else ():
            notebook = nbformat.read(path, as_version=4)
            notebook.cells = [c for c in notebook.cells
                              if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in hidden]
            nbformat.write(notebook, path)
    return course


def nbgrader_paths(root: Path, names: list[str], kernels: list[str], work: Path) -> dict:
    """The four ways of filling the course (see the module doc), each on its own copy: the command with
    `names` (all N, as grade-all), the ways that run kernels with `kernels` (the first --nbgrader-n)."""
    ways = {
        "nbgrader_autograde_command": (False, [[sys.executable, "-m", "autograder", "nbgrader-autograde", ".",
                                                "--jobs", "2"], [*NBGRADER, "export", "--to", "grades.csv"]]),
        "nbgrader_autograde_warm": (False, [[*NBGRADER, "autograde", LAB]]),
        "nbgrader_autograde_before": (False, [[*NBGRADER, "autograde", LAB,
                                               "--ResilientExecute.warm_grader=False"]]),
        "nbgrader_floor": (True, [[*NBGRADER, "autograde", LAB]]),
    }
    results = {}
    for way, (floor, commands) in ways.items():
        students = names if way == "nbgrader_autograde_command" else kernels
        print(f"{way} of {len(students)} ...", flush=True)
        course = nbgrader_course(root, students, work / way, floor)
        runs = [measure(command, cwd=course) for command in commands]
        seconds = sum(run["seconds"] for run in runs)
        results[way] = {"n": len(students), "seconds": round(seconds, 2),
                        "peak_mib": max(run["peak_mib"] for run in runs),
                        "per_submission": round(seconds / len(students), 2)}
    return results


def bare_execution(work: Path) -> dict:
    """The four solution notebooks executed once, one after another, in one plain Python process."""
    script = work / "bare.py"
    paths = [str(REPO / "solutions" / LAB / f"{stem}.py") for stem in GRADED_PARTS]
    script.write_text("import runpy, sys\n"
                      f"for path in {paths!r}:\n"
                      "    runpy.run_path(path, run_name='__main__')\n")
    return measure([sys.executable, str(script)], cwd=work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="submissions graded by grade-all (default 30)")
    parser.add_argument("--nbgrader-n", type=int, default=None,
                        help="of those, how many nbgrader grades too (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.json")
    parser.add_argument("--baseline", type=Path, help="compare grade-all with this earlier checkout only")
    parser.add_argument("--rounds", type=int, default=3, help="with --baseline: runs of each (default 3)")
    args = parser.parse_args()
    if args.baseline:
        return against_baseline(args)
    with tempfile.TemporaryDirectory(prefix="grading-speed-") as tmp:
        work = Path(tmp)
        names = submissions(work, args.n)
        subprocess.run([sys.executable, "-m", "autograder", "models", "build"], env=ENV, check=True,
                       capture_output=True)  # the kit is built once, outside every timing
        machine = {"cpus": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30),
                   "python": platform.python_version(), "platform": platform.platform()}
        results = {"machine": machine, "n": args.n}
        print(f"grade-all --jobs 1 of {args.n} ...", flush=True)
        results["grade_all_jobs1"] = grade_all(work, names, 1, work)
        print(f"grade-all --jobs 2 of {args.n} ...", flush=True)
        results["grade_all_jobs2"] = grade_all(work, names, 2, work)
        half = names[: args.n // 2]
        for jobs in (1, 2):
            print(f"grade-all --jobs {jobs} of {len(half)} ...", flush=True)
            whole = results[f"grade_all_jobs{jobs}"]
            part = results[f"grade_all_half_jobs{jobs}"] = grade_all(work, half, jobs, work)
            results[f"marginal_seconds_per_submission_jobs{jobs}"] = round(
                (whole["seconds"] - part["seconds"]) / (args.n - len(half)), 2)
        graded_by_nbgrader = names[: args.nbgrader_n or args.n]
        results["nbgrader_n"] = len(graded_by_nbgrader)
        results.update(nbgrader_paths(work, names, graded_by_nbgrader, work))
        print("autograder grade of one solution, and bare execution of its notebooks ...", flush=True)
        results["grade_one"] = measure([sys.executable, "-m", "autograder", "grade",
                                        str(work / "plain" / names[0]), "--out", str(work / "one")])
        results["bare_execution"] = bare_execution(work)
    ga1, ga2 = results["grade_all_jobs1"], results["grade_all_jobs2"]
    per = {way: results[way]["per_submission"] for way in ("nbgrader_autograde_command",
                                                           "nbgrader_autograde_warm",
                                                           "nbgrader_autograde_before", "nbgrader_floor")}
    results["ratios"] = {
        "nbgrader_autograde_command / grade_all_jobs2, per submission":
            round(per["nbgrader_autograde_command"] / ga2["per_submission"], 2),
        "nbgrader_autograde_warm / nbgrader_floor": round(per["nbgrader_autograde_warm"]
                                                          / per["nbgrader_floor"], 2),
        "nbgrader_autograde_before / nbgrader_autograde_warm": round(per["nbgrader_autograde_before"]
                                                                     / per["nbgrader_autograde_warm"], 2),
        "nbgrader_autograde_before / nbgrader_autograde_command": round(
            per["nbgrader_autograde_before"] / per["nbgrader_autograde_command"], 1),
        "nbgrader_autograde_before / grade_all_jobs2, per submission":
            round(per["nbgrader_autograde_before"] / ga2["per_submission"], 1),
        "grade_one / bare_execution": round(results["grade_one"]["seconds"]
                                            / results["bare_execution"]["seconds"], 2),
        "peak_memory_jobs2 / jobs1": round(ga2["peak_mib"] / ga1["peak_mib"], 2),
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def against_baseline(args) -> None:
    """grade-all --jobs 2 by this checkout and by args.baseline, alternately; the ratio of the medians.
    With --nbgrader-n K, also stock `nbgrader autograde` of the first K submissions by each, alternately."""
    with tempfile.TemporaryDirectory(prefix="grading-speed-") as tmp:
        work = Path(tmp)
        names = submissions(work, args.n)
        subprocess.run([sys.executable, "-m", "autograder", "models", "build"], env=ENV, check=True,
                       capture_output=True)
        runs: dict[str, list[dict]] = {"this": [], "baseline": []}
        autogrades: dict[str, list[dict]] = {"this": [], "baseline": []}
        for round_ in range(args.rounds):
            for which, grader in (("baseline", args.baseline.resolve()), ("this", None)):
                print(f"round {round_ + 1}: grade-all --jobs 2 of {args.n} by {which} ...", flush=True)
                runs[which].append(grade_all(work, names, 2, work, grader, f"-{which}-{round_}"))
                if args.nbgrader_n:
                    print(f"round {round_ + 1}: nbgrader autograde of {args.nbgrader_n} by {which} ...",
                          flush=True)
                    env = {**ENV, "PYTHONPATH": str(grader)} if grader else ENV
                    course = nbgrader_course(work, names[:args.nbgrader_n], work / f"course-{which}-{round_}",
                                             env=env)
                    autogrades[which].append(measure([*NBGRADER, "autograde", LAB], cwd=course, env=env))
    results = {"n": args.n, "baseline": str(args.baseline)}
    for what, found in (("grade-all", runs), ("nbgrader autograde", autogrades)):
        if found["this"]:
            medians = {which: statistics.median(r["seconds"] for r in done) for which, done in found.items()}
            results[what] = {"runs": found, "median_seconds": medians,
                             "this / baseline": round(medians["this"] / medians["baseline"], 2)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
