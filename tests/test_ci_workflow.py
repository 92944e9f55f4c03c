"""The repository's own GitHub Actions workflow runs what this machine's CI runs: `.ci/run`, whose test
command is the README's."""

import subprocess

import yaml
from corpus import REPO

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"


def test_the_workflow_is_actionlint_clean(actionlint):
    result = subprocess.run([actionlint, str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflow_runs_ci_run_with_the_cpu_torch_and_ci_run_runs_the_readmes_test_command():
    job = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["test"]
    assert job["env"]["TORCH_INDEX"] == "https://download.pytorch.org/whl/cpu"
    assert [step["run"] for step in job["steps"] if "run" in step] == ["bash .ci/run"]
    ci_run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "\nmake test\n" in ci_run and "make test    # the test suite" in readme
