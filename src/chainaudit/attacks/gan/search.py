"""The GAN attack of Zhao, Dua, Singh (ICLR 2018, "Generating Natural Adversarial Examples"): a sentence is
mapped to the generator's noise space, `z* = I(E(x))`, and perturbations `z* + Δz` are decoded, `x̃ = D(G(z* + Δz))`,
in widening radii until the goal is reached (the victim's prediction flips); among the successes of that radius, the
closest (smallest ‖Δz‖) is kept. This is the authors' "iterative stochastic search" (`search_fast` in
zhengliz/natural-adversary): `samples` perturbations per step drawn uniformly from the box [-r, r]^d, r doubling each
step.

Ours differs in bookkeeping only: the candidates of one radius are decoded as one batch and scored in one victim
call, and a decoded text already asked about (or equal to the input) is not asked again, so `queries` counts
distinct texts. The GAN comes from `chainaudit resources train-gan` (`chainaudit.zoo.gan_training`); the recipe is
`chainaudit.attacks.recipes.gan`.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from chainaudit.attacks.engine import AttackContext, Constraint, Transformation
from chainaudit.attacks.gan.store import TrainedGan
from chainaudit.attacks.text import WordText


@dataclass
class GanSearch:
    """Iterative stochastic search in the GAN's noise space. Defaults: natural-adversary's `search_fast` (20
    samples, 6 doublings) with OpenAttack's starting radius 0.05 instead of 0.005: on a GAN trained for 5 minutes,
    20 draws at r = 0.005 decode to 1-2 distinct texts, at 0.05 to 3-5."""

    gans: Callable[[str], TrainedGan]  # dataset name -> the GAN to use (raises ResourceMissingError)
    samples: int = 20
    radius: float = 0.05
    growth: float = 2.0
    steps: int = 6
    _warned: set[tuple[str, str]] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, ctx: AttackContext, transformation: Transformation | None,
                 constraints: Sequence[Constraint]) -> WordText | None:
        gan = self.gans(ctx.sample.dataset)
        self._check_dataset(gan, ctx)
        gen = torch.Generator().manual_seed(ctx.rng.getrandbits(63))
        z = gan.noise_of([ctx.sample.text])
        asked = {gan.normalize(ctx.sample.text), ctx.sample.text.strip()}  # the input itself is never a candidate
        best_score = -np.inf
        radius = self.radius
        for _ in range(self.steps):
            delta = (torch.rand(self.samples, z.size(1), generator=gen) * 2 - 1) * radius
            distance = delta.norm(dim=1).tolist()
            closest: dict[str, float] = {}
            for text, d in zip(gan.write(z + delta), distance, strict=True):
                if text and text not in asked:
                    closest[text] = min(d, closest.get(text, np.inf))
            radius *= self.growth
            if not closest:
                continue
            texts = list(closest)
            candidates = [WordText.parse(t) for t in texts]
            probs = ctx.probs(candidates)
            asked.update(texts)
            scores = ctx.goal_score(probs)
            if scores.max() > best_score:
                best_score = float(scores.max())
                ctx.keep_best(candidates[int(scores.argmax())])
            flipped = np.flatnonzero(ctx.succeeded(probs))
            if flipped.size:
                return candidates[min(flipped, key=lambda i: closest[texts[i]])]
        return None

    def _check_dataset(self, gan: TrainedGan, ctx: AttackContext) -> None:
        """Warn once per (GAN dataset, attacked dataset) pair when they differ; note it for the outcome."""
        if gan.dataset == ctx.sample.dataset:
            return
        ctx.notes["gan_dataset"] = gan.dataset
        key = (gan.dataset, ctx.sample.dataset)
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        warnings.warn(f"the GAN at {gan.path} was trained on {gan.dataset!r}, not {ctx.sample.dataset!r}: its "
                      "vocabulary and style may not fit these texts (words it lacks are read as <unk>); train one "
                      f"with `chainaudit resources train-gan --dataset {ctx.sample.dataset}`", stacklevel=2)

