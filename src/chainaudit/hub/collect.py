"""`chainaudit collect` as one call: offline imports, named models, or a crawl of the Hub."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chainaudit import settings
from chainaudit.hub.crawl import CrawlReport, HubCrawler
from chainaudit.hub.importers import ImportReport, import_dir, import_jsonl
from chainaudit.store import Store


@dataclass
class CollectReport:
    """What one `collect` did: the imports (by path) and/or the crawl."""

    imports: dict[Path, ImportReport] = field(default_factory=dict)
    crawl: CrawlReport | None = None

    @property
    def skipped(self) -> list[str]:
        return [line for report in self.imports.values() for line in report.skipped]

    def lines(self) -> list[str]:
        """One summary line per import, and one for the crawl."""
        out = [f"imported {r.imported} models from {path} ({r.warnings} warnings, {len(r.skipped)} skipped)"
               for path, r in self.imports.items()]
        if self.crawl is not None:
            c = self.crawl
            out.append(f"listed {c.listed} ({c.new} new, {c.changed} changed, {c.unchanged} unchanged); READMEs "
                       f"fetched {c.cards_fetched}, failed {c.cards_failed} (retried next run); {c.warnings} "
                       f"warnings; {c.restarts} listing restarts")
        return out


def collect_catalog(store: Store, *, task: str | None = "text-classification", limit: int | None = None,
                    since: str | None = None, from_jsonl: Path | None = None, from_dir: Path | None = None,
                    models: Sequence[str] = (), endpoint: str | None = None, workers: int = 8,
                    progress: Callable[[str, int, int | None], None] | None = None) -> CollectReport:
    """Import `from_jsonl` / `from_dir` when given (offline); else fetch `models` by id, or crawl `task`."""
    report = CollectReport()
    if from_jsonl or from_dir:
        for path, run in ((from_jsonl, import_jsonl), (from_dir, import_dir)):
            if path is not None:
                report.imports[path] = run(store, path)
        return report
    crawler = HubCrawler(store, endpoint=endpoint, token=settings.hf_token(), workers=workers, progress=progress)
    report.crawl = crawler.fetch_models(list(models)) if models else crawler.crawl(task=task, limit=limit, since=since)
    return report
