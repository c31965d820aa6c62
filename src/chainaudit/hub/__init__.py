"""The catalog: crawling the Hub (`HubCrawler`) and offline imports, as `ModelRecord`s in the store."""

from chainaudit.hub.card import ParsedCard, parse_card
from chainaudit.hub.collect import CollectReport, collect_catalog
from chainaudit.hub.crawl import Backoff, CrawlReport, HubCrawler, HubError
from chainaudit.hub.importers import ImportReport, import_dir, import_jsonl
from chainaudit.hub.records import ModelRecord, record_from_mapping, save_records

__all__ = ["Backoff", "CollectReport", "CrawlReport", "HubCrawler", "HubError", "ImportReport", "ModelRecord",
           "ParsedCard", "collect_catalog", "import_dir", "import_jsonl", "parse_card", "record_from_mapping",
           "save_records"]
