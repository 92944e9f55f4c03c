"""How fast the grader is, side by side with what it replaces, on this machine. Prints ratios, writes JSON.

    python benchmarks/grading_speed.py [--n 30] [--nbgrader-n 30] [--out benchmarks/results.json]
    python benchmarks/grading_speed.py --baseline DIR [--n 20] [--rounds 3]

Four measurements on the offline kit, one after another in this one run:

1. `autograder grade-all` of N submissions (solutions and typical mistakes from tests/submissions, as
   .ipynb), with --jobs 1 and --jobs 2: wall time, seconds per submission, peak memory of the process tree
   (the sum of PSS, so pages the forked children share with the zygote count once).
2. The marginal cost of one more submission: grade-all of N and of N/2, (T(N) - T(N/2)) / (N/2), for
   --jobs 1 and --jobs 2.
3. `nbgrader autograde` of the same submissions on the course `autograder build nbgrader` writes (the
   stock nbgrader pipeline: one kernel per notebook, one notebook after another). nbgrader is slow, so
   --nbgrader-n may grade fewer of the same submissions; its per-submission time is then what is compared.
4. `autograder grade` of one solution against the bare cost of executing the same four solution notebooks
   once, in one plain Python process.

With `--baseline DIR` (a checkout of an earlier version, e.g. `git worktree add DIR <ref>`), only this:
`grade-all --jobs 2` of the same N submissions by this checkout and by DIR's grader (on PYTHONPATH),
alternately, `--rounds` times each; the ratio of the medians says what a change cost.
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


def nbgrader_autograde(root: Path, names: list[str], work: Path) -> dict:
    course = work / "course"
    subprocess.run([sys.executable, "-m", "autograder", "build", "nbgrader", "--out", str(course)], env=ENV,
                   check=True, capture_output=True)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", LAB, "--force"], cwd=course, env=ENV, check=True,
                   capture_output=True)
    for name in names:
        shutil.copytree(root / "plain" / name, course / "submitted" / name / LAB)
    result = measure([*nbgrader, "autograde", LAB], cwd=course)
    result["per_submission"] = round(result["seconds"] / len(names), 2)
    return result


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
        print(f"nbgrader autograde of {len(graded_by_nbgrader)} ...", flush=True)
        results["nbgrader_autograde"] = nbgrader_autograde(work, graded_by_nbgrader, work)
        print("autograder grade of one solution, and bare execution of its notebooks ...", flush=True)
        results["grade_one"] = measure([sys.executable, "-m", "autograder", "grade",
                                        str(work / "plain" / names[0]), "--out", str(work / "one")])
        results["bare_execution"] = bare_execution(work)
    nb, ga1, ga2 = results["nbgrader_autograde"], results["grade_all_jobs1"], results["grade_all_jobs2"]
    results["ratios"] = {
        "nbgrader_per_submission / grade_all_jobs2_per_submission":
            round(nb["per_submission"] / ga2["per_submission"], 1),
        "nbgrader_per_submission / grade_all_jobs1_per_submission":
            round(nb["per_submission"] / ga1["per_submission"], 1),
        "grade_one / bare_execution": round(results["grade_one"]["seconds"]
                                            / results["bare_execution"]["seconds"], 2),
        "peak_memory_jobs2 / jobs1": round(ga2["peak_mib"] / ga1["peak_mib"], 2),
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def against_baseline(args) -> None:
    """grade-all --jobs 2 by this checkout and by args.baseline, alternately; the ratio of the medians."""
    with tempfile.TemporaryDirectory(prefix="grading-speed-") as tmp:
        work = Path(tmp)
        names = submissions(work, args.n)
        subprocess.run([sys.executable, "-m", "autograder", "models", "build"], env=ENV, check=True,
                       capture_output=True)
        runs: dict[str, list[dict]] = {"this": [], "baseline": []}
        for round_ in range(args.rounds):
            for which, grader in (("baseline", args.baseline.resolve()), ("this", None)):
                print(f"round {round_ + 1}: grade-all --jobs 2 of {args.n} by {which} ...", flush=True)
                runs[which].append(grade_all(work, names, 2, work, grader, f"-{which}-{round_}"))
    medians = {which: statistics.median(r["seconds"] for r in found) for which, found in runs.items()}
    results = {"n": args.n, "baseline": str(args.baseline), "runs": runs, "median_seconds": medians,
               "this / baseline": round(medians["this"] / medians["baseline"], 2)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
