"""The real HfApi client against a small Hub API of our own on 127.0.0.1, with injected faults."""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import huggingface_hub.constants
import pytest

from chainaudit.hub import Backoff, HubCrawler, HubError
from chainaudit.store import Store

FAST = Backoff(max_retries=4, base=0.01, max_wait=0.05)


def _model(i: int, sha: str = "") -> dict:
    card_data = {"base_model": "google-bert/bert-base-uncased", "datasets": ["sst2"]} if i % 2 else None
    return {"id": f"org{i % 3}/model-{i}", "sha": sha or f"sha{i}-a", "downloads": 100 * i, "likes": i,
            "tags": ["text-classification", f"dataset:d{i}"], "pipeline_tag": "text-classification",
            "library_name": "transformers", "createdAt": f"2024-01-{i + 1:02d}T00:00:00.000Z", "cardData": card_data}


class FakeHub:
    """Just enough of the Hub API: /api/models (Link paging), /api/models/{id}, /{id}/resolve/{rev}/README.md."""

    def __init__(self, n: int = 7, page: int = 3) -> None:
        self.models = {m["id"]: m for m in (_model(i) for i in range(n))}
        self.readmes = {mid: self._readme(mid, m["sha"]) for mid, m in self.models.items()}
        self.page = page
        self.no_sha: set[str] = set()  # listed without a sha (model_info still has it)
        self.faults: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.ok: Counter[tuple[str, str]] = Counter()  # successful responses per (kind, key)
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                hub.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @staticmethod
    def _readme(model_id: str, sha: str) -> bytes:
        return (f"---\nlicense: mit\n---\n# {model_id}\n\nThis model is a fine-tuned version of "
                f"[roberta-base](https://huggingface.co/roberta-base) on sst2 (revision {sha}).\n").encode()

    def set_sha(self, model_id: str, sha: str) -> None:
        self.models[model_id]["sha"] = sha
        self.readmes[model_id] = self._readme(model_id, sha)

    # -- request handling --------------------------------------------------------------------------
    def handle(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        query = parse_qs(url.query)
        path = unquote(url.path)
        if path == "/api/models":
            kind, key = "list", query.get("cursor", ["0"])[0]
        elif path.startswith("/api/models/"):
            kind, key = "info", path[len("/api/models/"):].split("/revision/")[0]
        elif "/resolve/" in path:
            kind, key = "readme", path.strip("/").split("/resolve/")[0]
        else:
            return self._send(req, 404, b"{}")
        with self.lock:
            fault = self.faults[(kind, key)].pop(0) if self.faults[(kind, key)] else None
        if fault == "429":
            return self._send(req, 429, b'{"error": "slow down"}', {"Retry-After": "0"})
        if fault == "500":
            return self._send(req, 500, b'{"error": "boom"}')
        if fault == "drop":
            return None  # HTTP/1.0: closing without a response
        body, headers = self._body(kind, key, query)
        if body is None:
            return self._send(req, 404, b'{"error": "not found"}', {"X-Error-Code": "RepoNotFound"})
        if fault == "truncate":  # announce the full length, send half, close
            req.send_response(200)
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body[: len(body) // 2])
            return None
        if fault == "badjson":  # a complete response whose JSON is cut (length matches what is sent)
            body = body[: len(body) // 2]
        else:
            with self.lock:
                self.ok[(kind, key)] += 1
        return self._send(req, 200, body, headers)

    def _body(self, kind: str, key: str, query: dict[str, list[str]]) -> tuple[bytes | None, dict[str, str]]:
        if kind == "list":
            items = sorted(self.models.values(), key=lambda m: m["createdAt"], reverse=True) if "sort" in query \
                else list(self.models.values())
            start = int(key)
            headers = {"Content-Type": "application/json"}
            if start + self.page < len(items):
                rest = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "cursor")
                headers["Link"] = f'<{self.url}/api/models?{rest}&cursor={start + self.page}>; rel="next"'
            items = [{k: v for k, v in m.items() if not (k == "sha" and m["id"] in self.no_sha)} for m in items]
            return json.dumps(items[start:start + self.page]).encode(), headers
        if kind == "info":
            model = self.models.get(key)
            return (json.dumps(model).encode() if model else None), {"Content-Type": "application/json"}
        return self.readmes.get(key), {"Content-Type": "text/plain"}

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        req.send_response(status)
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)


@pytest.fixture()
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    server = FakeHub()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "hub.db") as s:
        yield s


def _crawler(store: Store, hub: FakeHub, **kwargs: object) -> HubCrawler:
    return HubCrawler(store, endpoint=hub.url, backoff=FAST, workers=kwargs.pop("workers", 4), **kwargs)  # type: ignore[arg-type]


def test_crawl_survives_faults_and_records_every_model_once(store: Store, hub: FakeHub) -> None:
    ids = list(hub.models)
    hub.faults[("list", "0")] += ["429"]           # rate limited, Retry-After: 0 (huggingface_hub waits 1 s)
    hub.faults[("list", "3")] += ["badjson"]       # a cut JSON page: our listing restarts
    hub.faults[("readme", ids[0])] += ["500", "500"]
    hub.faults[("readme", ids[1])] += ["drop"]
    hub.faults[("readme", ids[2])] += ["truncate"]
    hub.no_sha.add(ids[3])                         # the listing lacks a sha: filled from model_info
    hub.faults[("info", ids[3])] += ["500"]
    report = _crawler(store, hub).crawl()
    assert report.listed == len(ids) and report.new == len(ids)
    assert report.cards_fetched == len(ids) and report.cards_failed == 0
    assert report.restarts == 1
    rows = {r["model_id"]: r for r in store.select("models")}
    assert sorted(rows) == sorted(ids)
    assert all(hub.ok[("readme", m)] == 1 for m in ids)  # every README fetched exactly once
    assert not any(hub.faults.values())                  # every injected fault was hit
    first = rows[ids[1]]
    assert first["revision"] == "sha1-a" and first["card_sha"] == "sha1-a"
    assert first["card_data"]["base_model"] == "google-bert/bert-base-uncased"
    assert first["datasets"] == ["sst2"] and first["downloads"] == 100 and first["source"] == "hub"
    assert "fine-tuned version of" in first["card_text"]
    assert rows[ids[0]]["datasets"] == ["d0"]  # no card datasets: from `dataset:` tags
    assert rows[ids[3]]["revision"] == "sha3-a"


def test_killed_crawl_resumes_without_refetching(store: Store, hub: FakeHub) -> None:
    ids = list(hub.models)

    def kill_after(n: int):
        def progress(stage: str, done: int, total: int | None) -> None:
            if stage == "cards" and done == n:
                raise KeyboardInterrupt
        return progress

    with pytest.raises(KeyboardInterrupt):
        _crawler(store, hub, workers=1, progress=kill_after(3)).crawl()
    carded = {r["model_id"] for r in store.select("models") if r["card_sha"]}
    assert len(carded) == 3 and store.count("models") == len(ids)
    report = _crawler(store, hub).crawl()
    assert report.unchanged == len(ids) and report.cards_fetched <= len(ids) - 3
    assert all(hub.ok[("readme", m)] == 1 for m in carded)
    assert all(r["card_sha"] == r["revision"] for r in store.select("models"))


def test_killed_listing_resumes(store: Store, hub: FakeHub) -> None:
    def kill(stage: str, done: int, total: int | None) -> None:
        if stage == "list" and done == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _crawler(store, hub, progress=kill).crawl()
    assert 0 < store.count("models") < len(hub.models)
    report = _crawler(store, hub).crawl()
    assert report.listed == len(hub.models) and report.cards_fetched == len(hub.models)


def test_recrawl_fetches_only_changed_shas(store: Store, hub: FakeHub) -> None:
    _crawler(store, hub).crawl()
    before = sum(v for (kind, _), v in hub.ok.items() if kind == "readme")
    again = _crawler(store, hub).crawl()
    assert (again.unchanged, again.cards_fetched) == (len(hub.models), 0)
    assert sum(v for (kind, _), v in hub.ok.items() if kind == "readme") == before
    changed = list(hub.models)[4]
    hub.set_sha(changed, "sha4-b")
    hub.models[changed]["downloads"] = 999
    third = _crawler(store, hub).crawl()
    assert (third.changed, third.cards_fetched) == (1, 1)
    row = store.select("models", {"model_id": changed})[0]
    assert row["revision"] == row["card_sha"] == "sha4-b" and "sha4-b" in row["card_text"]
    assert row["downloads"] == 999


def test_limit_since_and_named_models(store: Store, hub: FakeHub) -> None:
    assert _crawler(store, hub).crawl(limit=2).listed == 2
    report = _crawler(store, hub).crawl(since="2024-01-06")  # createdAt 01-06 and 01-07, newest first
    assert report.listed == 2
    named = _crawler(store, hub).fetch_models(["org0/model-0", "nobody/missing"])
    assert named.listed == 1 and named.warnings >= 1
    assert store.select("models", {"model_id": "org0/model-0"})[0]["card_sha"] == "sha0-a"


def test_readme_failure_is_a_warning_and_retried_next_run(store: Store, hub: FakeHub) -> None:
    target = next(iter(hub.models))
    hub.faults[("readme", target)] += ["500"] * 10
    report = _crawler(store, hub).crawl()
    assert report.cards_failed == 1 and report.cards_fetched == len(hub.models) - 1
    warnings = store.select("model_warnings", {"model_id": target, "stage": "card"})
    assert warnings and "retried on the next crawl" in warnings[0]["message"]
    hub.faults[("readme", target)].clear()
    assert _crawler(store, hub).crawl().cards_fetched == 1


def test_offline_mode_refuses_to_crawl(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubError, match="HF_HUB_OFFLINE"):
        HubCrawler(store)


def test_collect_command_against_the_fake_hub(tmp_path: Path, hub: FakeHub) -> None:
    from typer.testing import CliRunner

    from chainaudit.cli import app

    db = str(tmp_path / "cli.db")
    result = CliRunner().invoke(app, ["collect", "--endpoint", hub.url, "--limit", "5", "--db", db])
    assert result.exit_code == 0, result.output
    assert "listed 5 (5 new" in result.output and "READMEs fetched 5" in result.output
    result = CliRunner().invoke(app, ["collect", "--endpoint", hub.url, "--model", "org0/model-6", "--db", db])
    assert result.exit_code == 0 and "listed 1 (1 new" in result.output
