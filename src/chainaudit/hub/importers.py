"""Offline imports into the catalog: a JSONL file of Hub-like records, or a folder of local models."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainaudit.errors import DataError
from chainaudit.files import read_jsonl
from chainaudit.hub.card import declared_datasets, parse_card
from chainaudit.hub.records import ModelRecord, record_from_mapping, save_records
from chainaudit.modelref import local_identity
from chainaudit.store import Store


@dataclass
class ImportReport:
    """What an import did; `skipped` names lines/folders that could not become a record, and why."""

    imported: int = 0
    warnings: int = 0
    skipped: list[str] = field(default_factory=list)


def import_jsonl(store: Store, path: Path, *, batch: int = 1000) -> ImportReport:
    """Import one record per line (our field names or the Hub API's: id, sha, cardData, card, ...)."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    report = ImportReport()
    records: list[ModelRecord] = []
    skip = report.skipped.append  # the caller prints these
    for lineno, obj in read_jsonl(path, errors="replace", on_bad_line=lambda exc: skip(str(exc)[:300])):
        try:
            record = record_from_mapping(obj, source="jsonl")
        except ValueError as exc:  # no usable model id, or pydantic's ValidationError (a ValueError)
            skip(f"{path}, line {lineno}: {' '.join(str(exc).split())[:200]}")
            continue
        record.card_sha = record.revision if record.card_text is not None else None
        report.warnings += len(record.warnings)
        records.append(record)
        if len(records) >= batch:
            report.imported += save_records(store, records)
            records.clear()
    report.imported += save_records(store, records)
    return report


def model_folders(root: Path) -> list[Path]:
    """`root` and every folder under it holding a config.json (hidden folders skipped)."""
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    found = {p.parent for p in root.rglob("config.json")
             if not any(part.startswith(".") for part in p.relative_to(root).parts[:-1])}
    return sorted(found)


def record_from_folder(folder: Path) -> ModelRecord:
    """A catalog record for a local model folder: name and revision from `modelref`, card from README.md."""
    warnings: list[str] = []
    identity = local_identity(folder)
    config: dict[str, Any] = {}
    try:
        loaded = json.loads((folder / "config.json").read_text(encoding="utf-8", errors="replace"))
        config = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError) as exc:
        warnings.append(f"config.json unreadable: {exc}")
    readme = folder / "README.md"
    card = parse_card(readme.read_bytes() if readme.is_file() else None)
    warnings.extend(card.warnings if readme.is_file() else ["no README.md: lineage can only come from the name"])
    tags = [t for t in card.data.get("tags", []) if isinstance(t, str)] if isinstance(card.data.get("tags"),
                                                                                        list) else []
    architectures = config.get("architectures") or []
    is_classifier = any(isinstance(a, str) and a.endswith("ForSequenceClassification") for a in architectures)
    id2label = config.get("id2label") if isinstance(config.get("id2label"), dict) else None
    return ModelRecord(
        model_id=identity.model_id, revision=identity.revision, source="dir", path=str(folder.resolve()),
        tags=tags, pipeline_tag=card.data.get("pipeline_tag") if isinstance(card.data.get("pipeline_tag"), str)
        else ("text-classification" if is_classifier else None),
        library=card.data.get("library_name") if isinstance(card.data.get("library_name"), str) else "transformers",
        card_text=card.text if readme.is_file() else None, card_data=card.data,
        datasets=declared_datasets(card.data, tags, warnings),
        id2label={str(k): str(v) for k, v in id2label.items()} if id2label else None,
        card_sha=identity.revision, warnings=warnings)


def import_dir(store: Store, root: Path) -> ImportReport:
    """Import every model folder under `root` (chains written by `chainaudit finetune` included)."""
    report = ImportReport()
    records: list[ModelRecord] = []
    for folder in model_folders(root):
        try:
            record = record_from_folder(folder)
        except OSError as exc:
            report.skipped.append(f"{folder}: {exc}")  # the caller prints these
            continue
        report.warnings += len(record.warnings)
        records.append(record)
    counts = Counter(r.model_id for r in records)
    for dup in sorted(n for n, c in counts.items() if c > 1):
        paths = [r.path for r in records if r.model_id == dup]
        report.skipped.append(f"{dup}: name shared by {len(paths)} folders ({', '.join(map(str, paths))}); "
                              "kept the last; give each a distinct model_name in its card")
    report.imported = save_records(store, list({r.model_id: r for r in records}.values()))
    return report
