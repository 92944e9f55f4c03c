"""The offline model kit: tiny, seeded models that share the REAL tokenizers of the lab's models.

The kit stands in for the Hugging Face Hub wherever there is no network (tests, CI, grading). Each role is a
folder that `from_pretrained` loads like a Hub snapshot. Weights are random but seeded, so a build is
bit-identical across runs; the tokenizers are built from vendored copies of GPT-2's BPE files and
bert-base-uncased's WordPiece vocabulary, so every tokenizer fact of the lab holds on the kit too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
RECIPE_VERSION = 3  # bump whenever a recipe below changes, so cached kits are rebuilt
GPT2_EOS = 50256
LABELS = {0: "NEGATIVE", 1: "POSITIVE"}
# The second classifier's labels differ on purpose: three of them, other names, and ids in an order that is
# not alphabetical, so an answer that assumes NEGATIVE/POSITIVE, two labels or sorted names fails there.
ALT_LABELS = {0: "neutral", 1: "joy", 2: "anger"}
# At the default init (0.02) a tiny classifier says 50/50 to every text, so swapped labels would go unseen;
# 0.2 gives probabilities that differ between texts without saturating at 0 or 100 %.
CLASSIFIER_INIT = 0.2

# Prompts tried, in order, for the eos-prone decoder; the first whose greedy continuation ends with eos
# within EOS_STEPS tokens becomes the kit's documented `eos_prompt`.
EOS_PROMPTS = ("The end", "Once upon a time", "Hello world", "In the beginning", "Goodbye")
EOS_STEPS = range(2, 7)


def _bert_tokenizer(cls):
    # transformers 5: cls(vocab_file=...) maps every word to [UNK]; from_pretrained on the folder does not.
    return cls.from_pretrained(VENDOR / "bert-base-uncased", do_lower_case=True, model_max_length=512)


def _gpt2_tokenizer():
    from transformers import GPT2TokenizerFast

    # transformers 5: vocab_file=/merges_file= silently builds an empty tokenizer; pass vocab=/merges=.
    folder = VENDOR / "gpt2"
    return GPT2TokenizerFast(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"),
                             model_max_length=1024)


def _encoder(seed: int):
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, DistilBertTokenizerFast

    config = DistilBertConfig(vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                              max_position_embeddings=128, id2label=LABELS,
                              label2id={v: k for k, v in LABELS.items()}, initializer_range=CLASSIFIER_INIT)
    model = _seeded(seed, DistilBertForSequenceClassification, config)
    return model, _bert_tokenizer(DistilBertTokenizerFast)


def _encoder_alt(seed: int):
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    config = BertConfig(vocab_size=30522, hidden_size=24, num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=48, max_position_embeddings=128, id2label=ALT_LABELS,
                        label2id={v: k for k, v in ALT_LABELS.items()}, initializer_range=CLASSIFIER_INIT)
    return _seeded(seed, BertForSequenceClassification, config), _bert_tokenizer(BertTokenizerFast)


def _gpt2_config():
    from transformers import GPT2Config

    # initializer_range 0.3 (not 0.02): a tiny GPT-2 at the default init greedily repeats one token.
    return GPT2Config(vocab_size=50257, n_positions=128, n_embd=32, n_layer=2, n_head=2,
                      initializer_range=0.3, bos_token_id=GPT2_EOS, eos_token_id=GPT2_EOS)


def _decoder(seed: int):
    from transformers import GPT2LMHeadModel

    return _seeded(seed, GPT2LMHeadModel, _gpt2_config()), _gpt2_tokenizer()


def _decoder_alt(seed: int):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=50257, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         initializer_range=0.3, tie_word_embeddings=False,
                         bos_token_id=GPT2_EOS, eos_token_id=GPT2_EOS)
    return _seeded(seed, LlamaForCausalLM, config), _gpt2_tokenizer()


def _decoder_eos(seed: int):
    """A GPT-2 whose eos logit grows with a scale `c`; the smallest `c` that makes the greedy continuation
    of one of EOS_PROMPTS end in eos after a few tokens is kept, so "stop at eos" has a real test case."""
    import torch
    from transformers import GPT2LMHeadModel

    tokenizer = _gpt2_tokenizer()
    model = _seeded(seed, GPT2LMHeadModel, _gpt2_config()).eval()
    # The output embedding is tied to the input one: logit_eos = h . E[eos]. Aligning E[eos] with the final
    # LayerNorm's bias adds roughly c * |bias|^2 to the eos logit at every position.
    bias = model.transformer.ln_f.bias.detach().clone()
    bias += 0.5 * torch.randn(bias.shape, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        model.transformer.ln_f.bias.copy_(bias)
    base = model.transformer.wte.weight[GPT2_EOS].detach().clone()
    for scale in [s / 4 for s in range(0, 200)]:
        with torch.no_grad():
            model.transformer.wte.weight[GPT2_EOS] = base + scale * bias
        for prompt in EOS_PROMPTS:
            ids = tokenizer(prompt, return_tensors="pt").input_ids
            out = model.generate(ids, max_new_tokens=max(EOS_STEPS), do_sample=False,
                                 pad_token_id=GPT2_EOS)[0, ids.shape[1]:].tolist()
            if GPT2_EOS in out and out.index(GPT2_EOS) + 1 in EOS_STEPS:
                model.config.task_specific_params = {"autograder": {"eos_prompt": prompt,
                                                                    "eos_after": out.index(GPT2_EOS) + 1}}
                return model, tokenizer
    raise RuntimeError("no eos scale found for the eos-prone decoder: the recipe needs adjusting")


def _seeded(seed: int, cls, config):
    import torch

    torch.manual_seed(seed)
    return cls(config)


# role -> (recipe, seed). Seeds differ so no two roles share weights.
RECIPES: dict[str, tuple[Callable, int]] = {
    "encoder": (_encoder, 1),
    "encoder_alt": (_encoder_alt, 2),
    "decoder": (_decoder, 3),
    "decoder_alt": (_decoder_alt, 4),
    "decoder_eos": (_decoder_eos, 5),
}


def fingerprint() -> str:
    """Identifies a kit build: recipe version, library versions and the vendored tokenizer files."""
    import torch
    import transformers

    digest = hashlib.sha256(f"{RECIPE_VERSION}|{torch.__version__}|{transformers.__version__}".encode())
    for path in sorted([*VENDOR.rglob("*.json"), *VENDOR.rglob("*.txt")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def default_root() -> Path:
    """Where built kits are cached: $AUTOGRADER_KIT_DIR, else the user's cache folder."""
    if os.environ.get("AUTOGRADER_KIT_DIR"):
        return Path(os.environ["AUTOGRADER_KIT_DIR"]).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "autograder" / "kit"


def build(dest: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Build every role of the kit into `dest/<role>/` (a folder `from_pretrained` loads)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    dest.mkdir(parents=True, exist_ok=True)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # generate() in the eos search warns about attention masks
    try:
        for role, (recipe, seed) in RECIPES.items():
            if progress:
                progress(role)
            model, tokenizer = recipe(seed)
            model.save_pretrained(dest / role)
            tokenizer.save_pretrained(dest / role)
    finally:
        hf_logging.set_verbosity(verbosity)
    (dest / "kit.json").write_text(json.dumps({"fingerprint": fingerprint(), "roles": list(RECIPES)},
                                              indent=2) + "\n")
    return dest


def ensure(root: Path | None = None, progress: Callable[[str], None] | None = None) -> Path:
    """The built kit for this fingerprint, building it first if needed.

    The build goes to a temporary sibling folder that is renamed into place, so an interrupted build never
    leaves a half-written kit, and two processes building at once both end up with a complete one.
    """
    root = root or default_root()
    final = root / fingerprint()
    if (final / "kit.json").is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        build(tmp, progress)
        for path in [tmp, *tmp.rglob("*")]:  # graders may load the kit as an unprivileged user
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            tmp.rename(final)
        except OSError:
            if not (final / "kit.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
