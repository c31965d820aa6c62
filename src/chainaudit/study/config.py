"""The study config: which chains to attack, on which datasets, with which attacks (YAML ↔ pydantic).

```yaml
name: sst2-chains
chains:                       # root first; revisions pin each model
  - - {id: google-bert/bert-base-uncased, revision: 86b5e0934494bd15c9632b12f734a8a67f723594}
    - {id: textattack/bert-base-uncased-SST-2, revision: 8f26...}
  - - {id: local/a, path: models/a}                     # local folders: revision = content hash
    - {id: local/b, path: models/b, label_map: "LABEL_0=negative,LABEL_1=positive"}
models:                       # single models, attacked but not compared along a chain
  - {id: other/emotion-model, goal: flip-prediction}    # labels that cannot be aligned to the dataset
datasets:                     # a name, or {name, split, n, sample}
  - sst2
  - {name: imdb, n: 200, sample: random}
attacks:                      # a name, or {name, repeats}
  - textbugger
  - {name: gan, repeats: 3}   # the paper repeated its random attacks three times
n_samples: 1000               # default n: the first N of each dataset's evaluation split (the paper's sampling)
seed: 0                       # first attack seed, and the seed of random sampling
repeats: 1                    # seeds seed..seed+repeats-1 for every attack without its own repeats
budget: 10000                 # victim queries per sample; null = no limit
time_limit: 300               # seconds per sample; null = no limit
max_length: 256               # tokens the models read
word_vectors: null            # counter-fitted vectors file; default the built-in fallback
```

The keys `name`, `chains` (of `{id, revision, path}`), `datasets` (names), `attacks` (names), `n_samples` and
`seed` are what `chainaudit select` writes; every other key has a default.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chainaudit.data.registry import REGISTRY
from chainaudit.errors import StudyConfigError

#: The paper's six attacks (word: TextBugger, HotFlip, TextFooler, PWWS; sentence: SCPN, GAN).
PAPER_ATTACKS: tuple[str, ...] = ("textbugger", "hotflip", "textfooler", "pwws", "scpn", "gan")
_DATASET_ALIASES = {alias.lower(): spec.name for spec in REGISTRY.values()
                    for alias in (spec.name, spec.hf_path, spec.hf_path.rsplit("/", 1)[-1])}
_DATASET_ALIASES.update({"glue": "sst2", "sst-2": "sst2", "stanfordnlp/sst2": "sst2", "sst": "sst2",
                         "glue/sst2": "sst2", "gpt3mix/sst2": "sst2"})


GoalName = Literal["untargeted", "flip-prediction", "targeted"]


class ModelRef(BaseModel):
    """One model: Hub id (or local name), pinned revision, local folder when there is one, and how it is
    attacked: a label map (model label → dataset label) and a goal (`targeted` needs `target`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    revision: str | None = None
    path: str | None = None
    label_map: str | None = None
    goal: GoalName = "untargeted"
    target: str | None = None
    #: Load pickle weights (pytorch_model.bin), which can run code: for models you trust only.
    allow_pickle: bool = False

    @field_validator("label_map", mode="before")
    @classmethod
    def _label_map_text(cls, value: Any) -> Any:
        """A mapping given as a YAML object is kept as its JSON text (the form `--label-map` takes)."""
        return json.dumps(value, sort_keys=True) if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _target_with_targeted(self) -> ModelRef:
        if (self.goal == "targeted") != (self.target is not None):
            raise ValueError("`target` (a label name or index) goes with goal: targeted, and only with it")
        return self

    @property
    def spec(self) -> str:
        """What to load: the local folder when there is one, else the Hub id."""
        return self.path or self.id

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        """Accept `owner/name` or `owner/name@revision` as shorthand."""
        if isinstance(value, str):
            model_id, _, revision = value.partition("@")
            return {"id": model_id, "revision": revision or None}
        return value


class DatasetChoice(BaseModel):
    """A dataset to attack on: its name (or a .csv/.jsonl path), split (default its evaluation split), how many
    samples (default the study's `n_samples`) and which (`first`: the paper's; `random`: seeded by `seed`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    split: str | None = None
    n: int | None = Field(None, gt=0)
    sample: Literal["first", "random"] = "first"

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class AttackChoice(BaseModel):
    """An attack recipe by name and flavour (`pwws`, `pwws@openattack`, or `{name: pwws, flavor: textattack}`),
    with its own number of repeats (seeds) when it differs from the study's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    flavor: Literal["paper", "openattack", "textattack"] = "paper"
    repeats: int | None = Field(None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        value = {"name": value} if isinstance(value, str) else value
        if isinstance(value, dict) and isinstance(value.get("name"), str) and "@" in value["name"]:
            name, _, flavor = value["name"].partition("@")
            if value.get("flavor") not in (None, flavor):
                raise ValueError(f"attack {value['name']!r} names flavour {flavor!r} but flavor is "
                                 f"{value['flavor']!r}; give one")
            value = {**value, "name": name, "flavor": flavor}
        return value

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        from chainaudit.attacks import RECIPES

        name = name.strip().lower()
        if name not in RECIPES:
            raise ValueError(f"unknown attack {name!r}; known: {', '.join(sorted(RECIPES))}")
        return name

    @model_validator(mode="after")
    def _flavor_has_recipe(self) -> AttackChoice:
        from chainaudit.attacks.recipes import flavor_recipes

        if self.name not in flavor_recipes(self.flavor):
            raise ValueError(f"flavour {self.flavor} has no {self.name} recipe; its recipes: "
                             f"{', '.join(sorted(flavor_recipes(self.flavor)))}")
        return self

    @property
    def id(self) -> str:
        """The name its results are stored under (`recipes.attack_id`)."""
        from chainaudit.attacks.recipes import attack_id

        return attack_id(self.name, self.flavor)


class StudyConfig(BaseModel):
    """A study: subjects (chains, single models), datasets, attacks, seeds and the per-sample limits."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    chains: list[list[ModelRef]] = Field(default_factory=list)
    models: list[ModelRef] = Field(default_factory=list)
    datasets: list[DatasetChoice] = Field(min_length=1)
    attacks: list[AttackChoice] = Field(default_factory=lambda: [AttackChoice(name=a) for a in PAPER_ATTACKS],
                                        min_length=1)
    n_samples: int = Field(1000, gt=0)
    sampling: Literal["first", "random"] = "first"
    seed: int = 0
    repeats: int = Field(1, gt=0)
    budget: int | None = Field(10_000, gt=0)
    time_limit: float | None = Field(300.0, gt=0)
    max_length: int = Field(256, ge=8)
    word_vectors: str | None = None

    @field_validator("chains")
    @classmethod
    def _chains_not_empty(cls, chains: list[list[ModelRef]]) -> list[list[ModelRef]]:
        for i, chain in enumerate(chains):
            if not chain:
                raise ValueError(f"chain {i} is empty")
        return chains

    @field_validator("attacks")
    @classmethod
    def _attacks_once(cls, attacks: list[AttackChoice]) -> list[AttackChoice]:
        names = [a.id for a in attacks]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise ValueError(f"attack(s) {doubled} listed twice; give each once (with `repeats` for more seeds)")
        return attacks

    @model_validator(mode="after")
    def _has_subjects(self) -> StudyConfig:
        if not self.chains and not self.models:
            raise ValueError("no subjects: give `chains` (from `chainaudit select`, or by hand) or `models`")
        return self

    def subjects(self) -> list[ModelRef]:
        """Every model once, chains first in chain order, then the single models."""
        return list(dict.fromkeys([*(m for chain in self.chains for m in chain), *self.models]))

    def hops(self) -> list[tuple[ModelRef, ModelRef]]:
        """Each upstream → downstream pair of every chain, once, and for a chain of three or more models its
        first and last (end to end)."""
        pairs = [pair for chain in self.chains for pair in itertools.pairwise(chain)]
        pairs += [(chain[0], chain[-1]) for chain in self.chains if len(chain) > 2]
        return list(dict.fromkeys(pairs))

    def seeds(self, attack: AttackChoice) -> list[int]:
        return list(range(self.seed, self.seed + (attack.repeats or self.repeats)))

    def n_for(self, dataset: DatasetChoice) -> int:
        return dataset.n or self.n_samples


def dataset_name(declared: str) -> str:
    """A registry name (`sst2`, `imdb`, ...) for a dataset a card declares, else the declared name."""
    return _DATASET_ALIASES.get(declared.strip().lower(), declared.strip())


def load_study_config(path: str | Path) -> StudyConfig:
    """Read and validate a study YAML; errors name the file, the field and what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StudyConfigError(f"{path}: no such study config") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StudyConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict):
        raise StudyConfigError(f"{path}: expected a mapping with name, chains, datasets, ...; got "
                               f"{type(data).__name__}")
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as exc:
        raise StudyConfigError(f"{path}: invalid study config: {describe_errors(exc)}") from exc


def describe_errors(exc: ValidationError, *, with_fields: bool = True) -> str:
    """pydantic's errors on one line: `field.path: what is wrong; ...`."""
    def one(e: Any) -> str:
        msg = str(e["msg"]).removeprefix("Value error, ")
        where = ".".join(str(p) for p in e["loc"])
        return f"{where}: {msg}" if with_fields and where else msg

    return "; ".join(one(e) for e in exc.errors())


def dump_study_config(config: StudyConfig, path: str | Path) -> Path:
    """Write `config` as YAML: None fields left out, a dataset or attack with nothing but its name as the name."""
    path = Path(path)
    data = config.model_dump(mode="json", exclude_none=True)
    data.update(budget=config.budget, time_limit=config.time_limit)  # None here means "no limit": keep it
    data["datasets"] = [d["name"] if d == {"name": d["name"], "sample": "first"} else d for d in data["datasets"]]
    data["attacks"] = [a["name"] if set(a) == {"name"} else a for a in data["attacks"]]
    for chain in data["chains"]:
        for model in chain:
            if model.get("goal") == "untargeted":
                del model["goal"]
    if not data["models"]:
        del data["models"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=120), encoding="utf-8")
    return path
