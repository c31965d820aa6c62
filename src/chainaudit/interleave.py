"""Run several tasks at once in one thread, merging their calls to shared functions into one call each.

A greedy search scores a handful of candidates per step (TextBugger: about five), and a forward pass over
five short texts costs several times more per text than one over 64. Rewriting every search, constraint and
importance function as a coroutine would put `yield from` on every path that may reach a model. Instead
each sample's attack runs in a greenlet (the `greenlet` library: stackful coroutines in one thread). A call
to a *shared* function (`shared_call`: the victim's `predict_proba` and `input_gradients`, the sentence
encoder) does not run: it hands its arguments to the scheduler and suspends. When every running sample is
suspended, the scheduler makes one call per function with the arguments concatenated and sends each
sample its rows. Everything runs in one thread, in a fixed order, so nothing needs a lock, the same seed
gives the same texts, and each sample's search, RNG and query count are its own.

Outside the scheduler a shared function is an ordinary call.
"""

from __future__ import annotations

import functools
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from greenlet import getcurrent, greenlet

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


_FAILED = object()  # a merged call that raised
_START = object()  # a worker not started yet


class _Worker(greenlet):
    """A greenlet running one task under `interleave` (the marker that makes shared calls suspend).

    `spent` is the time charged to the task: its own running time plus its share (by rows) of merged calls."""

    spent = 0.0
    resumed_at = 0.0


def task_clock() -> float:
    """Seconds charged to the current task (`time.perf_counter()` outside `interleave`): differences of
    this clock give a task's own cost even while other tasks run interleaved with it."""
    worker = getcurrent()
    if isinstance(worker, _Worker):
        return worker.spent + (time.perf_counter() - worker.resumed_at)
    return time.perf_counter()


@dataclass(frozen=True)
class _Request:
    """A suspended shared call: merged with others of the same `key` (function, bound object, keywords)."""

    func: Callable[..., Any]
    args: tuple[Sequence[Any], ...]
    kwargs: dict[str, Any]

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.func, tuple(sorted(self.kwargs.items())))

    @property
    def rows(self) -> int:
        return len(self.args[0])


def shared_call(func: F) -> F:
    """Make `func(rows_a, rows_b, ..., **options) -> rows` mergeable across the samples of `interleave`.

    Every positional argument is a sequence with one item per row, and the result has one row per item
    (a list or an array); calls with equal keyword options are merged. Bind methods before wrapping
    (`shared_call(model.predict_proba)`) so calls on different objects are never merged.
    """
    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        worker = getcurrent()
        if not isinstance(worker, _Worker) or not args:
            return func(*args, **kwargs)
        return worker.parent.switch(_Request(func, tuple(list(a) for a in args), kwargs))
    return call  # type: ignore[return-value]


def _concat(parts: list[Any]) -> Any:
    return np.concatenate(parts) if isinstance(parts[0], np.ndarray) else [x for p in parts for x in p]


def _run_group(requests: list[_Request]) -> list[tuple[Any, BaseException | None]]:
    """One call for all `requests` (same function); if it fails, one call each so only the culprit fails."""
    first = requests[0]
    results: list[tuple[Any, BaseException | None]] = []
    if len(requests) > 1:
        merged = tuple(_concat([r.args[k] for r in requests]) for k in range(len(first.args)))
        out: Any = _FAILED
        try:
            out = first.func(*merged, **first.kwargs)
        except Exception:  # not swallowed: each request is retried alone below and gets its own error
            out = _FAILED
        if out is not _FAILED:
            start = 0
            for request in requests:
                results.append((out[start:start + request.rows], None))
                start += request.rows
            return results
    for request in requests:
        try:
            results.append((request.func(*request.args, **request.kwargs), None))
        except Exception as exc:  # handed to the sample that asked; it becomes that sample's error outcome
            results.append((None, exc))
    return results


def interleave(tasks: Iterable[Callable[[], T]], width: int) -> Iterator[T]:
    """Run up to `width` tasks at once, merging their shared calls; yield their results in task order.

    An exception a task does not handle propagates here (recipes turn theirs into `error` outcomes).
    """
    queue = iter(enumerate(tasks))
    position: dict[_Worker, int] = {}
    done: dict[int, T] = {}
    runnable: deque[tuple[_Worker, Any, BaseException | None]] = deque()
    next_out = 0

    def start_next() -> None:
        item = next(queue, None)
        if item is not None:
            worker = _Worker(item[1])  # parent: the current (scheduler) greenlet
            position[worker] = item[0]
            runnable.append((worker, _START, None))

    for _ in range(max(1, width)):
        start_next()
    while position:
        waiting: dict[tuple[Any, ...], list[tuple[_Worker, _Request]]] = {}
        while runnable:
            worker, value, error = runnable.popleft()
            worker.resumed_at = time.perf_counter()
            if error is not None:
                out = worker.throw(error)
            else:
                out = worker.switch() if value is _START else worker.switch(value)
            worker.spent += time.perf_counter() - worker.resumed_at
            if worker.dead:
                done[position.pop(worker)] = out
                start_next()
            else:
                waiting.setdefault(out.key, []).append((worker, out))
        for group in waiting.values():
            started = time.perf_counter()
            results = _run_group([r for _, r in group])
            share = (time.perf_counter() - started) / max(1, sum(r.rows for _, r in group))
            for (worker, request), (value, error) in zip(group, results, strict=True):
                worker.spent += share * request.rows
                runnable.append((worker, value, error))
        while next_out in done:
            yield done.pop(next_out)
            next_out += 1
