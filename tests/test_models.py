"""The offline kit: real tokenizers, deterministic weights, offline loading; the model-set registry."""

import hashlib
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from autograder.errors import UsageError
from autograder.models import ROLES, kit, load_pair, resolve

SENTENCE = "I believe that the EU is trustworthy."
PROMPT = "Today I believe we can finally"


@pytest.mark.parametrize("role", ["encoder", "encoder_alt"])
def test_wordpiece_facts_hold_on_kit(role):
    tokenizer, model = load_pair(role, spec="offline")
    ids = tokenizer(SENTENCE)["input_ids"]
    assert ids == [101, 1045, 2903, 2008, 1996, 7327, 2003, 3404, 13966, 1012, 102]
    assert tokenizer.convert_ids_to_tokens(ids)[7:9] == ["trust", "##worthy"]
    assert tokenizer.tokenize("darwinism") == ["darwin", "##ism"]
    assert (len(tokenizer), tokenizer.cls_token_id, tokenizer.sep_token_id) == (30522, 101, 102)
    labels = {"encoder": {0: "NEGATIVE", 1: "POSITIVE"}, "encoder_alt": {0: "neutral", 1: "joy", 2: "anger"}}
    assert model.config.id2label == labels[role]  # the second: another count, names and order


@pytest.mark.parametrize("role", ["decoder", "decoder_alt", "decoder_eos"])
def test_bpe_facts_hold_on_kit(role):
    tokenizer, _ = load_pair(role, spec="offline")
    assert tokenizer(PROMPT)["input_ids"] == [8888, 314, 1975, 356, 460, 3443]
    assert tokenizer.convert_tokens_to_ids("Love") == 18565
    assert tokenizer.tokenize(" world") == ["Ġworld"]
    assert (len(tokenizer), tokenizer.eos_token_id, tokenizer.pad_token) == (50257, 50256, None)


def test_roles_use_different_architectures():
    kinds = {role: type(load_pair(role, spec="offline")[1]).__name__ for role in ROLES}
    assert kinds["encoder"] != kinds["encoder_alt"]
    assert kinds["decoder"] != kinds["decoder_alt"]


def test_eos_decoder_stops_after_its_documented_prompt():
    tokenizer, model = load_pair("decoder_eos", spec="offline")
    meta = model.config.task_specific_params["autograder"]
    ids = tokenizer(meta["eos_prompt"], return_tensors="pt").input_ids
    out = model.generate(ids, max_new_tokens=20, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    new = out[0, ids.shape[1]:].tolist()
    assert new[-1] == tokenizer.eos_token_id and len(new) == meta["eos_after"]


def test_decoder_greedy_output_varies():
    # A tiny GPT-2 at the default init repeats one token; the kit's must not, or Part 4 tests nothing.
    tokenizer, model = load_pair("decoder", spec="offline")
    ids = tokenizer(PROMPT, return_tensors="pt").input_ids
    out = model.generate(ids, max_new_tokens=10, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    assert len(set(out[0, ids.shape[1]:].tolist())) >= 5


def _digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_kit_builds_are_byte_identical(tmp_path, kit_dir):
    rebuilt = kit.build(tmp_path / "kit")
    assert _digests(rebuilt) == _digests(kit_dir)
    assert any(name.endswith("model.safetensors") for name in _digests(rebuilt))


def test_kit_loads_with_hub_offline_and_no_network(kit_dir):
    # A fresh process with sockets disabled: loading must not touch the network at all.
    code = textwrap.dedent("""
        import socket
        def refuse(*a, **k):
            raise OSError("network disabled in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from autograder.models import load_pair
        tokenizer, model = load_pair("decoder")
        print(type(model).__name__, tokenizer("Love")["input_ids"])
    """)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "AUTOGRADER_MODELS": "offline",
           "AUTOGRADER_KIT_DIR": str(kit_dir.parent)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "GPT2LMHeadModel [18565]"


def test_hub_set_names_the_lab_models():
    hub = resolve("hub")
    assert hub["encoder"].ref == "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    assert hub["decoder"].ref == "openai-community/gpt2"
    assert all(hub[role].revision for role in ("encoder", "decoder"))


def test_environment_selects_the_set(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_MODELS", "hub")
    assert resolve().name == "hub"
    assert resolve("offline").name == "offline"  # an explicit spec wins over the environment


def test_a_notebook_chooses_its_set_and_the_environment_still_wins(monkeypatch, capsys):
    """A notebook's setup cell says MODELS = ...: that set is in force for every later load_pair, except
    where whoever runs the notebook (the grader, the Classroom checks) set AUTOGRADER_MODELS."""
    from autograder.models import choose, registry

    monkeypatch.setattr(registry, "_chosen", {})
    monkeypatch.delenv("AUTOGRADER_MODELS")
    assert resolve(default="hub").name == "hub"
    assert choose("offline") == "offline"
    assert capsys.readouterr().out.startswith("Models: offline (the offline kit")
    assert resolve(default="hub").name == "offline"
    assert resolve("hub").name == "hub"  # an explicit spec still wins
    monkeypatch.setenv("AUTOGRADER_MODELS", "offline")
    assert choose("hub") == "offline"
    shown = capsys.readouterr().out
    assert shown == "Models: offline (AUTOGRADER_MODELS is set, and it overrides MODELS = 'hub')\n"
    assert resolve(default="hub").name == "offline"
    with pytest.raises(UsageError, match="unknown model set 'hbu'"):
        choose("hbu")
    assert registry._chosen == {"spec": "hub"}  # a refused choice changes nothing


def test_toml_maps_roles_to_folders_hub_ids_and_kit(tmp_path):
    (tmp_path / "enc").mkdir()
    spec = tmp_path / "models.toml"
    spec.write_text('extends = "offline"\n[models]\nencoder = "./enc"\ndecoder = "gpt2@abc123"\n')
    model_set = resolve(str(spec))
    assert model_set["encoder"].kind == "folder" and model_set["encoder"].ref == str(tmp_path / "enc")
    assert (model_set["decoder"].ref, model_set["decoder"].revision) == ("gpt2", "abc123")
    assert model_set["decoder_eos"].kind == "kit"


def test_a_model_set_is_read_once_then_pinned_and_crosses_to_the_zygote_as_json(tmp_path):
    """The grader resolves its set once: a child, which may not be able to read the file, and the
    grader's own reference models later, get that set, not a fresh read of the file."""
    from autograder.models.registry import ModelSet, pin

    (tmp_path / "enc").mkdir()
    spec = tmp_path / "models.toml"
    spec.write_text('extends = "offline"\n[models]\nencoder = "./enc"\n')
    model_set = resolve(str(spec))
    assert ModelSet.from_json(model_set.to_json()) == model_set
    pin(str(spec), model_set)
    spec.unlink()
    assert resolve(str(spec)) == model_set


@pytest.mark.parametrize("content, message", [
    ('extends = "offline"\n[models]\nencoder = "./nowhere"\n', "does not exist"),
    ('[models]\nencoder = "kit:encoder"\n', "missing from [models]"),
    ('extends = "offline"\n[models]\nteacher = "gpt2"\n', "unknown role"),
    ("[models\n", "not valid TOML"),
])
def test_bad_toml_is_a_usage_error(tmp_path, content, message):
    spec = tmp_path / "models.toml"
    spec.write_text(content)
    with pytest.raises(UsageError, match=message.replace("[", r"\[")):
        resolve(str(spec))


@pytest.mark.hub
def test_real_models_match_lab_spec(hub_pair):
    tokenizer, model = hub_pair("encoder")
    with torch.no_grad():
        logits = model(**tokenizer(SENTENCE, return_tensors="pt")).logits[0]
    assert torch.allclose(logits, torch.tensor([-3.51, 3.68]), atol=0.01)
    tokenizer, model = hub_pair("decoder")
    ids = tokenizer(PROMPT, return_tensors="pt").input_ids
    out = model.generate(ids, max_new_tokens=24, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    assert tokenizer.decode(out[0, ids.shape[1]:]) == (
        " get to the point where we can make a difference in the lives of the people of the United"
        " States of America.\n")


@pytest.mark.parametrize("role", ["encoder", "encoder_alt"])
def test_kit_classifiers_tell_texts_apart(role):
    # A classifier that says 50/50 to everything cannot catch swapped labels in Part 3.
    tokenizer, model = load_pair(role, spec="offline")
    texts = [SENTENCE, "This movie was terrible and boring.", "What a wonderful day!"]
    with torch.no_grad():
        positive = [torch.softmax(model(**tokenizer(t, return_tensors="pt")).logits[0], -1)[1] for t in texts]
    assert all(abs(p - 0.5) > 0.03 for p in positive)
    assert max(positive) - min(positive) > 0.03
