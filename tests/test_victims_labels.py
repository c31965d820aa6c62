"""Label alignment: every label style maps onto the dataset's labels, or is refused with a usable message."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from chainaudit.errors import LabelAlignmentError
from chainaudit.victims.labels import align_labels, id2label_names, parse_label_map

BINARY = ("negative", "positive")


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("model_labels", [("negative", "positive"), ("NEG", "POS"), ("neg", "pos"),
                                          ("Negative", "Positive"), ("LABEL_0", "LABEL_1"), ("0", "1")])
def test_binary_styles_map_in_order(model_labels: tuple[str, str]) -> None:
    alignment = align_labels(model_labels, BINARY)
    assert alignment.targets == (0, 1)
    np.testing.assert_array_equal(alignment.matrix, np.eye(2))
    assert alignment.to_json() == dict(zip(model_labels, BINARY, strict=True))


def test_names_win_over_index_order() -> None:
    alignment = align_labels(("POSITIVE", "NEGATIVE"), BINARY)
    assert alignment.targets == (1, 0)
    logits = np.array([[2.0, -1.0]])  # the model says POSITIVE
    assert alignment.apply(logits).argmax() == 1


@pytest.mark.parametrize("stars", [("1 star", "2 stars", "3 stars", "4 stars", "5 stars"), ("1", "2", "3", "4", "5")])
def test_stars_fold_onto_binary_and_drop_three(stars: tuple[str, ...]) -> None:
    alignment = align_labels(stars, BINARY)
    assert alignment.targets == (0, 0, None, 1, 1)
    assert alignment.to_json()[stars[2]] is None
    logits = np.array([[0.1, 0.5, 3.0, -0.2, 0.4]])
    p = softmax(logits)[0]
    expected_neg = (p[0] + p[1]) / (p[0] + p[1] + p[3] + p[4])
    np.testing.assert_allclose(alignment.apply(logits)[0], [expected_neg, 1 - expected_neg], rtol=1e-12)


def test_neutral_mass_is_dropped_and_the_rest_renormalised() -> None:
    alignment = align_labels(("negative", "neutral", "positive"), BINARY)
    assert alignment.targets == (0, None, 1)
    logits = np.array([[1.0, 30.0, 0.0]])  # nearly all mass on neutral: precision must survive the drop
    np.testing.assert_allclose(alignment.apply(logits)[0], softmax(np.array([[1.0, 0.0]]))[0], rtol=1e-12)
    assert "(dropped)" in alignment.describe()


def test_three_class_dataset_keeps_neutral() -> None:
    labels = ("negative", "neutral", "positive")
    assert align_labels(("NEG", "NEU", "POS"), labels).targets == (0, 1, 2)


def test_numeric_dataset_labels_take_label_k_by_index() -> None:
    assert align_labels(("LABEL_0", "LABEL_1", "LABEL_2"), ("0", "1", "2")).targets == (0, 1, 2)
    assert align_labels(("0", "1"), ("0", "1")).targets == (0, 1)


@pytest.mark.parametrize(("model_labels", "dataset_labels"), [
    (("LABEL_0", "LABEL_1", "LABEL_2"), BINARY),      # counts differ: index order would be a guess
    (("negative", "positive"), ("0", "1")),           # named model labels, anonymous dataset labels
    (("toxic", "clean"), BINARY),
    (("1 star", "2 stars", "3 stars", "4 stars", "5 stars"), ("0", "1")),
])
def test_unalignable_labels_are_refused_showing_both_sets_and_the_syntax(
        model_labels: tuple[str, ...], dataset_labels: tuple[str, ...]) -> None:
    with pytest.raises(LabelAlignmentError) as info:
        align_labels(model_labels, dataset_labels)
    message = str(info.value)
    assert all(m in message for m in model_labels)
    assert all(d in message for d in dataset_labels)
    # the suggested mapping is built from these very labels (index order), never a generic example
    pairs = [f"{m}={dataset_labels[i] if i < len(dataset_labels) else '-'}" for i, m in enumerate(model_labels)]
    assert f'--label-map "{",".join(pairs)}"' in message
    assert "LABEL_0=negative" not in message or model_labels[0] == "LABEL_0"


def test_a_users_own_csv_with_0_1_labels_gets_a_mapping_that_works_for_it() -> None:
    with pytest.raises(LabelAlignmentError, match='--label-map "negative=0,positive=1"'):
        align_labels(("negative", "positive"), ("0", "1"))
    assert align_labels(("negative", "positive"), ("0", "1"), "negative=0,positive=1").targets == (0, 1)


@pytest.mark.parametrize("spec", ["toxic=negative, clean=positive", '{"toxic": "negative", "clean": "positive"}',
                                  "0=0,1=1", "TOXIC=Negative,CLEAN=Positive"])
def test_user_mapping_by_name_index_or_json(spec: str) -> None:
    alignment = align_labels(("toxic", "clean"), BINARY, spec)
    assert alignment.rule == "user"
    assert alignment.to_json() == {"toxic": "negative", "clean": "positive"}


def test_user_mapping_can_drop_a_label() -> None:
    alignment = align_labels(("a", "b", "c"), BINARY, "a=positive,b=-,c=negative")
    assert alignment.targets == (1, None, 0)
    assert parse_label_map('{"b": null}') == {"b": None}


@pytest.mark.parametrize(("spec", "fragment"), [
    ("zzz=negative,clean=positive", "does not have"),
    ("toxic=bad,clean=positive", "not a dataset label"),
    ("toxic=negative", "no model label for dataset label(s) ['positive']"),
    ("toxic", "model_label=dataset_label"),
    ("{not json", "not valid JSON"),
    ("toxic=negative,toxic=positive", "twice"),
])
def test_bad_user_mappings_say_what_is_wrong(spec: str, fragment: str) -> None:
    with pytest.raises(LabelAlignmentError, match="label") as info:
        align_labels(("toxic", "clean"), BINARY, spec)
    assert fragment in str(info.value)


def test_torch_log_probs_match_numpy_probabilities() -> None:
    alignment = align_labels(("1 star", "2 stars", "3 stars", "4 stars", "5 stars"), BINARY)
    logits = np.random.default_rng(0).normal(size=(4, 5)) * 3
    log_probs = alignment.log_probs_torch(torch.tensor(logits)).numpy()
    np.testing.assert_allclose(np.exp(log_probs), alignment.apply(logits), rtol=1e-10)


def test_id2label_must_name_every_output() -> None:
    assert id2label_names({"1": "pos", "0": "neg"}, 2) == ("neg", "pos")
    with pytest.raises(LabelAlignmentError, match="does not name its 3 outputs"):
        id2label_names({0: "neg", 1: "pos"}, 3)
