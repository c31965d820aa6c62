"""Model-id resolution: URLs and revisions stripped, case-insensitive, legacy un-namespaced ids mapped.

An upstream that is not in the catalog stays an *external* node under its canonical id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

_LEGACY_BY_ORG: dict[str, tuple[str, ...]] = {
    "google-bert": (
        "bert-base-uncased", "bert-base-cased", "bert-large-uncased", "bert-large-cased", "bert-base-chinese",
        "bert-base-multilingual-uncased", "bert-base-multilingual-cased", "bert-base-german-cased",
        "bert-base-german-dbmdz-cased", "bert-base-german-dbmdz-uncased", "bert-base-cased-finetuned-mrpc",
        "bert-large-uncased-whole-word-masking", "bert-large-cased-whole-word-masking",
        "bert-large-uncased-whole-word-masking-finetuned-squad",
        "bert-large-cased-whole-word-masking-finetuned-squad"),
    "distilbert": (
        "distilbert-base-uncased", "distilbert-base-cased", "distilbert-base-multilingual-cased",
        "distilbert-base-uncased-distilled-squad", "distilbert-base-cased-distilled-squad",
        "distilbert-base-uncased-finetuned-sst-2-english", "distilbert-base-german-cased", "distilroberta-base",
        "distilgpt2"),
    "FacebookAI": (
        "roberta-base", "roberta-large", "roberta-large-mnli", "xlm-roberta-base", "xlm-roberta-large",
        "xlm-roberta-large-finetuned-conll02-dutch", "xlm-roberta-large-finetuned-conll02-spanish",
        "xlm-roberta-large-finetuned-conll03-english", "xlm-roberta-large-finetuned-conll03-german",
        "xlm-mlm-en-2048", "xlm-mlm-100-1280", "xlm-mlm-17-1280", "xlm-clm-ende-1024", "xlm-mlm-ende-1024"),
    "openai-community": (
        "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "openai-gpt", "roberta-base-openai-detector",
        "roberta-large-openai-detector"),
    "albert": (
        "albert-base-v1", "albert-large-v1", "albert-xlarge-v1", "albert-xxlarge-v1", "albert-base-v2",
        "albert-large-v2", "albert-xlarge-v2", "albert-xxlarge-v2"),
    "google-t5": ("t5-small", "t5-base", "t5-large", "t5-3b", "t5-11b"),
    "xlnet": ("xlnet-base-cased", "xlnet-large-cased"),
    "Salesforce": ("ctrl",),
    "almanach": ("camembert-base",),
    "transfo-xl": ("transfo-xl-wt103",),
    "flaubert": ("flaubert_small_cased", "flaubert_base_uncased", "flaubert_base_cased", "flaubert_large_cased"),
}
#: Well-known un-namespaced ids (lower case) and where the Hub moved them.
LEGACY_IDS: dict[str, str] = {name.lower(): f"{org}/{name}" for org, names in _LEGACY_BY_ORG.items()
                              for name in names}

_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?(huggingface\.co|hf\.co)(?::\d+)?/", re.I)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_HUB_PREFIX = "https://huggingface.co/"
_REV_WORDS = frozenset({"tree", "blob", "resolve", "commit", "commits", "raw", "discussions", "edit", "blame"})
_NOT_MODELS = frozenset({"datasets", "spaces", "docs", "blog", "papers", "collections", "organizations",
                         "settings", "tasks", "learn", "join", "login", "pricing", "new", "models", "search",
                         "chat", "posts", "enterprise", "inference-endpoints", "api", "kernels", "buckets"})


class Ref(NamedTuple):
    """A resolved model reference: the catalog's id when known, else the canonical external id."""

    model_id: str
    revision: str | None
    in_catalog: bool


def canonical(model_id: str) -> str:
    """The Hub's current id for a legacy un-namespaced id, else the id unchanged."""
    return LEGACY_IDS.get(model_id.lower(), model_id)


def is_model_id(value: str) -> bool:
    """Well-formed by huggingface_hub's rules (1-96 chars of [A-Za-z0-9_.-], optional namespace)."""
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


def clean_reference(raw: str) -> tuple[str, str | None] | None:
    """(id, revision) from an id, `id@rev`, or a huggingface.co URL; None when it cannot name a model."""
    s = raw.strip(" \t\n`'\"<>*[]()").rstrip(".,;:!?`'\"*_)]>")
    revision: str | None = None
    if _HOST.match(s):
        path = _HOST.sub("", s, count=1).split("?", 1)[0].split("#", 1)[0]
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "models"]:
            parts = parts[2:]
        if not parts or parts[0].lower() in _NOT_MODELS:
            return None
        if len(parts) >= 2 and parts[1] in _REV_WORDS:
            s, revision = parts[0], (parts[2] if len(parts) > 2 else None)
        elif len(parts) >= 3 and parts[2] in _REV_WORDS:
            s, revision = f"{parts[0]}/{parts[1]}", (parts[3] if len(parts) > 3 else None)
        else:
            s = "/".join(parts[:2])
    elif _SCHEME.match(s) or s.lower().startswith("www."):
        return None  # a link elsewhere (GitHub, arXiv, ...)
    elif "@" in s:
        s, revision = s.rsplit("@", 1)
    s = s.strip("/").rstrip(".,;:")
    if not s or not is_model_id(s):
        return None
    return s, revision or None


class Resolver:
    """Resolve references against a catalog of model ids (case-insensitive, legacy-aware)."""

    def __init__(self, catalog_ids: Iterable[str] = ()) -> None:
        self._by_key: dict[str, str] = {}
        self._by_name: dict[str, str | None] | None = None
        legacy = LEGACY_IDS
        for model_id in catalog_ids:
            low = model_id.lower()
            moved = legacy.get(low)
            self._by_key.setdefault(moved.lower() if moved else low, model_id)

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, model_id: str) -> bool:
        return self.lookup(model_id) is not None

    def lookup(self, model_id: str) -> str | None:
        """The catalog id a clean id refers to, if any."""
        return self._by_key.get(canonical(model_id).lower())

    def plausible(self, model_id: str) -> bool:
        """Could name a real model when found in free text: catalog, legacy table, or owner/name."""
        return "/" in model_id or model_id.lower() in LEGACY_IDS or self.lookup(model_id) is not None

    def resolve(self, raw: str, *, loose: bool = False) -> Ref | None:
        """A reference as a `Ref`, or None. `loose` (card metadata) also accepts un-namespaced ids."""
        simple = raw[len(_HUB_PREFIX):] if raw.startswith(_HUB_PREFIX) else raw
        hit = self._by_key.get(simple.lower())  # fast path: a catalog id, bare or as its Hub URL
        if hit is not None:
            return Ref(hit, None, True)
        cleaned = clean_reference(raw)
        if cleaned is None:
            return None
        model_id, revision = cleaned
        hit = self.lookup(model_id)
        if hit is not None:
            return Ref(hit, revision, True)
        if not loose and not self.plausible(model_id):
            return None
        return Ref(canonical(model_id), revision, False)

    def by_name(self, name: str) -> str | None:
        """The catalog model whose name part (after the owner) is `name`, when exactly one is."""
        if self._by_name is None:
            index: dict[str, str | None] = {}
            for model_id in self._by_key.values():
                part = model_id.rsplit("/", 1)[-1].lower()
                index[part] = None if part in index and index[part] != model_id else model_id
            self._by_name = index
        return self._by_name.get(name.lower())
