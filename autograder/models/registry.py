"""Which model plays which role: the offline kit, the real Hub models, or a TOML file of the user's.

A model set is chosen by a SPEC: `offline` (the seeded kit, no network), `hub` (the lab's real models at
pinned revisions) or the path of a TOML file:

    extends = "offline"          # optional: roles not listed below come from this set
    [models]
    encoder = "./my-distilbert"  # a local folder (relative to this file) ...
    decoder = "gpt2@607a30d"     # ... or a Hub id, optionally @revision
    decoder_eos = "kit:decoder_eos"

The spec comes from `--models`, else the environment variable AUTOGRADER_MODELS, else the notebook's own
choice (`choose`, its setup cell's MODELS), else a default that the caller gives (`offline` for grading and
tests; `hub` for students' notebooks).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UsageError

ENV_VAR = "AUTOGRADER_MODELS"

ROLES = {
    "encoder": "sequence classifier with id2label NEGATIVE/POSITIVE (DistilBERT)",
    "encoder_alt": "a second encoder architecture (BERT), a classifier with labels of its own",
    "decoder": "causal language model (GPT-2)",
    "decoder_alt": "a second decoder architecture (Llama-style)",
    "decoder_eos": "a causal LM that emits eos a few tokens after a known prompt",
}

# The real models of lab-spec.md, at the revisions transformers' own pipelines pin. The extra roles exist to
# vary architectures in the hidden tests; the kit's models serve that purpose without a download.
HUB = {
    "encoder": "distilbert/distilbert-base-uncased-finetuned-sst-2-english@714eb0f",
    "decoder": "openai-community/gpt2@607a30d",
    "encoder_alt": "kit:encoder_alt",
    "decoder_alt": "kit:decoder_alt",
    "decoder_eos": "kit:decoder_eos",
}
OFFLINE = {role: f"kit:{role}" for role in ROLES}
NAMED_SETS = {"offline": OFFLINE, "hub": HUB}

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?(@[\w.-]+)?$")


@dataclass(frozen=True)
class Source:
    """Where one role's model comes from: `kind` is "kit", "folder" or "hub"."""

    kind: str
    ref: str  # kit role, folder path or Hub id
    revision: str | None = None

    def __str__(self) -> str:
        if self.kind == "kit":
            return f"kit:{self.ref}"
        return self.ref + (f"@{self.revision}" if self.revision else "")


@dataclass(frozen=True)
class ModelSet:
    name: str
    sources: dict[str, Source]

    def __getitem__(self, role: str) -> Source:
        if role not in self.sources:
            raise UsageError(f"unknown model role {role!r}; roles are: {', '.join(ROLES)}")
        return self.sources[role]

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "sources": {role: [s.kind, s.ref, s.revision]
                                                          for role, s in self.sources.items()}})

    @classmethod
    def from_json(cls, text: str) -> ModelSet:
        data = json.loads(text)
        return cls(data["name"], {role: Source(*source) for role, source in data["sources"].items()})


_chosen: dict[str, str] = {}  # "spec": what the notebook chose with `choose`


def choose(spec: str) -> None:
    """Take `spec` as the notebook's choice of model set; a set that does not resolve is refused now (a
    UsageError in the setup cell), not at the first model load."""
    resolve(spec)
    _chosen["spec"] = spec


def selected_spec(spec: str | None = None, default: str = "offline") -> str:
    """The spec in force: the argument, else $AUTOGRADER_MODELS, else the notebook's choice, else `default`.
    The environment comes before the notebook so that whoever runs a notebook (the grader, the Classroom
    checks, `AUTOGRADER_MODELS=offline jupyter lab`) decides, whatever its MODELS says."""
    return spec or os.environ.get(ENV_VAR) or _chosen.get("spec") or default


_pinned: dict[str, ModelSet] = {}


def pin(spec: str, model_set: ModelSet) -> None:
    """Resolve `spec` to `model_set` from now on, without reading its file again: the grader resolves its
    model set once and pins it, and so does the zygote its children fork from, which may not be able to
    read the file at all (another user, a private /tmp)."""
    _pinned[spec] = model_set


def resolve(spec: str | None = None, default: str = "offline") -> ModelSet:
    """The model set named by `spec` (see the module docstring); UsageError on anything malformed."""
    spec = selected_spec(spec, default)
    if spec in _pinned:
        return _pinned[spec]
    if spec in NAMED_SETS:
        return ModelSet(spec, {role: parse_source(v, Path.cwd()) for role, v in NAMED_SETS[spec].items()})
    path = Path(spec).expanduser()
    if path.suffix != ".toml":
        raise UsageError(f"unknown model set {spec!r}: use 'offline', 'hub' or the path of a .toml file")
    if not path.is_file():
        raise UsageError(f"model set file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    return _from_toml(path, data)


def _from_toml(path: Path, data: dict) -> ModelSet:
    models = data.get("models", {})
    base = data.get("extends")
    if not isinstance(models, dict) or (base is not None and base not in NAMED_SETS):
        raise UsageError(f"{path}: expected a [models] table and optionally extends = 'offline' or 'hub'")
    unknown = sorted(set(models) - set(ROLES))
    if unknown:
        raise UsageError(f"{path}: unknown role(s) {', '.join(unknown)}; roles are: {', '.join(ROLES)}")
    missing = [role for role in ROLES if role not in models and base is None]
    if missing:
        raise UsageError(f"{path}: role(s) {', '.join(missing)} missing from [models] "
                         "(list them, or add extends = 'offline' to take the rest from the kit)")
    values = {**(NAMED_SETS[base] if base else {}), **models}
    return ModelSet(str(path), {role: parse_source(values[role], path.parent, path) for role in ROLES})


def parse_source(value: object, base_dir: Path, origin: Path | None = None) -> Source:
    """`kit:ROLE`, a local folder (absolute, or starting with `.` or `~`, or existing under `base_dir`) or a
    Hub id with an optional `@revision`."""
    where = f"{origin}: " if origin else ""
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}each role must map to a non-empty string, got {value!r}")
    if value.startswith("kit:"):
        role = value.removeprefix("kit:")
        if role not in ROLES:
            raise UsageError(f"{where}{value!r}: the kit has no role {role!r}")
        return Source("kit", role)
    value = value.removeprefix("hub:")
    folder = base_dir / Path(value).expanduser()
    if value.startswith((".", "/", "~")) or folder.is_dir():
        if not folder.is_dir():
            raise UsageError(f"{where}model folder does not exist: {folder}")
        return Source("folder", str(folder.resolve()))
    if not _HUB_ID.match(value):
        raise UsageError(f"{where}{value!r} is neither an existing folder "
                         "nor a Hub id like 'org/name@revision'")
    ref, _, revision = value.partition("@")
    return Source("hub", ref, revision or None)
