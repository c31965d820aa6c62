from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from attack_helpers import tiny_resources
from chainaudit.store import Store
from chainaudit.study.config import StudyConfig
from chainaudit.study.run import run_study

SCRIPT = Path(__file__).with_name("study_resume_cli.py")


def test_probe(tiny_model_dir, fragile_model, keyword_data, tmp_path):
    config = StudyConfig.model_validate({
        "name": "resume",
        "chains": [[{"id": "local/fragile", "path": str(fragile_model)},
                    {"id": "local/tiny", "path": str(tiny_model_dir), "label_map": "negative=0,positive=1"}]],
        "datasets": [{"name": str(keyword_data), "n": 12}],
        "attacks": ["pwws", {"name": "hotflip-blackbox", "repeats": 2}],
        "time_limit": None,
    })
    import chainaudit.study.run as r
    calls = []
    real = r.load_victim
    def lv(*a, **k):
        v = real(*a, **k)
        f = v.predict_proba
        def p(texts):
            calls.append(len(texts))
            return f(texts)
        v.predict_proba = p
        return v
    r.load_victim = lv
    t = time.time()
    with Store(tmp_path / "ref.db") as store:
        done = run_study(config, store, resources=tiny_resources())
        print("written", done.written, done.flipped, done.replays, time.time() - t, len(calls), sum(calls))
        print(store.select("attack_results")[0])
    r.load_victim = real
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True)))
    t = time.time()
    out = subprocess.run([sys.executable, str(SCRIPT), str(path), str(tmp_path / "x.db")], capture_output=True, text=True)
    print(time.time() - t, out.returncode, out.stdout[-2000:], out.stderr[-2000:])
    assert 0
