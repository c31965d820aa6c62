"""A bounded least-recently-used cache of per-text predictions."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np


class PredictionCache:
    """Text -> probability row, evicting the least recently used entry beyond `max_size` (0 disables)."""

    def __init__(self, max_size: int = 10_000) -> None:
        if max_size < 0:
            raise ValueError(f"cache size must be >= 0, got {max_size}")
        self.max_size = max_size
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, text: str) -> np.ndarray | None:
        row = self._rows.get(text)
        if row is not None:
            self._rows.move_to_end(text)
        return row

    def put(self, text: str, row: np.ndarray) -> None:
        if self.max_size == 0:
            return
        self._rows[text] = row
        self._rows.move_to_end(text)
        while len(self._rows) > self.max_size:
            self._rows.popitem(last=False)

    def clear(self) -> None:
        self._rows.clear()
