"""The study config: which chains to attack, on which datasets, with which attacks (YAML ↔ pydantic).

```yaml
name: sst2-chains
chains:                       # root first; revisions pin each model
  - - {id: google-bert/bert-base-uncased, revision: 86b5e0934494bd15c9632b12f734a8a67f723594}
    - {id: textattack/bert-base-uncased-SST-2, revision: 8f26...}
datasets: [sst2]
attacks: [textbugger, hotflip, textfooler, pwws, scpn, gan]
n_samples: 1000               # the first N of each dataset's evaluation split (the paper's sampling)
seed: 0
```
"""

from __future__ import annotations

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


class ModelRef(BaseModel):
    """One model of a chain: Hub id (or local name), pinned revision, local folder when there is one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    revision: str | None = None
    path: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        """Accept `owner/name` or `owner/name@revision` as shorthand."""
        if isinstance(value, str):
            model_id, _, revision = value.partition("@")
            return {"id": model_id, "revision": revision or None}
        return value


class StudyConfig(BaseModel):
    """A study plan; the later study issue extends it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    chains: list[list[ModelRef]] = Field(min_length=1)
    datasets: list[str] = Field(min_length=1)
    attacks: list[str] = Field(default_factory=lambda: list(PAPER_ATTACKS), min_length=1)
    n_samples: int = Field(1000, gt=0)
    sampling: Literal["first"] = "first"
    seed: int = 0

    @field_validator("chains")
    @classmethod
    def _chains_not_empty(cls, chains: list[list[ModelRef]]) -> list[list[ModelRef]]:
        for i, chain in enumerate(chains):
            if not chain:
                raise ValueError(f"chain {i} is empty")
        return chains

    @field_validator("attacks")
    @classmethod
    def _known_attacks(cls, attacks: list[str]) -> list[str]:
        names = [a.strip().lower() for a in attacks]
        unknown = [a for a in names if a not in PAPER_ATTACKS]
        if unknown:
            raise ValueError(f"unknown attack(s) {unknown}; known: {', '.join(PAPER_ATTACKS)}")
        return list(dict.fromkeys(names))

    def models(self) -> list[ModelRef]:
        """Every model once, in chain order."""
        return list(dict.fromkeys(m for chain in self.chains for m in chain))


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
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise StudyConfigError(f"{path}: invalid study config: {problems}") from exc


def dump_study_config(config: StudyConfig, path: str | Path) -> Path:
    """Write `config` as YAML (None fields left out)."""
    path = Path(path)
    data = config.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=120), encoding="utf-8")
    return path
