"""Training the GAN attack's ARAE + inverter (`chainaudit.attacks.gan`) on a dataset's sentences within a time
budget (CPU, minutes); `chainaudit resources train-gan` runs it and saves the result with `attacks.gan.save_gan`.

Each step, as in ARAE and natural-adversary: one autoencoder step (reconstruction from a noised code, plus the
adversarial regulariser pushing real codes toward the generator's, its gradient normalised to a fixed share of
the reconstruction gradient), `critic_steps` WGAN-GP critic steps, one generator step, and one inverter step
(`I(G(z)) ≈ z` and `G(I(c)) ≈ c`). Deviations for speed: Adam everywhere, a gradient penalty instead of weight
clipping, codes of the current batch reused by the critic, and a smaller code noise (0.05, annealed).
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from chainaudit.attacks.gan.model import Arae, GanDims
from chainaudit.attacks.gan.store import TrainedGan, default_dir, save_gan
from chainaudit.attacks.gan.vocab import Vocab, batch

#: progress(elapsed seconds, budget seconds, step, latest metrics)
Progress = Callable[[float, float, int, dict[str, float]], None]


@dataclass(frozen=True)
class GanConfig:
    """Training settings; `minutes` bounds the wall time, `max_steps` (if set) the number of steps."""

    minutes: float = 5.0
    max_steps: int | None = None
    seed: int = 0
    batch_size: int = 64
    vocab_size: int = 10_000
    max_len: int = 30
    emb: int = 128
    hidden: int = 256
    code: int = 256
    z: int = 100
    mlp: int = 300
    lr_ae: float = 1e-3
    lr_gan: float = 1e-4
    critic_steps: int = 5
    gradient_penalty: float = 10.0
    noise: float = 0.01  # code noise per dimension (ARAE: 0.2, annealed over far longer training)
    word_dropout: float = 0.25
    noise_anneal: float = 0.995  # per 100 steps
    adv_weight: float = 0.01  # ARAE's gan_toenc
    inv_gamma: float = 0.5
    holdout: int = 256  # sentences kept out of training to measure reconstruction
    log_every: int = 25
    threads: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    gan: TrainedGan
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class SavedGan:
    """A trained GAN, the folder it was saved to, and its training history."""

    gan: TrainedGan
    folder: Path
    history: list[dict[str, float]]


def texts_sha256(texts: Sequence[str]) -> str:
    """sha256 of the training sentences, newline-joined, in training-set order."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8") + b"\n")
    return digest.hexdigest()


def training_texts(dataset: str, *, max_examples: int | None = None, seed: int = 0,
                   data_dir: Path | None = None) -> tuple[list[str], str, str]:
    """The dataset's `train` split texts (a seeded random `max_examples` of them), its name (a file's stem for a
    CSV/JSONL path: the name its samples carry) and where they came from."""
    from chainaudit.data import load_split, select

    loaded = load_split(dataset, "train", data_dir=data_dir)
    chosen = select(loaded.samples, max_examples, "random", seed)
    return [s.text for s in chosen if s.text.strip()], loaded.name, loaded.source


class _Batches:
    """Endless shuffled batches, similar lengths grouped (less padding), from a seeded generator."""

    def __init__(self, seqs: list[list[int]], size: int, rng: random.Random) -> None:
        self.seqs, self.size, self.rng = seqs, size, rng
        self.queue: list[list[int]] = []

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.queue:
            order = list(range(len(self.seqs)))
            self.rng.shuffle(order)
            pool = self.size * 50
            chunks = []
            for i in range(0, len(order), pool):
                part = sorted(order[i:i + pool], key=lambda j: len(self.seqs[j]))
                chunks.extend(part[k:k + self.size] for k in range(0, len(part), self.size))
            self.rng.shuffle(chunks)
            self.queue = [[self.seqs[j] for j in c] for c in chunks]
        return batch(self.queue.pop())


def _critic_step(model: Arae, real: torch.Tensor, opt: torch.optim.Optimizer, cfg: GanConfig,
                 gen: torch.Generator) -> float:
    fake = model.generator(torch.randn(real.size(0), cfg.z, generator=gen)).detach()
    alpha = torch.rand(real.size(0), 1, generator=gen)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grad = torch.autograd.grad(model.critic(mixed).sum(), mixed, create_graph=True)[0]
    penalty = ((grad.norm(dim=1) - 1) ** 2).mean()
    gap = model.critic(real).mean() - model.critic(fake).mean()  # critic: low on real, high on fake
    opt.zero_grad()
    (gap + cfg.gradient_penalty * penalty).backward()
    opt.step()
    return -float(gap.detach())  # the Wasserstein estimate


def _ae_step(model: Arae, ids: torch.Tensor, lengths: torch.Tensor, opt: torch.optim.Optimizer, noise: float,
             cfg: GanConfig, gen: torch.Generator, *, accuracy: bool) -> tuple[float, float, torch.Tensor]:
    ae = model.autoencoder
    code = ae.encode(ids, lengths)
    if cfg.adv_weight > 0:
        # the encoder makes real codes look generated to the critic (ARAE); its gradient, normalised to a share of
        # the reconstruction gradient's norm, is added in one backward pass
        probe = code.detach().requires_grad_(True)
        adv = torch.autograd.grad(-model.critic(probe).mean(), probe)[0]
        adv = adv / (adv.norm(dim=1).mean() + 1e-12)
        code.register_hook(lambda g: g + cfg.adv_weight * g.norm(dim=1).mean() * adv)
    noisy = code + noise * torch.randn(code.shape, generator=gen)
    loss, acc = ae.reconstruction(noisy, ids, accuracy=accuracy, word_dropout=cfg.word_dropout,
                                  generator=gen)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(ae.parameters(), 1.0)
    opt.step()
    return float(loss.detach()), float(acc), code.detach()


def _inverter_step(model: Arae, real: torch.Tensor, opt: torch.optim.Optimizer, cfg: GanConfig,
                   gen: torch.Generator) -> float:
    z = torch.randn(real.size(0), cfg.z, generator=gen)
    with torch.no_grad():
        fake = model.generator(z)
    noise_loss = F.mse_loss(model.inverter(fake), z)
    code_loss = ((model.generator(model.inverter(real)) - real) ** 2).sum(1).mean()
    loss = cfg.inv_gamma * noise_loss + (1 - cfg.inv_gamma) * code_loss
    opt.zero_grad()
    loss.backward()
    opt.step()  # only the inverter's parameters are in `opt`
    return float(code_loss.detach())


@torch.no_grad()
def evaluate(model: Arae, seqs: Sequence[list[int]], size: int = 128) -> dict[str, float]:
    """Teacher-forced token accuracy and loss on `seqs`: from the code, and through `G(I(code))`."""
    model.eval()
    totals = {"rec_loss": 0.0, "rec_acc": 0.0, "inv_rec_acc": 0.0}
    count = 0
    for i in range(0, len(seqs), size):
        ids, lengths = batch(list(seqs[i:i + size]))
        code = model.autoencoder.encode(ids, lengths)
        loss, acc = model.autoencoder.reconstruction(code, ids)
        _, inv_acc = model.autoencoder.reconstruction(model.generator(model.inverter(code)), ids)
        n = int((ids != 0).sum())
        totals["rec_loss"] += float(loss) * n
        totals["rec_acc"] += float(acc) * n
        totals["inv_rec_acc"] += float(inv_acc) * n
        count += n
    model.train()
    return {k: v / max(1, count) for k, v in totals.items()}


def train_gan(texts: Sequence[str], dataset: str, cfg: GanConfig | None = None, *, source: str = "",
              progress: Progress | None = None) -> TrainResult:
    """Train on `texts` until `cfg.minutes` (or `cfg.max_steps`) run out; return the GAN and its history."""
    cfg = cfg or GanConfig()
    threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)  # 1 is fastest on a busy 2-core machine; restored afterwards
    try:
        return _train(texts, dataset, cfg, source, progress)
    finally:
        torch.set_num_threads(threads)


def _train(texts: Sequence[str], dataset: str, cfg: GanConfig, source: str, progress: Progress | None
           ) -> TrainResult:
    if len(texts) < 2:
        raise ValueError("need at least two training sentences")
    started = time.perf_counter()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    order = list(range(len(texts)))
    rng.shuffle(order)
    holdout = min(cfg.holdout, len(texts) // 10)
    held, train = [texts[i] for i in order[:holdout]], [texts[i] for i in order[holdout:]]
    vocab = Vocab.build(train, size=cfg.vocab_size, max_len=cfg.max_len)
    seqs = [vocab.encode(t) for t in train]
    held_seqs = [vocab.encode(t) for t in held] or seqs[:cfg.batch_size]
    dims = GanDims(len(vocab), cfg.emb, cfg.hidden, cfg.code, cfg.z, cfg.mlp)
    model = Arae(dims)
    model.train()
    opt_ae = torch.optim.Adam(model.autoencoder.parameters(), lr=cfg.lr_ae)
    opt_d = torch.optim.Adam(model.critic.parameters(), lr=cfg.lr_gan, betas=(0.5, 0.9))
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=cfg.lr_gan, betas=(0.5, 0.9))
    opt_i = torch.optim.Adam(model.inverter.parameters(), lr=cfg.lr_gan * 10)
    batches = _Batches(seqs, cfg.batch_size, rng)
    budget = cfg.minutes * 60
    first = evaluate(model, held_seqs)
    history: list[dict[str, float]] = [{"step": 0, "seconds": time.perf_counter() - started, **first}]
    window: dict[str, list[float]] = {"loss": [], "acc": [], "wdist": [], "inv": []}
    step = 0
    while (cfg.max_steps is None or step < cfg.max_steps) and time.perf_counter() - started < budget:
        noise = cfg.noise * cfg.noise_anneal ** (step // 100)
        ids, lengths = next(batches)
        loss, acc, real = _ae_step(model, ids, lengths, opt_ae, noise, cfg, gen,
                                   accuracy=(step + 1) % cfg.log_every == 0)
        wdist = 0.0
        for _ in range(cfg.critic_steps):
            wdist = _critic_step(model, real, opt_d, cfg, gen)
        opt_g.zero_grad()
        model.critic(model.generator(torch.randn(real.size(0), cfg.z, generator=gen))).mean().backward()
        opt_g.step()
        inv = _inverter_step(model, real, opt_i, cfg, gen)
        step += 1
        for key, value in zip(window, (loss, acc, wdist, inv), strict=True):
            window[key].append(value)
        if step % cfg.log_every == 0:
            row = {"step": step, "seconds": time.perf_counter() - started, "train_acc": acc,
                   **{f"train_{k}": sum(v) / len(v) for k, v in window.items() if k != "acc"}}
            window = {k: [] for k in window}
            history.append(row)
            if progress:
                progress(row["seconds"], budget, step, row)
    final = evaluate(model, held_seqs)
    seconds = time.perf_counter() - started
    history.append({"step": step, "seconds": seconds, **final})
    if progress:
        progress(seconds, budget, step, history[-1])
    meta = {"dataset": dataset, "data_sha256": texts_sha256(texts), "data_source": source,
            "train_sentences": len(train), "heldout_sentences": len(held), "steps": step,
            "seconds": round(seconds, 1), "initial": first, "final": final,
            "vocab_coverage": round(vocab.coverage(held or train[:256]), 4), "config": cfg.as_dict(),
            "history": history[-200:]}
    if not math.isfinite(final["rec_loss"]):
        raise RuntimeError("GAN training diverged (reconstruction loss is not finite)")
    model.eval()
    return TrainResult(TrainedGan(model, vocab, meta), history)


def train_and_save(dataset: str, cfg: GanConfig | None = None, *, out: Path | None = None,
                   max_examples: int | None = None, data_dir: Path | None = None,
                   progress: Progress | None = None) -> SavedGan:
    """`chainaudit resources train-gan`: train on the dataset's `train` sentences (a random `max_examples` of them,
    seeded by `cfg.seed`) and save to `out`, default the cache's `gan/<dataset name>` where the attack finds it."""
    cfg = cfg or GanConfig()
    texts, name, source = training_texts(dataset, max_examples=max_examples, seed=cfg.seed, data_dir=data_dir)
    result = train_gan(texts, name, cfg, source=source, progress=progress)
    return SavedGan(result.gan, save_gan(result.gan, out or default_dir(name)), result.history)
