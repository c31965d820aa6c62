"""What the benchmark scripts share: a timer of wrapped calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class Timer:
    """Seconds and calls spent inside wrapped calls."""

    def __init__(self) -> None:
        self.seconds, self.calls = 0.0, 0

    def wrap(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1
        return timed
