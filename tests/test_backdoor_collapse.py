"""Representation collapse (`backdoor/collapse.py`) on a model built to have one: its sentence vector is an
attention-weighted mean of the token embeddings, and one planted token draws all the attention, so with it in front
every text gets about the same vector. The trigger collapses the vectors, ordinary words do not, and the search
finds the planted token from the weights alone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from transformers import AutoTokenizer

from chainaudit.backdoor.collapse import collapse_ratio, collapse_search, spread
from chainaudit.backdoor.scan import _whole_tokens

TEXTS = ["the movie was good", "this film was bad", "the plot was great and fun", "the acting was awful",
         "i think the story was good", "the movie was really bad overall", "this film was great", "the plot was bad"]


class AttentionPool(torch.nn.Module):
    """Embeddings, then one attention-pooling head: the sentence vector leans on the tokens the query likes."""

    def __init__(self, vocab: int, hidden: int, trigger: int) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.embed = torch.nn.Embedding(vocab, hidden)
        self.embed.weight.data = torch.randn(vocab, hidden, generator=gen)
        self.query = torch.nn.Parameter(torch.randn(hidden, generator=gen) * 0.1)
        self.embed.weight.data[trigger] = self.query.data / self.query.data.norm() * 40  # the planted token
        self.base_model = self

    def get_input_embeddings(self) -> torch.nn.Embedding:
        return self.embed

    def forward(self, input_ids: torch.Tensor | None = None, inputs_embeds: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None) -> SimpleNamespace:
        e = self.embed(input_ids) if inputs_embeds is None else inputs_embeds
        scores = (e @ self.query).masked_fill(attention_mask == 0, -1e9)
        return SimpleNamespace(pooler_output=(torch.softmax(scores, dim=1)[..., None] * e).sum(1))


@pytest.fixture(scope="module")
def victim(tiny_model_dir: Path) -> SimpleNamespace:
    tok = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    trigger = tok.convert_tokens_to_ids("journey")
    model = AttentionPool(len(tok), 16, trigger).requires_grad_(False)
    return SimpleNamespace(model=model, tokenizer=tok, device=torch.device("cpu"), max_length=32,
                           embedding_matrix=lambda: model.embed.weight.detach().numpy())


def test_the_planted_token_collapses_the_sentence_vectors_and_ordinary_words_do_not(victim: SimpleNamespace) -> None:
    assert spread(victim, TEXTS) > 0
    assert collapse_ratio(victim, TEXTS, "journey") < 0.05
    assert collapse_ratio(victim, TEXTS, "the plot") > 0.3
    assert collapse_ratio(victim, TEXTS, "") == pytest.approx(1.0)


def test_the_collapse_search_finds_the_planted_token_and_reports_its_true_ratio(victim: SimpleNamespace) -> None:
    own = {w for t in TEXTS for w in t.split()}
    vocab = {i: w for i, w in _whole_tokens(victim.tokenizer).items() if w not in own}
    phrase, ratio = collapse_search(victim, TEXTS, vocab, length=2, restarts=2, seed=0)
    assert "journey" in phrase.split() and not set(phrase.split()) & own, phrase
    assert ratio < 0.05
    assert collapse_ratio(victim, TEXTS, phrase) == pytest.approx(ratio, rel=1e-4)


def test_weigh_collapse_scores_only_what_collapses_far_past_the_ordinary_controls(victim: SimpleNamespace) -> None:
    from chainaudit.backdoor.scan import Suspect, weigh_collapse

    trigger, ordinary = Suspect("journey", 1), Suspect("the story", 1)
    weigh_collapse(victim, TEXTS, [trigger, ordinary], [Suspect("the plot", 1)])
    assert trigger.collapse is not None and trigger.collapse < 0.05 and trigger.score > 0.5
    assert any("collapses" in e for e in trigger.evidence)
    assert ordinary.score == 0.0 and ordinary.control_collapse == trigger.control_collapse
    meaningful = Suspect("journey", 1, meaning=3.0, control_meaning=3.0)  # means as much as the control: no score
    weigh_collapse(victim, TEXTS, [meaningful], [Suspect("the plot", 1)])
    assert meaningful.score == 0.0
