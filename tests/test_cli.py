"""The command line: bad input gets one clear line and exit code 2, never a traceback."""

import os
import subprocess
import sys

import pytest


def run(*args, cwd=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def assert_usage_error(result, fragment):
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_models_list_shows_every_role():
    result = run("models", "list", "--models", "offline")
    assert result.returncode == 0, result.stderr
    for role in ("encoder", "encoder_alt", "decoder", "decoder_alt", "decoder_eos"):
        assert role in result.stdout


def test_unknown_model_set():
    assert_usage_error(run("models", "--models", "bogus"), "unknown model set 'bogus'")


def test_unknown_model_set_from_environment():
    env_result = subprocess.run([sys.executable, "-m", "autograder", "models"], capture_output=True,
                                text=True, env={**os.environ, "AUTOGRADER_MODELS": "bogus"}, timeout=300)
    assert_usage_error(env_result, "unknown model set 'bogus'")


@pytest.mark.parametrize("content, fragment", [
    ('extends = "offline"\n[models]\nencoder = "./no-such-folder"\n', "model folder does not exist"),
    ('[models]\nencoder = "kit:encoder"\n', "missing from [models]"),
])
def test_bad_toml(tmp_path, content, fragment):
    spec = tmp_path / "set.toml"
    spec.write_text(content)
    assert_usage_error(run("models", "--models", str(spec)), fragment)


def test_missing_toml_file(tmp_path):
    assert_usage_error(run("models", "--models", str(tmp_path / "absent.toml")), "not found")


def test_unknown_command():
    assert_usage_error(run("frobnicate"), "invalid choice")
