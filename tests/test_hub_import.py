"""Cards as untrusted input, records from loose mappings, and the offline imports (JSONL, local folders)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainaudit.errors import DataError
from chainaudit.hub import import_dir, import_jsonl, parse_card, record_from_mapping
from chainaudit.hub.card import MAX_CARD_CHARS, MAX_YAML_CHARS
from chainaudit.modelref import local_identity, read_card_metadata
from chainaudit.store import Store


def test_parse_card_front_matter_and_body() -> None:
    card = parse_card("---\nbase_model: roberta-base\ndatasets: [imdb]\nwidget: [{text: hi}]\n---\n# Title\n")
    assert card.data == {"base_model": "roberta-base", "datasets": ["imdb"]}  # only the keys we use
    assert card.body == "# Title\n" and not card.warnings


@pytest.mark.parametrize(("raw", "warning"), [
    ("", "card is empty"),
    ("---\nbase_model: [oops\n---\nbody", "malformed YAML"),
    ("---\nbase_model: x\nno closing fence", "not closed"),
    ("---\na: &x [1, 2]\nb: *x\n---\n", "aliases"),
    ("---\n- a list\n---\n", "not a mapping"),
    ("---\n" + "k: v\n" * (MAX_YAML_CHARS // 4) + "---\nbody", "longer than"),
    (b"---\nbase_model: roberta-base\n---\ncaf\xe9 \xff", "not valid UTF-8"),
    ("hello\x00world", "NUL"),
])
def test_bad_cards_warn_and_keep_the_text(raw: str | bytes, warning: str) -> None:
    card = parse_card(raw)
    assert any(warning in w for w in card.warnings), card.warnings
    if raw:
        assert card.text  # nothing lost


@pytest.mark.parametrize(("raw", "data", "body"), [
    ("\ufeff---\nbase_model: roberta-base\nmodel_name: me/x\n---\nbody\n",
     {"base_model": "roberta-base", "model_name": "me/x"}, "body\n"),
    (b"\xef\xbb\xbf---\nbase_model: roberta-base\n---\nbody", {"base_model": "roberta-base"}, "body"),
    ("---\r\nbase_model: roberta-base\r\nlicense: mit\r\n---\r\n# Title\r\n",
     {"base_model": "roberta-base", "license": "mit"}, "# Title\r\n"),
    ("---  \nbase_model: roberta-base\n---", {"base_model": "roberta-base"}, ""),
    ("---\n---\nempty front matter", {}, "empty front matter"),
    ("# No front matter\n\nbase_model: roberta-base\n", {}, "# No front matter\n\nbase_model: roberta-base\n"),
    ("---\nbase_model: [unclosed\n---\nbody", {}, "body"),
    ("---\n- a list\n---\nbody", {}, "body"),
])
def test_card_parser_and_folder_names_read_front_matter_alike(tmp_path: Path, raw: str | bytes, data: dict,
                                                               body: str) -> None:
    """BOM, CRLF, no front matter, malformed YAML: `parse_card` and `read_card_metadata` agree."""
    card = parse_card(raw)
    assert card.data == data and card.body == body
    (tmp_path / "README.md").write_bytes(raw if isinstance(raw, bytes) else raw.encode())
    assert read_card_metadata(tmp_path) == data
    if data.get("model_name"):
        (tmp_path / "config.json").write_text("{}")
        assert local_identity(tmp_path).model_id == data["model_name"]


def test_folder_metadata_keeps_every_key_the_catalog_drops(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("---\nmodel-index:\n- name: me/idx\nwidget: [{text: hi}]\n---\n")
    assert read_card_metadata(tmp_path) == {"model-index": [{"name": "me/idx"}], "widget": [{"text": "hi"}]}
    assert parse_card((tmp_path / "README.md").read_text()).data == {}
    (tmp_path / "README.md").write_text("---\na: &x [1]\nb: *x\n---\n")  # aliases refused by both
    assert read_card_metadata(tmp_path) == {}


def test_huge_card_is_capped() -> None:
    card = parse_card("x" * (MAX_CARD_CHARS + 10))
    assert len(card.text) == MAX_CARD_CHARS and "kept the first" in card.warnings[0]


def test_non_utf8_card_keeps_metadata() -> None:
    card = parse_card(b"---\nbase_model: roberta-base\n---\ncaf\xe9")
    assert card.data["base_model"] == "roberta-base" and card.text.endswith("caf\ufffd")


def test_record_from_loose_mapping() -> None:
    rec = record_from_mapping({"id": "a/b", "sha": "123", "downloads": "45", "likes": [1], "tags": ["x", 3],
                               "cardData": {"base_model": {"weird": 1}, "datasets": "imdb"},
                               "card": "---\nbase_model: roberta-base\n---\nhi", "createdAt": "2024-01-01"},
                              source="jsonl")
    assert rec.downloads == 45 and rec.likes is None and rec.tags == ["x"]
    assert rec.card_data["base_model"] == {"weird": 1}  # the Hub's card data wins; lineage warns about it
    assert rec.datasets == ["imdb"] and rec.created_at == "2024-01-01"
    assert any("likes" in w for w in rec.warnings) and any("tags entry" in w for w in rec.warnings)
    with pytest.raises(ValueError, match="no model id"):
        record_from_mapping({"downloads": 3}, source="jsonl")


def test_import_jsonl_skips_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "models.jsonl"
    lines = [json.dumps({"id": "a/one", "sha": "s1", "downloads": 10, "card": "---\nbase_model: [bad\n---\nx"}),
             "{not json", json.dumps([1, 2]), json.dumps({"likes": 3}), "",
             json.dumps({"model_id": "a/two", "revision": "s2", "datasets": ["sst2"], "card_text": "hello"})]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "a/three", "card": "caf\xe9"}\n')
    with Store(tmp_path / "db.sqlite") as store:
        report = import_jsonl(store, path)
        assert report.imported == 3 and len(report.skipped) == 3
        assert "models.jsonl, line 2: not valid JSON" in report.skipped[0]
        rows = {r["model_id"]: r for r in store.select("models")}
        assert rows["a/two"]["datasets"] == ["sst2"] and rows["a/two"]["card_sha"] == "s2"
        assert rows["a/one"]["source"] == "jsonl" and rows["a/one"]["card_text"].endswith("x")
        warned = store.select("model_warnings", {"model_id": "a/one"})
        assert any("malformed YAML" in w["message"] for w in warned)
        assert import_jsonl(store, path).imported == 3 and store.count("models") == 3  # idempotent
    with pytest.raises(DataError):
        import_jsonl(Store(tmp_path / "x.db"), tmp_path / "missing.jsonl")


def _folder(root: Path, name: str, card: str | None, config: str = '{"architectures": '
            '["BertForSequenceClassification"], "id2label": {"0": "neg", "1": "pos"}}') -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(config)
    (folder / "model.safetensors").write_bytes(name.encode())
    if card is not None:
        (folder / "README.md").write_text(card)
    return folder


def test_import_dir_reads_finetune_cards(tmp_path: Path) -> None:
    card_module = pytest.importorskip("chainaudit.zoo.model_card")  # the real `chainaudit finetune` card writer
    CardFacts, write_model_card = card_module.CardFacts, card_module.write_model_card

    root = tmp_path / "models"
    base = _folder(root, "base", None)
    child = _folder(root, "runs/sst2", None)
    write_model_card(child, CardFacts(
        model_name="local/sst2-minilm", base_model="local/base", base_revision="sha256:abc", dataset="sst2",
        train_split="train", eval_split="validation", train_examples=10, eval_examples=4, accuracy=0.5, epochs=1,
        learning_rate=1e-4, batch_size=8, max_length=64, seed=0, seconds=1.0))
    _folder(root, "broken", "---\nmodel_name: local/broken\n", config="{not json")
    _folder(root / ".git", "hidden", None)
    with Store(tmp_path / "db.sqlite") as store:
        report = import_dir(store, root)
        rows = {r["model_id"]: r for r in store.select("models")}
    assert report.imported == 3 and sorted(rows) == ["local/base", "local/broken", "local/sst2-minilm"]
    sst2 = rows["local/sst2-minilm"]
    assert sst2["card_data"]["base_model"] == "local/base" and sst2["datasets"] == ["sst2"]
    assert sst2["source"] == "dir" and sst2["path"] == str(child.resolve())
    assert sst2["revision"].startswith("sha256:") and sst2["card_sha"] == sst2["revision"]
    assert sst2["id2label"] == {"0": "neg", "1": "pos"} and sst2["pipeline_tag"] == "text-classification"
    assert rows["local/base"]["path"] == str(base.resolve())
    assert report.warnings >= 2  # no README for base; broken config/front matter
