"""The cooperative scheduler behind --concurrency: merged calls, task order, errors kept to their task."""

from __future__ import annotations

import numpy as np
import pytest

from chainaudit.interleave import interleave, shared_call


class Doubler:
    """A shared function that records the size of every real call."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.calls: list[int] = []
        self.fail_on = fail_on

    def __call__(self, xs: list[int]) -> np.ndarray:
        self.calls.append(len(xs))
        if self.fail_on in xs:
            raise ValueError(f"cannot double {self.fail_on}")
        return np.asarray(xs) * 2


def test_calls_of_running_tasks_are_merged_and_results_come_in_task_order() -> None:
    double = Doubler()
    shared = shared_call(double)

    def task(k: int):
        def run() -> list[int]:
            first = shared([k, k + 1])          # every task's first round is one call
            second = shared([k] * (k + 1))      # rows differ per task: slicing must follow them
            return [*first.tolist(), *second.tolist()]
        return run

    results = list(interleave((task(k) for k in range(5)), width=5))
    assert results == [[2 * k, 2 * k + 2, *[2 * k] * (k + 1)] for k in range(5)]
    assert double.calls == [10, 15]             # two rounds, not ten calls


def test_width_limits_how_many_tasks_run_at_once() -> None:
    double = Doubler()
    shared = shared_call(double)
    results = list(interleave([lambda k=k: int(shared([k])[0]) for k in range(6)], width=2))
    assert results == [0, 2, 4, 6, 8, 10]
    assert max(double.calls) == 2 and sum(double.calls) == 6


def test_a_failing_merged_call_fails_only_the_task_that_caused_it() -> None:
    shared = shared_call(Doubler(fail_on=3))

    def task(k: int):
        def run() -> str:
            try:
                return f"ok {int(shared([k])[0])}"
            except ValueError as exc:
                return f"error {exc}"
        return run

    assert list(interleave((task(k) for k in range(5)), width=5)) == [
        "ok 0", "ok 2", "ok 4", "error cannot double 3", "ok 8"]


def test_an_unhandled_exception_in_a_task_reaches_the_caller() -> None:
    def boom() -> None:
        raise RuntimeError("task broke")

    with pytest.raises(RuntimeError, match="task broke"):
        list(interleave([lambda: 1, boom], width=2))


def test_a_shared_function_outside_the_scheduler_is_a_plain_call() -> None:
    double = Doubler()
    assert shared_call(double)([1, 2]).tolist() == [2, 4]
    assert double.calls == [2]


def test_each_task_is_charged_its_own_time_not_the_time_of_the_tasks_beside_it() -> None:
    import time

    from chainaudit.interleave import task_clock

    def slow(xs: list[int]) -> list[int]:
        time.sleep(0.02 * len(xs))
        return xs

    shared = shared_call(slow)

    def task(rows: int):
        def run() -> float:
            started = task_clock()
            shared([0] * rows)
            return task_clock() - started
        return run

    costs = list(interleave([task(1), task(3)], width=2))  # one merged call of 4 rows: at least 0.08 s
    assert sum(costs) >= 0.08                               # together they are charged the whole call ...
    assert costs[1] / costs[0] == pytest.approx(3, rel=0.2)  # ... split by rows, not both charged all of it
