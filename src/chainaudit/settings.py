"""Paths and environment variables chainaudit reads, in one place."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("chainaudit.db")
DATA_DIR_ENV = "CHAINAUDIT_DATA_DIR"


def data_dir() -> Path | None:
    """The local dataset folder (`$CHAINAUDIT_DATA_DIR`, one `<name>/<name>.csv` each), if set."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser() if value else None


def hub_offline() -> bool:
    """True when the user asked huggingface_hub to stay offline."""
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes", "on"}


def quiet_libraries() -> None:
    """Silence transformers' per-load reports and download/loading bars (chainaudit prints its own).

    Environment variables rather than calls, so commands that never load a model do not import transformers.
    """
    for name, value in (("TRANSFORMERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                        ("TOKENIZERS_PARALLELISM", "false"), ("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")):
        os.environ.setdefault(name, value)
