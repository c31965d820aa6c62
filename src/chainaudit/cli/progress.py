"""Progress bars, built in one place: each shows a count, an elapsed time and an ETA.

Library functions report progress through plain callbacks; these helpers turn them into rich bars.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich import progress as rp
from rich.text import Text

from chainaudit.cli.common import console, err_console


class _Rate(rp.ProgressColumn):
    def render(self, task: Any) -> Text:
        return Text(f"{task.speed:,.1f}/s" if task.speed else "-/s", style="progress.data.speed")


def _bar(*extra: rp.ProgressColumn | str, stderr: bool = False, transient: bool = False) -> rp.Progress:
    return rp.Progress(rp.TextColumn("[bold]{task.description}"), rp.BarColumn(), rp.MofNCompleteColumn(), *extra,
                       rp.TimeElapsedColumn(), rp.TextColumn("eta"), rp.TimeRemainingColumn(),
                       console=err_console if stderr else console, transient=transient)


@contextmanager
def stages() -> Iterator[Callable[[str, int, int | None], None]]:
    """One bar per named stage: yields `update(stage, done, total)` (the crawler's and lineage's hook)."""
    tasks: dict[str, Any] = {}
    with _bar(_Rate(), stderr=True) as bar:
        def update(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


class Bars:
    """Several bars in one live display (rich allows one at a time): fine-tuning, then each attack."""

    def __init__(self, bar: rp.Progress) -> None:
        self.bar = bar

    def training(self, description: str) -> Callable[[int, int, float], None]:
        """A fine-tuning bar with the running loss: returns `hook(done, total, loss)`."""
        task = self.bar.add_task(description, total=None, note="")

        def hook(done: int, total: int, loss: float) -> None:
            self.bar.update(task, completed=done, total=total, note=f"loss {loss:.3f}")

        return hook

    def attack(self, description: str, total: int) -> Callable[[Any], None]:
        """An attack bar with flips counted live: returns the `on_outcome(outcome)` hook that advances it."""
        task = self.bar.add_task(description, total=total, note="0 flipped")
        wins = 0

        def advance(outcome: Any) -> None:
            nonlocal wins
            wins += outcome.outcome == "succeeded"
            self.bar.update(task, advance=1, note=f"{wins} flipped")

        return advance

    def study_hooks(self) -> tuple[Callable[[Any], None], Callable[[Any, Any], None]]:
        """`run_study`'s (on_plan, on_outcome) for a one-attack study (the demo): one bar per attack."""
        advance: list[Callable[[Any], None]] = []

        def on_plan(plan: Any) -> None:
            advance.append(self.attack(plan.jobs[0].key.attack, max(plan.todo, 1)))

        def on_outcome(planned: Any, outcome: Any) -> None:
            advance[-1](outcome)

        return on_plan, on_outcome


@contextmanager
def bars() -> Iterator[Bars]:
    with _bar(rp.TextColumn("{task.fields[note]}")) as bar:
        yield Bars(bar)


@contextmanager
def training(description: str) -> Iterator[Callable[[int, int, float], None]]:
    """One fine-tuning bar: yields `hook(done, total, loss)`."""
    with bars() as b:
        yield b.training(description)


@contextmanager
def timed(description: str, seconds: float) -> Iterator[Callable[[float, str], None]]:
    """A bar over a time budget (GAN training): yields `update(elapsed, note)`."""
    with rp.Progress(rp.TextColumn("[bold]{task.description}"), rp.BarColumn(), rp.TextColumn("{task.fields[note]}"),
                     rp.TimeElapsedColumn(), rp.TextColumn("eta"), rp.TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task(description, total=seconds, note="")

        def update(elapsed: float, note: str) -> None:
            bar.update(task, completed=min(elapsed, seconds), note=note)

        yield update
        bar.update(task, completed=seconds)


@contextmanager
def counting(description: str) -> Iterator[Callable[[int, int], None]]:
    """A transient bar for a counted pass (prediction): yields `hook(done, total)`."""
    with _bar(_Rate(), stderr=True, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def hook(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield hook


class StudyBars:
    """A study's bar: samples done of those to attack, flips so far, the job being run, and the ETA."""

    def __init__(self, bar: rp.Progress) -> None:
        self.bar = bar
        self.task: Any = None
        self.flips = 0
        self.jobs: set[int] = set()
        self.total_jobs = 0

    def plan(self, plan: Any) -> None:
        self.total_jobs = sum(1 for j in plan.jobs if j.todo)
        self.task = self.bar.add_task("study", total=plan.todo, note=f"0 of {self.total_jobs} jobs")

    def outcome(self, planned: Any, outcome: Any) -> None:
        self.jobs.add(id(planned))
        self.flips += outcome.outcome == "succeeded"
        self.bar.update(self.task, advance=1, note=f"job {len(self.jobs)}/{self.total_jobs} "
                        f"{planned.job.describe()}; {self.flips} flipped")


@contextmanager
def study() -> Iterator[StudyBars]:
    with _bar(rp.TextColumn("{task.fields[note]}")) as bar:
        yield StudyBars(bar)
