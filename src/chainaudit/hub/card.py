"""Model cards as untrusted input: decoded, capped, front matter parsed without ever aborting.

The one card parser: every reader of a model card (Hub crawl, JSONL and folder imports, lineage evaluation)
goes through `parse_card`. The front matter itself is split and parsed by `modelref.parse_front_matter`,
at the bottom layer, so that naming a local folder (`modelref.read_card_metadata`) reads cards the same way.

Every problem becomes a warning string on the result; nothing raises. The text kept is capped at
`MAX_CARD_CHARS` (the original size is named in a warning), YAML front matter larger than
`MAX_YAML_CHARS` or using anchors/aliases (exponential expansion) is not parsed, and only the card-data
keys chainaudit uses are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from chainaudit.modelref import MAX_YAML_CHARS, parse_front_matter

__all__ = [
    "CARD_DATA_KEYS",
    "MAX_CARD_CHARS",
    "MAX_VALUE_CHARS",
    "MAX_YAML_CHARS",
    "ParsedCard",
    "as_str_list",
    "clean_card_data",
    "declared_datasets",
    "decode_card",
    "parse_card",
]

MAX_CARD_CHARS = 256 * 1024
MAX_VALUE_CHARS = 8 * 1024
#: Card-data keys kept in the store; the rest of the front matter stays readable in `card_text`.
CARD_DATA_KEYS = ("base_model", "base_model_relation", "base_model_revision", "datasets", "model_name",
                  "language", "license", "library_name", "pipeline_tag", "tags")


@dataclass
class ParsedCard:
    """A card as chainaudit keeps it."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    warnings: list[str] = field(default_factory=list)


def decode_card(raw: bytes | str | None) -> tuple[str, list[str]]:
    """Text of a card, capped; non-UTF-8 bytes are replaced (with a warning), NULs dropped."""
    warnings: list[str] = []
    if raw is None:
        return "", warnings
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = raw.decode("utf-8", errors="replace")
            warnings.append(f"card is not valid UTF-8 (first bad byte at {exc.start}); bad bytes replaced")
    else:
        text = raw
    if "\x00" in text:
        text = text.replace("\x00", "")
        warnings.append("card contains NUL characters; removed")
    if len(text) > MAX_CARD_CHARS:
        warnings.append(f"card has {len(text)} characters; kept the first {MAX_CARD_CHARS}")
        text = text[:MAX_CARD_CHARS]
    return text, warnings


def clean_card_data(data: Any, where: str = "card data") -> tuple[dict[str, Any], list[str]]:
    """Keep the known keys of a card-data mapping whose values are JSON-serialisable and small."""
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [f"{where} is a {type(data).__name__}, not a mapping; ignored"]
    out: dict[str, Any] = {}
    warnings: list[str] = []
    for key in CARD_DATA_KEYS:
        if key not in data or data[key] is None:
            continue
        value = data[key]
        try:
            size = len(json.dumps(value, default=str))
        except (TypeError, ValueError, RecursionError) as exc:
            warnings.append(f"{where} `{key}` cannot be stored ({exc}); ignored")
            continue
        if size > MAX_VALUE_CHARS:
            warnings.append(f"{where} `{key}` is {size} characters; ignored")
            continue
        out[key] = json.loads(json.dumps(value, default=str))
    return out, warnings


def parse_card(raw: bytes | str | None) -> ParsedCard:
    """Decode a README, split its front matter and parse it; never raises."""
    text, warnings = decode_card(raw)
    card = ParsedCard(text=text, body=text, warnings=warnings)
    if not text.strip():
        card.warnings.append("card is empty")
        return card
    front = parse_front_matter(text)
    card.body = front.body
    if front.problem:
        card.warnings.append(front.problem)
        return card
    card.data, more = clean_card_data(front.data, "front matter")
    card.warnings.extend(more)
    return card


def as_str_list(value: Any, what: str, warnings: list[str]) -> list[str]:
    """A str or list of str as a list; other shapes give a warning and are dropped item by item."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
            else:
                warnings.append(f"{what} entry {item!r:.60} is not a string; ignored")
        return out
    warnings.append(f"{what} is a {type(value).__name__} ({value!r:.60}); expected a string or list")
    return []


def declared_datasets(card_data: dict[str, Any], tags: list[str], warnings: list[str]) -> list[str]:
    """Training datasets a model declares: card `datasets`, else its `dataset:` Hub tags."""
    found = as_str_list(card_data.get("datasets"), "datasets", warnings)
    if not found:
        found = [t.split(":", 1)[1] for t in tags if t.startswith("dataset:") and len(t) > 8]
    return list(dict.fromkeys(found))
