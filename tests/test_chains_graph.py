"""Chain graph: maximal root-to-leaf paths, cycles broken, merges kept, DP counts, RQ1 figures, selection."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest

from chainaudit.hub import ModelRecord, save_records
from chainaudit.lineage import (
    build_graph,
    count_chains,
    external_upstreams,
    identify_catalog,
    iter_chains,
    lineage_warnings,
    load_graph,
)
from chainaudit.lineage.graph import descendants
from chainaudit.lineage.selection import Criteria, select_chains
from chainaudit.lineage.stats import descendant_rows, download_tail, rq1_stats, save_stats
from chainaudit.store import Store
from chainaudit.study import config as study


def _graph(pairs: list[tuple[str, str]], catalog: set[str] | None = None, conf: float = 1.0):
    return build_graph([(p, c, conf) for p, c in pairs], catalog or {n for pair in pairs for n in pair})


def test_chains_are_root_to_leaf_paths_with_external_roots() -> None:
    cg = _graph([("ext/base", "a"), ("a", "b"), ("a", "c"), ("ext/base", "d")], catalog={"a", "b", "c", "d"})
    assert cg.external == {"ext/base"}
    assert list(iter_chains(cg)) == [["ext/base", "a", "b"], ["ext/base", "a", "c"], ["ext/base", "d"]]
    counts = count_chains(cg)
    assert (counts.total, counts.by_length) == (3, {2: 1, 3: 2})
    assert counts.average_length == pytest.approx(8 / 3)
    assert descendants(cg, "ext/base") == {"a": 1, "d": 1, "b": 2, "c": 2}


def test_cycles_and_self_loops_are_reported_and_broken() -> None:
    cg = build_graph([("a", "a", 1.0), ("r", "a", 1.0), ("a", "b", 1.0), ("b", "c", 1.0), ("c", "a", 0.3)],
                     {"a", "b", "c", "r"})
    assert cg.self_loops == ["a"]
    assert cg.broken == [("c", "a", 0.3)]  # the weakest edge of the cycle
    assert list(iter_chains(cg)) == [["r", "a", "b", "c"]]
    assert count_chains(cg).total == 1


def test_merges_keep_all_edges_and_counts_do_not_enumerate() -> None:
    # a ladder of merges: 2^20 root-to-leaf paths, counted exactly by DP, enumerated only up to a cap
    pairs = [("r0", "x0"), ("r0", "y0")]
    for i in range(20):
        for src in (f"x{i}", f"y{i}"):
            pairs += [(src, f"x{i + 1}"), (src, f"y{i + 1}")]
    cg = _graph(pairs)
    assert cg.graph.in_degree("x5") == 2
    counts = count_chains(cg)
    assert counts.total == 2 ** 21 and counts.by_length == {22: 2 ** 21}
    assert len(list(islice(iter_chains(cg), 1000))) == 1000


def test_huge_counts_and_deep_graphs_fall_back_to_exact_integers() -> None:
    pairs = [("r0", "x0"), ("r0", "y0")]
    for i in range(60):  # 2^61 paths: beyond float64's exact range
        for src in (f"x{i}", f"y{i}"):
            pairs += [(src, f"x{i + 1}"), (src, f"y{i + 1}")]
    assert count_chains(_graph(pairs)).by_length == {62: 2 ** 61}
    deep = _graph([(f"n{i}", f"n{i + 1}") for i in range(600)])  # deeper than the vectorised DP goes
    assert count_chains(deep).by_length == {601: 1}
    assert len(descendants(deep, "n0")) == 600 and descendants(deep, "n599") == {"n600": 1}


def _catalog(store: Store) -> None:
    def rec(mid: str, downloads: int, base: str | list[str] | None = None, datasets: list[str] | None = None,
            task: str = "text-classification") -> ModelRecord:
        return ModelRecord(model_id=mid, revision=f"rev-{mid}", downloads=downloads, pipeline_tag=task,
                           card_data={"base_model": base} if base else {}, datasets=datasets or [])

    save_records(store, [
        rec("google-bert/bert-base-uncased", 10_000, datasets=["bookcorpus"], task="fill-mask"),
        rec("a/sst2", 500, "bert-base-uncased", ["glue"]),
        rec("a/sst2-more", 40, "a/sst2", ["sst2"]),
        rec("b/imdb", 31, "google-bert/bert-base-uncased", ["imdb"]),
        rec("c/few", 5, "google-bert/bert-base-uncased", ["imdb"]),
        rec("d/nodata", 90, "a/sst2"),
        rec("e/orphan", 0),
        rec("f/ext", 70, "distilbert-base-uncased", ["emotion"]),
        rec("g/merge", 50, ["a/sst2-more", "b/imdb"], ["sst2"]),
    ])


@pytest.fixture()
def store(tmp_path: Path):
    with Store(tmp_path / "db.sqlite") as s:
        _catalog(s)
        identify_catalog(s)
        yield s


def test_identify_is_idempotent_and_parallel_gives_the_same(store: Store) -> None:
    first = sorted((e["child"], e["parent"], e["source"], e["evidence"]) for e in store.select("lineage_edges"))
    identify_catalog(store)
    assert sorted((e["child"], e["parent"], e["source"], e["evidence"]) for e in store.select("lineage_edges")) == first
    report = identify_catalog(store, workers=2)  # forked workers, one rowid range each
    assert report.models == 9
    assert sorted((e["child"], e["parent"], e["source"], e["evidence"]) for e in store.select("lineage_edges")) == first
    assert ("f/ext", "distilbert/distilbert-base-uncased", "metadata", "base_model: distilbert-base-uncased") in first


def test_external_upstreams_and_lineage_warnings(store: Store) -> None:
    assert external_upstreams(store) == ["distilbert/distilbert-base-uncased"]
    assert lineage_warnings(store) == []
    save_records(store, [ModelRecord(model_id=m, revision="r", card_data={"base_model": {"weird": 1}})
                         for m in ("z/weird", "y/weird")])
    identify_catalog(store)
    warned = lineage_warnings(store)
    assert [m for m, _ in warned] == ["y/weird", "z/weird"] and all("base_model" in w for _, w in warned)
    assert lineage_warnings(store, limit=1) == warned[:1]
    assert external_upstreams(store) == ["distilbert/distilbert-base-uncased"]


def test_a_name_hint_to_a_younger_repository_with_the_same_short_name_is_dropped(tmp_path: Path) -> None:
    """`z/base-ft-imdb` names `base`; the catalog's only `*/base` was created after it, so it is not the parent."""
    def rec(mid: str, created: str | None, source: str = "hub") -> ModelRecord:
        return ModelRecord(model_id=mid, revision="r", created_at=created, source=source)

    with Store(tmp_path / "db.sqlite") as s:
        save_records(s, [rec("acme/base", "2023-05-01T00:00:00+00:00"), rec("z/base-ft-imdb", "2022-01-01T00:00:00Z"),
                         rec("acme/tool", "2021-01-01T00:00:00Z"), rec("y/tool-finetuned-sst2", "2022-02-02T00:00:00Z"),
                         rec("w/tool-ft-x", None)])
        identify_catalog(s)
        edges = {(e["child"], e["parent"]) for e in s.select("lineage_edges")}
        assert ("z/base-ft-imdb", "acme/base") not in edges
        assert {("y/tool-finetuned-sst2", "acme/tool"), ("w/tool-ft-x", "acme/tool")} <= edges  # older, or undated
        assert ("z/base-ft-imdb", "name hint acme/base dropped: it was created after z/base-ft-imdb "
                "(2023-05-01 > 2022-01-01)") in lineage_warnings(s)


def test_rq1_stats(store: Store) -> None:
    cg = load_graph(store)
    counts = count_chains(cg)
    stats = rq1_stats(store, cg, counts, top_k=3)
    cov = stats["coverage"]
    assert (cov["models"], cov["with_upstream"], cov["pairs"]) == (9, 7, 8)
    assert (cov["upstream_models"], cov["upstream_models_external"]) == (5, 1)
    top = stats["top_upstreams"][0]
    assert top["model"] == "google-bert/bert-base-uncased" and top["downstream"] == 3
    assert top["share_of_pairs"] == pytest.approx(3 / 8) and top["top_downstream_task"] == "text-classification"
    assert (top["downloads"], top["download_rank"]) == (10_000, 1)
    assert stats["chains"]["count"] == counts.total == 5
    assert stats["download_tail"]["share_downloaded_at_least_once"] == pytest.approx(8 / 9)
    save_stats(store, stats)
    stored = {r["name"]: r["value"] for r in store.select("chain_stats")}
    assert stored["coverage"] == cov
    rows = descendant_rows(store, cg, "a/sst2")
    assert [r["model"] for r in rows] == ["d/nodata", "a/sst2-more", "g/merge"]
    assert sum(r["downloads"] for r in rows) == 180


def test_download_tail() -> None:
    import numpy as np

    tail = download_tail(np.array([0] * 1000 + [1] * 900 + [100] * 100))
    assert tail["share_downloaded_at_least_once"] == pytest.approx(0.5)
    assert tail["top_0_1_percent_models"] == 2
    assert tail["share_downloads_top20"] == pytest.approx(2000 / 10900)


def test_select_paper_criteria(store: Store) -> None:
    cg = load_graph(store)
    strict = select_chains(store, cg, Criteria(min_downloads=30))
    ids = [[m.model_id for m in chain] for chain in strict.chains]
    assert ids == [["google-bert/bert-base-uncased", "a/sst2", "a/sst2-more", "g/merge"],
                   ["google-bert/bert-base-uncased", "b/imdb", "g/merge"]]
    assert strict.chains[0][1].revision == "rev-a/sst2"
    # d/nodata has no datasets, c/few has 5 downloads, f/ext has an external root
    loose = select_chains(store, cg, Criteria(min_downloads=0, require_datasets=False, exempt_roots=True))
    assert len(loose.chains) == 5
    assert len(select_chains(store, cg, Criteria(min_downloads=30, max_chains=1)).chains) == 1


def test_study_config_roundtrip_and_errors(tmp_path: Path) -> None:
    config = study.StudyConfig(name="s", datasets=["sst2"], chains=[["a/b@r1", {"id": "c/d", "path": "/x"}]])
    assert [a.name for a in config.attacks] == list(study.PAPER_ATTACKS) and config.n_samples > 0 and config.seed == 0
    path = study.dump_study_config(config, tmp_path / "study.yaml")
    assert study.load_study_config(path) == config
    assert config.chains[0][0].revision == "r1"
    bad = {
        "missing.yaml": None,
        "notyaml.yaml": "name: [unclosed",
        "list.yaml": "- a\n- b\n",
        "attack.yaml": "name: s\ndatasets: [sst2]\nchains: [[a/b]]\nattacks: [textfooler, deepwordbug]\n",
        "typo.yaml": "name: s\ndatasets: [sst2]\nchains: [[a/b]]\nn_sample: 5\n",
        "empty.yaml": "name: s\ndatasets: [sst2]\nchains: [[]]\n",
    }
    for name, text in bad.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        with pytest.raises(study.StudyConfigError, match=name):
            study.load_study_config(tmp_path / name)
    with pytest.raises(study.StudyConfigError, match="deepwordbug"):
        study.load_study_config(tmp_path / "attack.yaml")
    assert study.dataset_name("nyu-mll/glue") == study.dataset_name("glue") == "sst2"
    assert study.dataset_name("stanfordnlp/imdb") == "imdb" and study.dataset_name("emotion") == "emotion"


def test_unknown_downloads_are_not_counted_as_zero(tmp_path: Path) -> None:
    """A model whose downloads are unknown (NULL) is neither a 0 in the shares nor ranked; it is counted."""
    with Store(tmp_path / "db.sqlite") as s:
        save_records(s, [
            ModelRecord(model_id="google-bert/bert-base-uncased", revision="r0", downloads=None),
            ModelRecord(model_id="a/child", revision="r1", downloads=100,
                        card_data={"base_model": "google-bert/bert-base-uncased"}),
            ModelRecord(model_id="b/child", revision="r2", downloads=0,
                        card_data={"base_model": "google-bert/bert-base-uncased"}),
            ModelRecord(model_id="c/unknown", revision="r3", downloads=None,
                        card_data={"base_model": "a/child"}),
        ])
        identify_catalog(s)
        cg = load_graph(s)
        stats = rq1_stats(s, cg, count_chains(cg))
        rows = descendant_rows(s, cg, "google-bert/bert-base-uncased")
    top = {r["model"]: r for r in stats["top_upstreams"]}
    assert (top["google-bert/bert-base-uncased"]["downloads"], top["google-bert/bert-base-uncased"]["download_rank"]) \
        == (None, None)
    assert (top["a/child"]["downloads"], top["a/child"]["download_rank"]) == (100, 1)
    tail = stats["download_tail"]
    assert (tail["models"], tail["models_with_known_downloads"], tail["unknown_downloads"]) == (4, 2, 2)
    assert tail["share_downloaded_at_least_once"] == pytest.approx(1 / 2)  # of the 2 known, not 1 of 4
    assert tail["downloads_total"] == 100 and tail["top_0_1_percent_models"] == 1
    assert stats["coverage"]["models"] == 4
    assert {r["model"]: r["downloads"] for r in rows} == {"a/child": 100, "b/child": 0, "c/unknown": None}


def test_chains_cli_shows_unknown_downloads_as_unknown(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chainaudit.cli import app

    db = tmp_path / "db.sqlite"
    with Store(db) as s:
        save_records(s, [ModelRecord(model_id="x/base", revision="r0", downloads=None),
                         ModelRecord(model_id="a/child", revision="r1", downloads=7,
                                     card_data={"base_model": "x/base"})])
        identify_catalog(s)
    result = CliRunner().invoke(app, ["chains", "--db", str(db)])
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.output.splitlines() if "x/base" in line]
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[-2:] == ["unknown", "unknown"], row  # downloads and rank unknown, not "0" and "1"
    with Store(db) as s:
        stored = {r["name"]: r["value"] for r in s.select("chain_stats")}
    assert stored["download_tail"]["unknown_downloads"] == 1


# -- edge filters and broken cycles (issue 16, part 2) ---------------------------------------------------------
def _edge(child: str, parent: str, conf: float, relation: str | None, source: str = "metadata") -> dict:
    return {"child": child, "parent": parent, "source": source, "confidence": conf, "relation": relation}


@pytest.fixture()
def related(tmp_path: Path):
    """Eight stored edges of every kind: two sources for one pair, a NULL relation, an external parent, a cycle."""
    with Store(tmp_path / "rel.sqlite") as s:
        s.upsert("models", [{"model_id": m, "source": "hub", "downloads": 1} for m in
                            ("o/base", "o/ft", "o/q", "o/ad", "o/low", "o/x", "o/y")])
        s.upsert("lineage_edges", [
            _edge("o/ft", "o/base", 1.0, "finetune"), _edge("o/ft", "o/base", 0.8, "finetune", "card-text"),
            _edge("o/q", "o/ft", 0.85, "quantized"), _edge("o/ad", "o/base", 0.9, "adapter"),
            _edge("o/low", "o/ft", 0.4, "finetune", "card-text"), _edge("o/x", "o/base", 0.7, None, "card-text"),
            _edge("o/y", "o/x", 0.9, "finetune"), _edge("o/x", "o/y", 0.3, "finetune", "card-text"),
        ])
        yield s


def _pairs(cg) -> set[tuple[str, str]]:
    return set(zip(cg.names[cg.src].tolist(), cg.names[cg.dst].tolist(), strict=True))


def test_edge_filter_keeps_only_the_chosen_relations_and_confidence(related: Store) -> None:
    from chainaudit.lineage.graph import EdgeFilter

    everything = load_graph(related)
    assert (everything.stored_edges, everything.matching_edges, everything.edge_count) == (8, 8, 6)  # 1 dup, 1 cycle
    finetune = load_graph(related, EdgeFilter(("finetune",), 0.5))
    assert _pairs(finetune) == {("o/base", "o/ft"), ("o/x", "o/y")}  # o/low (0.4) and the 0.3 back edge are out
    assert (finetune.matching_edges, finetune.broken) == (3, [])  # no cycle is left once its weak edge is filtered
    unknown = load_graph(related, EdgeFilter(("unknown", "adapter")))  # a NULL relation reads as unknown
    assert _pairs(unknown) == {("o/base", "o/x"), ("o/base", "o/ad")}
    assert _pairs(load_graph(related, 0.85)) == {("o/base", "o/ft"), ("o/base", "o/ad"), ("o/ft", "o/q"),
                                                  ("o/x", "o/y")}  # a bare float is still a confidence floor


def test_edge_filter_parses_cli_values_and_names_the_allowed_ones() -> None:
    from chainaudit.errors import ChainauditError
    from chainaudit.lineage.graph import RELATIONS, EdgeFilter
    from chainaudit.lineage.rules import RELATIONS as RULE_RELATIONS

    assert set(RELATIONS) >= RULE_RELATIONS  # every relation the rules give can be asked for
    parsed = EdgeFilter.parse(["unknown", "Finetune, adapter"], 0.5)
    assert parsed == EdgeFilter(("finetune", "adapter", "unknown"), 0.5)
    assert EdgeFilter.parse(None) == EdgeFilter.parse([]) == EdgeFilter()
    with pytest.raises(ChainauditError) as err:
        EdgeFilter.parse(["finetune,fine-tune", "bogus"])
    assert str(err.value) == ("--relation bogus, fine-tune: not a known relation; allowed: finetune, adapter, "
                              "quantized, merge, distillation, continued-pretraining, unknown")


def test_rq1_stats_state_which_edges_they_count(related: Store) -> None:
    from chainaudit.lineage.graph import EdgeFilter

    cg = load_graph(related, EdgeFilter(("finetune", "quantized"), 0.5))
    stats = rq1_stats(related, cg, count_chains(cg))
    counted = stats["edges_counted"]
    assert (counted["relations"], counted["matching"], counted["stored"], counted["pairs"]) == (
        ["finetune", "quantized"], 4, 8, 3)
    assert counted["caption"] == ("edges counted: relations finetune, quantized; confidence ≥ 0.50; 4 of 8 edges in "
                                  "the store (3 distinct upstream–downstream pairs)")
    assert stats["edges_by_relation"] == {"finetune": 3, "quantized": 1}  # the counted edges, not all stored
    assert stats["coverage"]["pairs"] == 3
    cg = load_graph(related)
    caption = rq1_stats(related, cg, count_chains(cg))["edges_counted"]["caption"]
    assert caption == ("edges counted: every relation; any confidence; 8 of 8 edges in the store (6 distinct "
                       "upstream–downstream pairs; 1 cycle edge left out)")


def test_broken_cycles_keep_their_edges_and_the_one_dropped(related: Store) -> None:
    from chainaudit.lineage.graph import BrokenCycle

    cg = build_graph([("r", "a", 1.0), ("a", "b", 0.9), ("b", "c", 0.8), ("c", "a", 0.3), ("b", "a", 0.5)],
                     {"r", "a", "b", "c"})
    assert cg.broken == [("c", "a", 0.3), ("b", "a", 0.5)]
    first = cg.cycles[0]
    assert isinstance(first, BrokenCycle) and first.dropped == ("c", "a", 0.3)
    assert {e[:2] for e in first.edges} == {("a", "b"), ("b", "c"), ("c", "a")}
    assert set(cg.cycles[1].edges) == {("a", "b", 0.9), ("b", "a", 0.5)} and cg.cycles[1].dropped == ("b", "a", 0.5)
    assert first.describe().endswith("; dropped c -> a (confidence 0.30)")
    stats = rq1_stats(related, load_graph(related), count_chains(load_graph(related)))["cycles"]
    assert stats["broken_count"] == 1 and stats["broken_cycles"] == [{
        "edges": [["o/x", "o/y", 0.9], ["o/y", "o/x", 0.3]], "dropped": ["o/y", "o/x", 0.3],
        "text": "o/x -> o/y (0.90), o/y -> o/x (0.30); dropped o/y -> o/x (confidence 0.30)"}]
