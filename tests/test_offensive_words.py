"""No demo prints an offensive word on the offline kit, whichever model plays each role.

The kit's weights are random, so every demo that decodes or ranks tokens prints a random pick from a
50,257-token vocabulary, which holds offensive words. Every word a solution notebook prints is screened with
alt-profanity-check (a maintained screening library, pinned in constraints.txt): on the default roles
(encoder, decoder) in test_notebooks.py, which runs them anyway, and here with the other roles in their
places (the second architectures; the decoder that emits eos early). Part 1 is left out here: it uses only
the tokenizers, which every role shares.
"""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder.labs.encoders_decoders import LAB_ID, PARTS

profanity_check = pytest.importorskip("profanity_check")

MODEL_SETS = {
    "encoder_alt, decoder_alt": {"encoder": "kit:encoder_alt", "decoder": "kit:decoder_alt"},
    "decoder_eos": {"decoder": "kit:decoder_eos"},
}
WORD = re.compile(r"[A-Za-z]+")


def offensive(text: str) -> list[str]:
    """The distinct words of ``text`` that the screen flags."""
    words = sorted(set(WORD.findall(text)))
    if not words:
        return []
    return [word for word, flag in zip(words, profanity_check.predict(words), strict=True) if flag]


def run_notebooks(repo, spec: str) -> str:
    """What the solution notebooks print, run as scripts one after the other in one process (which loads
    each model once) on the model set ``spec``."""
    paths = [str(repo / "solutions" / LAB_ID / f"{part.stem}.py") for part in PARTS[1:]]
    code = "import runpy, sys\nfor path in sys.argv[1:]:\n    runpy.run_path(path, run_name='__main__')\n"
    env = {**os.environ, "AUTOGRADER_MODELS": spec, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code, *paths], env=env, capture_output=True, text=True,
                          timeout=900, cwd=repo)
    assert done.returncode == 0, f"the notebooks on {spec}: {done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.slow  # the notebooks once per other model set: 13 s of the default tier
def test_no_notebook_prints_an_offensive_word_with_the_other_roles(repo, kit_dir, tmp_path):
    specs = []
    for number, sources in enumerate(MODEL_SETS.values()):
        path = tmp_path / f"set{number}.toml"
        lines = "".join(f'{role} = "{source}"\n' for role, source in sources.items())
        path.write_text(f'extends = "offline"\n[models]\n{lines}')
        specs.append(str(path))
    with ThreadPoolExecutor(len(specs)) as pool:
        printed = dict(zip(MODEL_SETS, pool.map(lambda spec: run_notebooks(repo, spec), specs), strict=True))
    for roles, text in printed.items():
        assert text.count("public check") >= 13, roles  # Parts 2 to 4 ran to their checks
        assert not offensive(text), f"offensive words printed on the kit ({roles}): {offensive(text)}"


def test_the_screen_flags_what_a_longer_kit_continuation_prints(kit_dir):
    """The screen is not vacuous: 24 greedy tokens of the kit's GPT-2 after the lab's prompt (what Part 4
    printed before it stopped at 7) hold a word it flags."""
    import torch

    from autograder.models import load_pair

    tokenizer, model = load_pair("decoder", spec="offline")
    ids = tokenizer("Today I believe we can finally", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=24, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    assert offensive(tokenizer.decode(out[0]))
    assert not offensive("The film was wonderful. We sat on the bank of the river.")
