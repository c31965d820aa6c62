"""The local Hugging Face victim: same numbers as a bare forward pass, honest counters, correct gradients."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from chainaudit.data import Sample, load_split
from chainaudit.victims import GradientVictim, LocalHFVictim, Victim, evaluate
from conftest import TINY_CORPUS

BINARY = ("negative", "positive")
STARS = {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}
TEXTS = [*TINY_CORPUS, "ok", "a long rambling sentence about a film , the acting , the plot and the script " * 3]


def bare(folder: Path, texts: list[str], max_length: int = 512, dtype: torch.dtype = torch.float32):
    """Model, tokenizer and the softmax of one plain transformers forward pass over all `texts`."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval().to(dtype)
    with torch.no_grad():
        enc = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        probs = model(**enc).logits.double().softmax(-1).numpy()
    return model, tokenizer, probs


def victim_for(folder: Path, labels: tuple[str, ...] = BINARY, **options) -> LocalHFVictim:
    return LocalHFVictim.load(str(folder), labels, device="cpu", **options)


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_predictions_equal_a_bare_forward_pass_whatever_the_batching(tiny_model_dir: Path, batch_size: int) -> None:
    _, _, expected = bare(tiny_model_dir, TEXTS)
    victim = victim_for(tiny_model_dir, batch_size=batch_size)
    shuffled = list(range(len(TEXTS)))
    random.Random(batch_size).shuffle(shuffled)
    probs = victim.predict_proba([TEXTS[i] for i in shuffled])
    assert probs.shape == (len(TEXTS), 2) and probs.dtype.kind == "f"
    np.testing.assert_allclose(probs, expected[shuffled], atol=1e-5)
    assert victim.stats.batches == -(-len(TEXTS) // batch_size)
    assert isinstance(victim, Victim) and isinstance(victim, GradientVictim)


def test_predictions_are_aligned_to_the_dataset_labels(tiny_model_factory) -> None:
    folder = tiny_model_factory(id2label=STARS, seed=1)
    model, tokenizer, _ = bare(folder, TEXTS)
    with torch.no_grad():
        p = model(**tokenizer(TEXTS, padding=True, return_tensors="pt")).logits.double().softmax(-1).numpy()
    neg, pos = p[:, 0] + p[:, 1], p[:, 3] + p[:, 4]
    expected = np.stack([neg, pos], axis=1) / (neg + pos)[:, None]
    victim = victim_for(folder)
    np.testing.assert_allclose(victim.predict_proba(TEXTS), expected, atol=1e-5)
    assert victim.alignment.rule == "stars"


def test_cache_hits_count_as_queries_but_not_as_model_texts(tiny_model_dir: Path) -> None:
    victim = victim_for(tiny_model_dir)
    first = victim.predict_proba(TEXTS[:5])
    again = victim.predict_proba([*TEXTS[:5], TEXTS[5], TEXTS[5]])  # 5 cached, 1 new asked twice
    np.testing.assert_array_equal(again[:5], first)
    np.testing.assert_array_equal(again[5], again[6])
    assert victim.queries == victim.stats.queries == 12
    assert victim.stats.model_texts == 6
    assert victim.stats.cache_hits == 6


def test_cache_is_bounded_and_can_be_disabled(tiny_model_dir: Path) -> None:
    lru = victim_for(tiny_model_dir, cache_size=2)
    lru.predict_proba(TEXTS[:4])
    lru.predict_proba(TEXTS[2:4])  # the two most recent are kept
    lru.predict_proba(TEXTS[:1])   # evicted long ago
    assert (lru.stats.cache_hits, lru.stats.model_texts) == (2, 5)
    off = victim_for(tiny_model_dir, cache_size=0)
    off.predict_proba(TEXTS[:3])
    off.predict_proba(TEXTS[:3])
    assert (off.queries, off.stats.model_texts, off.stats.cache_hits) == (6, 6, 0)


def test_truncation_is_counted_and_matches_truncated_inputs(tiny_model_dir: Path) -> None:
    victim = victim_for(tiny_model_dir, max_length=6)
    lengths = [len(ids) for ids in AutoTokenizer.from_pretrained(tiny_model_dir)(TEXTS)["input_ids"]]
    probs = victim.predict_proba(TEXTS)
    assert victim.stats.truncated == sum(n > 6 for n in lengths) > 0
    np.testing.assert_allclose(probs, bare(tiny_model_dir, TEXTS, max_length=6)[2], atol=1e-5)
    victim.predict_proba(TEXTS)  # cached: not truncated again
    assert victim.stats.truncated == sum(n > 6 for n in lengths)


def test_max_length_is_capped_by_the_tokenizer_limit(tiny_model_dir: Path) -> None:
    assert victim_for(tiny_model_dir, max_length=10_000).max_length == 64  # the fixture's model_max_length


def test_gradients_have_token_shapes_offsets_and_the_aligned_loss(tiny_model_factory) -> None:
    folder = tiny_model_factory(id2label={0: "negative", 1: "neutral", 2: "positive"}, seed=2)
    victim = victim_for(folder, batch_size=4)
    texts, labels = TEXTS[:6], [0, 1, 1, 0, 1, 0]
    grads = victim.input_gradients(texts, labels)
    probs = victim.predict_proba(texts)
    hidden = victim.model.config.hidden_size
    for text, label, g, p in zip(texts, labels, grads, probs, strict=True):
        ids = victim.tokenizer(text)["input_ids"]
        assert g.grads.shape == (len(ids), hidden) and list(g.token_ids) == ids
        assert g.tokens[0] == "[CLS]" and g.tokens[-1] == "[SEP]" and len(g.tokens) == len(g.offsets) == len(ids)
        start, end = g.offsets[1]
        assert text[start:end] == g.tokens[1].removeprefix("##")
        assert g.offsets[0] == (0, 0)
        assert g.loss == pytest.approx(-np.log(p[label]), rel=1e-5)  # neutral dropped, rest renormalised
    one_by_one = victim_for(folder, batch_size=1).input_gradients(texts, labels)
    for a, b in zip(grads, one_by_one, strict=True):
        np.testing.assert_allclose(a.grads, b.grads, atol=1e-6)  # padding does not leak into gradients


def test_gradients_match_finite_differences(tiny_model_factory) -> None:
    folder = tiny_model_factory(id2label={0: "negative", 1: "neutral", 2: "positive"}, seed=3)
    model, tokenizer, _ = bare(folder, TEXTS[:1], dtype=torch.float64)
    victim = LocalHFVictim(model, tokenizer, BINARY, model_id="tiny", revision="r", device="cpu")
    text, label, token = TEXTS[1], 1, 2
    (g,) = victim.input_gradients([text], [label])
    ids = torch.from_numpy(g.token_ids)[None]
    base = model.get_input_embeddings()(ids).detach()

    def loss(embeds: torch.Tensor) -> float:
        with torch.no_grad():
            p = model(inputs_embeds=embeds).logits.softmax(-1)[0]
        return float(-torch.log(p[2 * label] / (p[0] + p[2])))  # dataset label 1 = model label 2

    direction = torch.randn(base.shape[-1], generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    eps = 1e-5
    plus, minus = base.clone(), base.clone()
    plus[0, token] += eps * direction
    minus[0, token] -= eps * direction
    numeric = (loss(plus) - loss(minus)) / (2 * eps)
    analytic = float(np.dot(g.grads[token], direction.numpy()))
    assert abs(analytic) > 1e-6
    assert numeric == pytest.approx(analytic, rel=1e-5)
    assert g.loss == pytest.approx(loss(base), rel=1e-10)


def test_embedding_matrix_is_the_models_read_only(tiny_model_dir: Path) -> None:
    victim = victim_for(tiny_model_dir)
    matrix = victim.embedding_matrix()
    weights = victim.model.get_input_embeddings().weight.detach().numpy()
    assert matrix.shape == (victim.tokenizer.vocab_size, victim.model.config.hidden_size)
    np.testing.assert_array_equal(matrix, weights)
    with pytest.raises(ValueError, match="read-only"):
        matrix[0, 0] = 1.0


@pytest.mark.parametrize("progress", [False, True])
def test_evaluate_reports_accuracy_speed_and_truncation(tiny_model_dir: Path, progress: bool) -> None:
    samples = [Sample("t", "x", i, text, i % 2) for i, text in enumerate(TEXTS)]
    victim = victim_for(tiny_model_dir, max_length=6)
    calls: list[tuple[int, int]] = []
    result = evaluate(victim, samples, progress=(lambda done, total: calls.append((done, total))) if progress else None,
                      chunk_size=3)
    if progress:  # one report per chunk, ending at the total
        assert calls == [(min(i + 3, len(TEXTS)), len(TEXTS)) for i in range(0, len(TEXTS), 3)]
    expected = victim.predict_proba(TEXTS).argmax(axis=1)
    np.testing.assert_array_equal(result.predictions, expected)
    assert result.n == len(TEXTS)
    assert result.accuracy == pytest.approx(np.mean(expected == [s.label for s in samples]))
    assert result.truncated == victim.stats.truncated > 0
    assert result.sentences_per_s == pytest.approx(result.n / result.seconds)


@pytest.mark.slow
def test_real_minilm_equals_a_bare_forward_pass_on_sst2(shared_data: Path) -> None:
    texts = [s.text for s in load_split("sst2", "validation", data_dir=shared_data).samples[:32]]
    victim = LocalHFVictim.load("minilm", BINARY, device="cpu", batch_size=8, backend="torch")
    with torch.no_grad():
        enc = victim.tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
        expected = victim.model(**enc).logits.double().softmax(-1).numpy()
    np.testing.assert_allclose(victim.predict_proba(texts), expected, atol=1e-5)
    assert victim.alignment.to_json() == {"LABEL_0": "negative", "LABEL_1": "positive"}
    assert victim.new_weights == ("classifier.bias", "classifier.weight")
    again = LocalHFVictim.load("minilm", BINARY, device="cpu", backend="auto")  # the new head is seeded: same
    np.testing.assert_allclose(again.predict_proba(texts), expected, atol=1e-5)  # predictions, through ONNX Runtime
    assert again.backend == "onnx", again.backend_note


def test_texts_the_tokenizer_reads_alike_share_one_model_row(tiny_model_dir: Path) -> None:
    """Two spellings that tokenize the same (unknown characters, extra spaces) get the same numbers bit for bit,
    from one model row: a tie between them is then a true tie, broken by the attack's rule, not by float noise."""
    victim = victim_for(tiny_model_dir)
    texts = ["good  movie", "good movie", "bad movie", "good \t movie"]
    ids = [tuple(victim.tokenizer(t)["input_ids"]) for t in texts]
    assert ids[0] == ids[1] == ids[3] != ids[2]  # the premise: whitespace does not reach the model
    probs = victim.predict_proba(texts)
    assert victim.stats.model_texts == 2 and victim.queries == 4
    assert np.array_equal(probs[0], probs[1]) and np.array_equal(probs[0], probs[3])
    np.testing.assert_allclose(probs, bare(tiny_model_dir, texts)[2], atol=1e-5)


def test_batches_hold_at_most_the_token_budget(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chainaudit.victims import hf_local

    victim = victim_for(tiny_model_dir, batch_size=64)
    longest = max(len(victim.tokenizer(t, truncation=True, max_length=victim.max_length)["input_ids"]) for t in TEXTS)
    monkeypatch.setattr(hf_local, "TOKEN_BUDGET", 2 * longest)  # two of the longest text a batch
    seen: list[int] = []
    real = victim._arrays
    monkeypatch.setattr(victim, "_arrays", lambda enc, rows: seen.append(len(rows)) or real(enc, rows))
    probs = victim.predict_proba(TEXTS)
    np.testing.assert_allclose(probs, bare(tiny_model_dir, TEXTS)[2], atol=1e-5)
    assert seen[0] == 2 and sum(seen) == len(set(TEXTS)) and max(seen) <= 64
