"""SCPN on tiny random weights in the published file format: loading, decoding, the recipe, missing weights."""

from __future__ import annotations

import argparse
import json
import pickle
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import torch

from attack_helpers import KeywordVictim, jaccard, tiny_resources
from chainaudit.attacks import AttackResources, build_recipe, summarize
from chainaudit.attacks.scpn import TEMPLATES, load_paraphraser
from chainaudit.attacks.scpn.bpe import BPE, reverse_bpe
from chainaudit.attacks.scpn.model import SCPN, beam_search
from chainaudit.attacks.scpn.paraphrase import _pad
from chainaudit.attacks.scpn.parse import ChunkParser, CoreNLPParser, deleaf, tokenize
from chainaudit.attacks.scpn.templates import PTB_TAGSET, template_tokens
from chainaudit.attacks.scpn.tiny import write_tiny_scpn
from chainaudit.attacks.scpn.weights import load_checkpoint, load_strict, load_vocab, locate, verify
from chainaudit.data import Sample
from chainaudit.errors import ChainauditError, ResourceChecksumError
from chainaudit.store import Store
from chainaudit.study.records import run_attack

TEXT = "the movie was good ."


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private cache (the checksum manifest lives there), no CoreNLP, one torch thread (tiny ops)."""
    monkeypatch.setenv("CHAINAUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINAUDIT_CORENLP_URL", raising=False)
    monkeypatch.delenv("CHAINAUDIT_SCPN_DIR", raising=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture()
def tiny_dir(tmp_path: Path) -> Path:
    return write_tiny_scpn(tmp_path / "scpn")


def resources(scpn_dir: Path):
    res = tiny_resources()
    res.scpn_dir = scpn_dir
    return res


def test_bpe_merges_splits_rare_segments_and_reverses(tmp_path: Path) -> None:
    (tmp_path / "codes").write_text("#version: 0.2\ng o\ngo o\ngoo d</w>\ni n\nin g</w>\n", encoding="utf-8")
    (tmp_path / "vocab").write_text("good 900\ngo@@ 80\ning 70\ngoo@@ 3\n", encoding="utf-8")
    bpe = BPE.load(tmp_path / "codes", tmp_path / "vocab", threshold=50)
    assert bpe.segment(["good", "going"]) == ["good", "go@@", "ing"]
    assert BPE.load(tmp_path / "codes").segment(["goody"]) == ["goo@@", "d@@", "y"]
    assert bpe.segment(["gooing"]) == ["go@@", "o@@", "ing"]  # goo@@ is rare (3 < 50): split back along its merge
    assert reverse_bpe(["go@@", "o@@", "ing", "good"]) == ["gooing", "good"]


def test_offline_parse_is_a_ptb_tree_the_parse_networks_can_read() -> None:
    tokens = tokenize("The movie wasn't great fun, and the acting was wonderful.")
    assert tokens[:4] == ["The", "movie", "was", "n't"]
    tree = ChunkParser(frozenset(PTB_TAGSET))(tokens)
    assert tree.label() == "ROOT" and tree[0].label() == "S"
    assert [c.label() for c in tree[0]][:3] == ["S", ",", "CC"]
    labels = deleaf(tree)
    assert labels[:4] == ["(", "ROOT", "(", "S"] and labels[-1] == "EOP"
    assert set(labels) <= set(PTB_TAGSET) and labels.count("(") == labels.count(")")
    assert ChunkParser()(tokenize("a charming journey ."))[0].label() == "NP"


def test_corenlp_client_reads_the_servers_parse() -> None:
    parse = "(ROOT (S (NP (DT the) (NN movie)) (VP (VBD was) (ADJP (JJ good))) (. .)))"

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            assert body == TEXT and "parse" in self.path
            payload = json.dumps({"sentences": [{"parse": parse}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tree = CoreNLPParser(f"http://127.0.0.1:{server.server_port}")(TEXT.split())
    finally:
        server.shutdown()
    assert deleaf(tree)[:8] == ["(", "ROOT", "(", "S", "(", "NP", "(", "DT"]
    with pytest.raises(ChainauditError, match="CoreNLP server"):
        CoreNLPParser("http://127.0.0.1:9", timeout=2)(["x"])


def test_tiny_weights_paraphrase_into_sentences(tiny_dir: Path) -> None:
    para = load_paraphraser(tiny_dir)
    outputs = para.paraphrase(TEXT)
    assert [o.template for o in outputs] == list(TEMPLATES)
    words = set(para.rev_vocab.values())
    for out in outputs:
        assert isinstance(out.text, str) and out.text.strip()
        assert set(out.text.split()) <= words | {w.removesuffix("@@") for w in words}
        labels = out.parse.split()
        assert labels[:2] == ["(", "ROOT"] and labels[-1] == ")"  # a full target parse, EOP dropped
        assert set(labels) <= set(PTB_TAGSET) - {"EOP"}
    assert load_paraphraser(tiny_dir) is para  # loaded once per folder


def test_decoding_is_seeded(tiny_dir: Path) -> None:
    para = load_paraphraser(tiny_dir)
    beam = [o.text for o in para.paraphrase(TEXT, seed=1)]
    assert beam == [o.text for o in para.paraphrase(TEXT, seed=2)]  # beam search: deterministic
    para.decoding = "sample"
    try:
        first = [o.text for o in para.paraphrase(TEXT, seed=7)]
        assert first == [o.text for o in para.paraphrase(TEXT, seed=7)]
        assert first != [o.text for o in para.paraphrase(TEXT, seed=8)]
    finally:
        para.decoding = "beam"


def test_template_drives_the_output(tiny_dir: Path) -> None:
    """Each template's row of a batch is decoded under that template (as if alone), the target parse changes
    the network's output distribution, and the paraphrases differ across templates."""
    para = load_paraphraser(tiny_dir)
    ids = {w: i for i, w in para.rev_vocab.items()}
    sentence = torch.tensor([[ids[w] for w in TEXT.split()] + [ids["EOS"]]])
    parses = [[para.tagset[t] for t in template_tokens(x)[:-1]] for x in TEMPLATES]
    batched = beam_search(*para.scpn.stepper(sentence, *_pad(parses)), ids["EOS"])
    alone = [beam_search(*para.scpn.stepper(sentence, *_pad([p])), ids["EOS"])[0] for p in parses]
    assert [d.tokens for d in batched] == [d.tokens for d in alone]
    assert [d.score for d in batched] == pytest.approx([d.score for d in alone], abs=1e-4)
    with torch.no_grad():
        step, state = para.scpn.stepper(sentence, *_pad(parses[:2]))
        first, _ = step(None, state)
    assert float((first[0] - first[1]).abs().max()) > 1e-3
    assert len({o.text for o in para.paraphrase(TEXT)}) > 1


def test_first_use_pins_checksums_and_a_changed_file_is_refused(tiny_dir: Path) -> None:
    files = locate(tiny_dir)
    sums = verify(files)
    assert verify(files) == sums
    with (tiny_dir / "vocab.txt").open("a", encoding="utf-8") as fh:
        fh.write("extra 999\n")
    with pytest.raises(ResourceChecksumError, match="pinned on first use"):
        verify(files)
    with pytest.raises(ResourceChecksumError, match="expected"):
        verify(files, {"scpn.pt": "0" * 64})


def test_only_plain_data_is_unpickled(tmp_path: Path, tiny_dir: Path) -> None:
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (tmp_path / "v.pkl").write_bytes(pickle.dumps([{"EOS": 0}, Evil()]))
    with pytest.raises(ChainauditError, match=r"refusing to load builtins\.print"):
        load_vocab(tmp_path / "v.pkl")
    torch.save({"state_dict": {}, "config_args": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(ChainauditError, match="could not be loaded safely"):
        load_checkpoint(tmp_path / "evil.pt")
    state, args = load_checkpoint(tiny_dir / "scpn.pt")
    assert isinstance(args, argparse.Namespace) and args.d_hid == 16
    del state["att_W"]
    state["extra.weight"] = torch.zeros(1)
    net = SCPN(args.d_word, args.d_hid, args.d_nt, args.d_trans, len(load_vocab(tiny_dir / "parse_vocab.pkl")[0]),
               len(PTB_TAGSET) - 1)
    with pytest.raises(ChainauditError, match=r"missing keys \['att_W'\], unexpected keys \['extra.weight'\]"):
        load_strict(net, state, tiny_dir / "scpn.pt")


def test_scpn_recipe_attacks_with_one_victim_call(tiny_dir: Path) -> None:
    recipe = build_recipe("scpn", resources(tiny_dir))
    sample = Sample("toy", "validation", 0, "the movie was good .", 1)
    paraphrases = list(dict.fromkeys(o.text for o in load_paraphraser(tiny_dir).paraphrase(sample.text)))
    flips = [t for t in paraphrases if KeywordVictim().predict_proba([t])[0].argmax() == 0]
    assert flips, "the tiny weights drop 'good' from some paraphrase"
    victim = KeywordVictim()
    outcome = recipe.attack(victim, sample, seed=3)
    assert outcome.outcome == "succeeded" and outcome.perturbed_pred == 0, outcome.error
    # the clean text, then every distinct paraphrase in one call; the result's re-score is not counted
    assert outcome.queries == 1 + len(paraphrases) and victim.queries == outcome.queries + 1
    # of the paraphrases that flip, the one most similar to the original (tiny_resources: word overlap)
    assert outcome.perturbed_text == max(flips, key=lambda t: float(jaccard([sample.text], [t])[0]))
    assert "good" not in outcome.perturbed_text.split() and outcome.words_changed > 0
    again = recipe.attack(KeywordVictim(), sample, seed=3)
    assert (again.outcome, again.perturbed_text) == (outcome.outcome, outcome.perturbed_text)
    exhausted = recipe.attack(KeywordVictim(), sample, seed=3, budget=2)
    assert exhausted.outcome == "failed" and exhausted.extra.get("budget_exhausted")


def test_missing_weights_are_errors_not_failed_attacks(tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    recipe = build_recipe("scpn", resources(empty))  # building must not raise: the CLI would stop before attacking
    # The third sample is one the victim already gets wrong: it too is an error, not a skip (asr_all would
    # otherwise count it as a success of an attack that never ran).
    texts = ["a good film .", "great plot .", "a bad film ."]
    samples = [Sample("toy", "validation", i, t, 1) for i, t in enumerate(texts)]
    with Store(tmp_path / "s.db") as store:
        run = run_attack(recipe, KeywordVictim(), samples, store)
    assert [o.outcome for o in run.outcomes] == ["error", "error", "error"]
    assert run.summary.asr_all is None and run.summary.skipped == 0
    message = run.outcomes[0].error or ""
    assert message.startswith(f"resource missing: SCPN weights not found in {empty}")
    assert "scpn.zip" in message and "--scpn-dir" in message
    assert summarize(run.outcomes).ran is False and run.summary.failed == 0


def test_the_scpn_files_in_use_are_part_of_the_result_key(tiny_dir: Path, tmp_path: Path) -> None:
    from chainaudit.attacks.pipeline import AttackRequest, params_digest

    def digest(folder: Path) -> tuple[str, object]:
        request = AttackRequest(model="m", attack="scpn", resources=AttackResources(scpn_dir=folder))
        key, value = params_digest(request, "untargeted")
        return key, value["scpn"]

    missing, present = digest(tmp_path / "nothing-here"), digest(tiny_dir)
    assert missing[1] is None and present[0] != missing[0]
    sizes = {k: v for k, v in present[1].items() if k != "folder"}
    assert present[1]["folder"] == str(tiny_dir.resolve()) and sizes and all(v > 0 for v in sizes.values())
    assert digest(tiny_dir) == present
