"""`chainaudit study run CONFIG --db DB` as a real process, for tests/test_study_resume.py to kill.

The attacks get the tiny injected resources of `attack_helpers` (no WordNet, word vectors or encoder), and
every victim call sleeps `$SLOW_S` seconds (default 0) and every chain hop's replay of one job waits
`$REPLAY_SLOW_S` first (default 0), so that a signal lands in the middle of a job or between two replays.
Neither delay changes an outcome (the test config has no time limit).

    python tests/study_resume_cli.py CONFIG DB
"""

from __future__ import annotations

import functools
import os
import sys
import time

import chainaudit.study.plan
import chainaudit.study.run
from attack_helpers import tiny_resources  # beside this script, so on sys.path when it is run
from chainaudit.cli import app

SLOW_S = float(os.environ.get("SLOW_S", "0"))
REPLAY_SLOW_S = float(os.environ.get("REPLAY_SLOW_S", "0"))


def _slowed(func, seconds: float):
    @functools.wraps(func)
    def call(*args, **kwargs):
        time.sleep(seconds)
        return func(*args, **kwargs)
    return call


def _load_victim(*args, **kwargs):
    victim = _real_load_victim(*args, **kwargs)
    victim.predict_proba = _slowed(victim.predict_proba, SLOW_S)  # also what SharedVictim merges
    return victim


chainaudit.study.plan.study_resources = lambda config: tiny_resources()
chainaudit.study.run.study_resources = lambda config: tiny_resources()
if SLOW_S:
    _real_load_victim = chainaudit.study.run.load_victim
    chainaudit.study.run.load_victim = _load_victim
if REPLAY_SLOW_S:
    chainaudit.study.run._replay = _slowed(chainaudit.study.run._replay, REPLAY_SLOW_S)

if __name__ == "__main__":
    config, db = sys.argv[1:3]
    app(["study", "run", config, "--db", db], prog_name="chainaudit")
