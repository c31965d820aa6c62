"""Crawl the Hub with `HfApi`: list models with card data, then fetch the README of each changed model.

Resumable by construction: listing rows are written page by page, and a README is fetched only when the
stored `card_sha` differs from the listed commit sha, so a killed crawl (or a re-crawl) only fetches what
is missing or changed. HTTP retries (429 honouring Retry-After, 5xx, dropped connections, truncated
bodies) are huggingface_hub's `http_backoff`; a listing that still breaks is restarted, skipping models
already seen in this run, so every model is recorded exactly once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx2
from huggingface_hub import HfApi, ModelCardData, constants, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.hf_api import ModelInfo
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, http_backoff

from chainaudit import settings
from chainaudit.errors import HubError
from chainaudit.hub.card import declared_datasets, parse_card
from chainaudit.hub.records import ModelRecord, record_from_mapping, save_records
from chainaudit.store import Store

logger = logging.getLogger(__name__)

LISTING_COLUMNS = ("revision", "source", "downloads", "likes", "tags", "pipeline_tag", "library", "created_at",
                   "card_data", "datasets")
STATS_COLUMNS = ("downloads", "likes")
CARD_COLUMNS = ("card_text", "card_data", "datasets", "card_sha")
#: Exceptions that mean "the network or the server failed", never "our bug".
TRANSIENT = (HfHubHTTPError, httpx2.HTTPError, OSError, ValueError)
T = TypeVar("T")
ProgressFn = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class Backoff:
    """Retry policy: up to `max_retries` retries, waiting base·2^k seconds (at most `max_wait`).

    A 429's `Retry-After` takes precedence (huggingface_hub waits Retry-After + 1 s).
    """

    max_retries: int = 5
    base: float = 1.0
    max_wait: float = 8.0

    def wait(self, attempt: int) -> float:
        return min(self.max_wait, self.base * 2 ** max(0, attempt - 1))


@dataclass
class CrawlReport:
    """What one crawl did."""

    listed: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    cards_fetched: int = 0
    cards_failed: int = 0
    warnings: int = 0
    restarts: int = 0


def record_from_info(info: ModelInfo) -> ModelRecord:
    """A catalog record from a `ModelInfo` (card text comes later, from the README)."""
    card_data: Any = info.card_data
    if isinstance(card_data, ModelCardData):
        card_data = {k: v for k, v in vars(card_data).items() if v is not None}
    return record_from_mapping({
        "id": info.id, "sha": info.sha, "downloads": info.downloads, "likes": info.likes, "tags": info.tags,
        "pipeline_tag": info.pipeline_tag, "library_name": info.library_name, "createdAt": info.created_at,
        "cardData": card_data,
    }, source="hub")


def _since(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC) if value else None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise HubError(f"--since {value!r} is not a date (use YYYY-MM-DD)") from exc
    return parsed.replace(tzinfo=parsed.tzinfo or UTC)


class HubCrawler:
    """Crawl into a `Store`. `endpoint` defaults to HF_ENDPOINT; the token to HF_TOKEN / the saved login."""

    def __init__(self, store: Store, *, endpoint: str | None = None, token: str | None = None,
                 backoff: Backoff | None = None, workers: int = 8, progress: ProgressFn | None = None,
                 batch: int = 200) -> None:
        if constants.is_offline_mode():
            raise HubError("HF_HUB_OFFLINE is set: unset it to crawl the Hub, or import records offline with "
                           "--from-jsonl / --from-dir")
        self.store = store
        endpoint = endpoint or settings.hf_endpoint()
        token = token or settings.hf_token()
        self.api = HfApi(endpoint=endpoint, token=token)
        self.endpoint = self.api.endpoint
        self.headers = build_hf_headers(token=token)
        self.backoff = backoff or Backoff()
        self.workers = max(1, workers)
        self.progress = progress or (lambda stage, done, total: None)
        self.batch = batch

    # -- public ------------------------------------------------------------------------------------
    def crawl(self, *, task: str | None = "text-classification", limit: int | None = None,
              since: str | datetime | None = None) -> CrawlReport:
        """List the task's models (newest first when `since` is given), then fetch changed READMEs."""
        report = CrawlReport()
        stored = self._stored()
        cutoff = _since(since)

        def listing() -> Iterable[ModelInfo]:
            infos = self.api.list_models(pipeline_tag=task or None, full=True, cardData=True, limit=limit,
                                         sort="created_at" if cutoff else None)
            for info in infos:
                if cutoff and info.created_at and info.created_at < cutoff:
                    return
                yield info

        pending = self._list(listing, stored, report, limit)
        self._fetch_cards(pending, report)
        return report

    def fetch_models(self, model_ids: Iterable[str]) -> CrawlReport:
        """Record named models (e.g. external upstreams) with `model_info`, then their READMEs."""
        report = CrawlReport()
        stored = self._stored()
        ids = list(dict.fromkeys(model_ids))

        def infos() -> Iterable[ModelInfo]:
            for model_id in ids:
                try:
                    yield self._retry(lambda m=model_id: self.api.model_info(m), f"model_info {model_id}")
                except RepositoryNotFoundError:
                    logger.warning("%s: not found on the Hub (private, gated or deleted); skipped", model_id)
                    report.warnings += 1
                except HubError as exc:
                    logger.warning("%s: %s; skipped", model_id, exc)
                    report.warnings += 1

        pending = self._list(infos, stored, report, len(ids))
        self._fetch_cards(pending, report)
        return report

    # -- listing -----------------------------------------------------------------------------------
    def _stored(self) -> dict[str, tuple[str | None, str | None]]:
        rows = self.store.conn.execute("SELECT model_id, revision, card_sha FROM models")
        return {r[0]: (r[1], r[2]) for r in rows}

    def _list(self, listing: Callable[[], Iterable[ModelInfo]], stored: dict[str, tuple[str | None, str | None]],
              report: CrawlReport, total: int | None) -> list[tuple[ModelRecord, dict[str, Any]]]:
        """Write listing rows page by page; return (record, listed card data) for READMEs to fetch."""
        seen: set[str] = set()
        pending: list[tuple[ModelRecord, dict[str, Any]]] = []
        full: list[ModelRecord] = []
        stats: list[ModelRecord] = []

        def flush() -> None:
            save_records(self.store, full, stage="listing", columns=LISTING_COLUMNS)
            save_records(self.store, stats, stage="listing", columns=STATS_COLUMNS)
            full.clear()
            stats.clear()

        attempt = 0
        while True:
            try:
                for info in listing():
                    if info.id in seen:
                        continue
                    seen.add(info.id)
                    try:
                        record = self._complete(record_from_info(info))
                    except ValueError as exc:  # a listing item we cannot turn into a record
                        logger.warning("%s: unusable listing entry (%s); skipped", info.id, exc)
                        report.warnings += 1
                        continue
                    report.listed += 1
                    report.warnings += len(record.warnings)
                    old_rev, card_sha = stored.get(record.model_id, (None, None))
                    if record.model_id not in stored:
                        report.new += 1
                    elif old_rev != record.revision:
                        report.changed += 1
                    else:
                        report.unchanged += 1
                    (stats if old_rev == record.revision and record.model_id in stored else full).append(record)
                    if card_sha is None or card_sha != record.revision:
                        pending.append((record, record.card_data))
                    if len(full) + len(stats) >= self.batch:
                        flush()
                    self.progress("list", report.listed, total)
                return pending
            except TRANSIENT as exc:
                attempt += 1
                if attempt > self.backoff.max_retries:
                    raise HubError(f"listing models failed {attempt} times, last: {exc}; run the same command "
                                   "again to resume") from exc
                report.restarts += 1
                wait = self.backoff.wait(attempt)
                logger.warning("listing broke (%s); restarting in %.2fs, skipping %d models already seen",
                               exc, wait, len(seen))
                time.sleep(wait)
            finally:
                flush()  # also when interrupted: the next run re-lists and skips READMEs already fetched

    def _complete(self, record: ModelRecord) -> ModelRecord:
        """Fill a listing entry without a sha from `model_info` (the README is pinned to it)."""
        if record.revision:
            return record
        try:
            info = self._retry(lambda: self.api.model_info(record.model_id), f"model_info {record.model_id}")
        except (HubError, RepositoryNotFoundError) as exc:
            record.warnings.append(f"listing has no sha and model_info failed ({exc}); README read from main")
            return record
        record.revision = info.sha
        return record

    def _retry(self, call: Callable[[], T], what: str) -> T:
        for attempt in range(self.backoff.max_retries + 1):
            try:
                return call()
            except RepositoryNotFoundError:
                raise
            except TRANSIENT as exc:
                if attempt == self.backoff.max_retries:
                    raise HubError(f"{what} failed after {attempt + 1} tries: {exc}") from exc
                logger.warning("%s failed (%s); retrying", what, exc)
                time.sleep(self.backoff.wait(attempt + 1))
        raise AssertionError("unreachable")

    # -- READMEs -----------------------------------------------------------------------------------
    def _readme(self, model_id: str, revision: str | None) -> tuple[bytes | None, str | None]:
        """README bytes, or None and why; `http_backoff` retries 429/5xx/dropped/truncated responses."""
        url = hf_hub_url(model_id, "README.md", revision=revision or "main", endpoint=self.endpoint)
        b = self.backoff
        try:
            response = http_backoff("GET", url, headers=self.headers, max_retries=b.max_retries,
                                    base_wait_time=b.base, max_wait_time=b.max_wait)
            if response.status_code == 404:
                return None, "no README.md in the repository"
            hf_raise_for_status(response)
            return response.content, None
        except TRANSIENT as exc:
            return None, f"README not fetched ({type(exc).__name__}: {str(exc)[:200]}); retried on the next crawl"

    def _fetch_cards(self, pending: list[tuple[ModelRecord, dict[str, Any]]], report: CrawlReport) -> None:
        done: list[ModelRecord] = []
        failed: list[ModelRecord] = []

        def flush() -> None:
            save_records(self.store, done, stage="card", columns=CARD_COLUMNS)
            save_records(self.store, failed, stage="card", columns=())  # keep the stored card, note why
            done.clear()
            failed.clear()

        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="readme")
        try:
            futures: dict[Future[tuple[bytes | None, str | None]], tuple[ModelRecord, dict[str, Any]]] = {
                pool.submit(self._readme, rec.model_id, rec.revision): (rec, listed) for rec, listed in pending}
            for n, future in enumerate(as_completed(futures), 1):
                record, listed = futures[future]
                raw, problem = future.result()
                card = self._card_record(record, listed, raw, problem)
                if card.card_sha is None:
                    report.cards_failed += 1
                    logger.warning("%s: %s", record.model_id, problem)
                    failed.append(card)
                else:
                    report.cards_fetched += 1
                    done.append(card)
                report.warnings += len(card.warnings)
                if len(done) + len(failed) >= 20:
                    flush()
                self.progress("cards", n, len(pending))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            flush()

    @staticmethod
    def _card_record(record: ModelRecord, listed: dict[str, Any], raw: bytes | None,
                     problem: str | None) -> ModelRecord:
        if raw is None and problem and problem.startswith("README not fetched"):
            # keep what the listing gave; card_sha stays unset so the next crawl retries
            return record.model_copy(update={"card_sha": None, "warnings": [problem]})
        card = parse_card(raw)
        warnings = list(card.warnings if raw is not None else [problem or "no README"])
        data = {**card.data, **listed}
        return record.model_copy(update={
            "card_text": card.text, "card_data": data, "card_sha": record.revision or "main",
            "datasets": declared_datasets(data, record.tags, warnings), "warnings": warnings})
