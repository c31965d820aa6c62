"""OpenAttack 2.1.1's word-level attackers as searches: PWWS, TextFooler, TextBugger (black-box) and HotFlip.

Each works on OpenAttack's tokens (`openattack_text.PunctTokenizer`) and returns an `OpenAttackText` (the
space-joined tokens, as OpenAttack's detokeniser writes them). Each reproduces its attacker's `attack` method:
the order of tries, the give-up rules and the returned text; it differs only in how it asks the victim: the texts
OpenAttack scores one call at a time are scored in one batch where the outcome cannot depend on it, and a text
already scored is never asked again (so `queries` differs from OpenAttack's invoke count, usually lower). The
quirks each class reproduces are listed on it, with where they are in OpenAttack's code.

The goal is the context's (`ctx.label`; OpenAttack's `ClassifierGoal.target` is the clean prediction, which is the
gold label for every sample the untargeted goal attacks).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from chainaudit.attacks.engine import AttackContext, Constraint, Similarity, Transformation
from chainaudit.attacks.flavors.openattack_bugs import generate_bugs
from chainaudit.attacks.flavors.openattack_substitute import WordNetSubstitute
from chainaudit.attacks.flavors.openattack_text import OpenAttackText, PunctTokenizer, detokenize
from chainaudit.attacks.text import WordText

#: OpenAttack's default `token_unk` (PWWS, TextFooler): a literal string the victim's tokeniser splits up.
TOKEN_UNK = "<UNK>"


class _Scorer:
    """The victim's probabilities of token lists, each distinct text asked once per sample."""

    def __init__(self, ctx: AttackContext) -> None:
        self.ctx = ctx
        self.seen: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[Sequence[str]]) -> np.ndarray:
        keys = [detokenize(t) for t in texts]
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.seen}
        if todo:
            rows = self.ctx.probs([OpenAttackText.of(t) for t in todo.values()])
            self.seen.update(zip(todo, rows, strict=True))
        if not keys:
            return np.zeros((0, len(self.ctx.victim.label_names)))
        return np.stack([self.seen[k] for k in keys])


def _lowered(ctx: AttackContext) -> str:
    """The sample's text lowercased, as PWWS, TextFooler and HotFlip start (`x_orig = sentence.lower()`)."""
    return ctx.sample.text.lower()


def _replace(tokens: Sequence[str], index: int, word: str) -> list[str]:
    return [*tokens[:index], word, *tokens[index + 1:]]


@dataclass(frozen=True)
class PWWSSearch:
    """`attackers/pwws/__init__.py`, `PWWSAttacker.attack`, `get_saliency`, `get_wstar`:

    * the text is lowercased and tokenised; saliency = p(label | detokenised text) - p(label | the token replaced
      by the literal "<UNK>"), for EVERY token (punctuation and filter words included), softmaxed over all tokens;
    * each token's best substitute is the WordNet candidate (for its POS) with the largest drop in p(label),
      even when that drop is negative; a token without candidates scores 0 and "swaps" to itself;
    * tokens are visited by softmax(saliency) x drop, descending (ties in token order); filter words are
      skipped only then; every other token gets its best substitute, INCLUDING harmful ones (negative drop),
      and the attack stops at the first text that reaches the goal, else fails.
    """

    tokenizer: PunctTokenizer
    substitute: WordNetSubstitute
    filter_words: frozenset[str]
    unk: str = TOKEN_UNK
    #: Texts of the final loop scored per victim call: the first success is OpenAttack's; up to this many - 1
    #: texts after it are scored for nothing, against one victim call per text.
    check_batch: int = 6

    def __call__(self, ctx: AttackContext, transformation: Transformation | None,
                 constraints: Sequence[Constraint]) -> WordText | None:
        tokens, poss = self.tokenizer.tokenize_tagged(_lowered(ctx))
        if not tokens:
            return None  # OpenAttack fails on an empty softmax
        score = _Scorer(ctx)
        candidates = {i: [w for w in self.substitute(tok, poss[i]) if w != tok]
                      for i, tok in enumerate(tokens) if tok not in self.filter_words}
        pending = [_replace(tokens, i, self.unk) for i in range(len(tokens))] + [tokens]
        pending += [_replace(tokens, i, w) for i, words in candidates.items() for w in words]
        probs = score(pending)  # saliency texts, the original and every candidate: one victim call
        base = probs[len(tokens)]
        saliency = ctx.goal_gain(probs[:len(tokens)], base)
        weights = np.exp(saliency - saliency.max())
        weights /= weights.sum()
        best_word, best_drop = list(tokens), np.zeros(len(tokens))
        start = len(tokens) + 1
        for i, words in candidates.items():
            if words:
                drops = ctx.goal_gain(probs[start:start + len(words)], base)
                best_word[i], best_drop[i] = words[int(np.argmax(drops))], float(drops.max())
                start += len(words)
        steps, current = [], list(tokens)  # the text OpenAttack checks after each visit, in order
        for i in np.argsort(-(weights * best_drop), kind="stable"):
            if current[i] not in self.filter_words:
                current = _replace(current, i, best_word[i])
                steps.append(current)
        for start in range(0, len(steps), self.check_batch):  # OpenAttack checks them one by one
            chunk = steps[start:start + self.check_batch]
            wins = np.flatnonzero(ctx.succeeded(score(chunk)))
            ctx.keep_best(OpenAttackText.of(chunk[-1]))
            if wins.size:
                return OpenAttackText.of(chunk[int(wins[0])])
        return None


@dataclass
class SimilarityLatch:
    """TextFooler's similarity threshold, held by the recipe instance across samples (see `TextFoolerSearch`)."""

    value: float


@dataclass(frozen=True)
class TextFoolerSearch:
    """`attackers/textfooler/__init__.py`, `TextFoolerAttacker.attack`, `get_neighbours`, `pos_filter`:

    * lowercased and tokenised; importance of each token = the drop of the (lowercased) original's top
      probability when the token becomes the literal "<UNK>", plus, when that flips the prediction, the new top
      probability minus the original's probability of that label; tokens with importance > -1 that are not
      filter words are visited most important first (ties in token order);
    * candidates: WordNet synonyms for the token's POS (OpenAttack's default substitute; not word vectors);
    * a candidate qualifies when it flips the prediction, its window (15 tokens, clipped as OpenAttack clips it:
      near the end of a text shorter than the window, Python's negative-start slice takes the LAST
      `15 - len` tokens) has encoder cosine >= the threshold to the same window before this swap, and its POS
      (the candidate text re-tokenised and re-tagged in a window of 4 tokens either side, whole text when it has
      <= 10 tokens) equals the token's or both are noun/verb; the most similar qualifying one ends the attack;
    * else the candidate with the lowest p(original label) is kept when that is below the ORIGINAL text's
      probability (not the current one's): failed swaps accumulate;
    * THE 0.1 QUIRK: `attack` sets `self.sim_score_threshold = 0.1` when a text has fewer tokens than the window
      and never restores it, so from the first short text on, every text of the run (long ones too) is checked
      at 0.1. `latch` is that attribute: one per recipe instance, read when a sample starts (a sample's
      threshold never changes mid-attack, as in OpenAttack's sequential loop). Each process (Ray worker) and each
      resumed run starts again at `threshold`; the threshold a sample used is in its outcome's `extra`.
    """

    tokenizer: PunctTokenizer
    substitute: WordNetSubstitute
    filter_words: frozenset[str]
    similarity: Similarity
    threshold: float = 0.5
    window: int = 15
    import_threshold: float = -1.0
    unk: str = TOKEN_UNK
    latch: SimilarityLatch = field(default=None, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.latch is None:
            object.__setattr__(self, "latch", SimilarityLatch(self.threshold))

    def _pos_at(self, tokens: list[str], index: int) -> str:
        if len(tokens) > 10:
            return self.tokenizer.tokenize_tagged(detokenize(tokens[max(index - 4, 0):index + 5]))[1][min(4, index)]
        return self.tokenizer.tokenize_tagged(detokenize(tokens))[1][index]

    def _window(self, index: int, length: int) -> tuple[int, int]:
        half = (self.window - 1) // 2
        if index >= half and length - index - 1 >= half:
            return index - half, index + half + 1
        if index < half and length - index - 1 >= half:
            return 0, self.window
        if index >= half:
            return length - self.window, length
        return 0, length

    def __call__(self, ctx: AttackContext, transformation: Transformation | None,
                 constraints: Sequence[Constraint]) -> WordText | None:
        lowered = _lowered(ctx)
        orig_probs = ctx.original_probs if lowered == ctx.sample.text else ctx.probs([WordText.parse(lowered)])[0]
        orig_label, orig_prob = int(orig_probs.argmax()), float(orig_probs.max())
        tokens, poss = self.tokenizer.tokenize_tagged(lowered)
        if len(tokens) < self.window:
            self.latch.value = 0.1
        threshold = self.latch.value
        ctx.notes["sim_threshold"] = threshold
        score = _Scorer(ctx)
        leave = score([_replace(tokens, i, self.unk) for i in range(len(tokens))])
        top = leave.argmax(axis=1)
        importance = orig_prob - leave[:, orig_label] + (top != orig_label) * (leave.max(axis=1) - orig_probs[top])
        order = [i for i in np.argsort(-importance, kind="stable")
                 if importance[i] > self.import_threshold and tokens[i] not in self.filter_words]
        neighbours = [(i, [w for w in self.substitute(tokens[i], poss[i]) if w != tokens[i]]) for i in order]
        prime = list(tokens)
        for i, words in ((i, words) for i, words in neighbours if words):
            texts = [_replace(prime, i, w) for w in words]
            probs = score(texts)
            lo, hi = self._window(i, len(tokens))
            sims = _LazySimilarity(self.similarity, detokenize(prime[lo:hi]), [detokenize(t[lo:hi]) for t in texts])
            pos_ok = np.array([p == poss[i] or {p, poss[i]} <= {"noun", "verb"}
                               for p in (self._pos_at(t, i) for t in texts)])
            k, qualified = _textfooler_pick(probs, orig_label, orig_prob, pos_ok, sims, threshold)
            if k is not None:
                prime = texts[k]
                ctx.keep_best(OpenAttackText.of(prime))
                if qualified and ctx.succeeded(probs[k:k + 1])[0]:
                    return OpenAttackText.of(prime)
        return None


class _LazySimilarity:
    """Window similarities of one step's candidates, encoded only when the pick needs them."""

    def __init__(self, similarity: Similarity, before: str, windows: list[str]) -> None:
        self.similarity, self.before, self.windows = similarity, before, windows
        self.known: dict[int, float] = {}

    def of(self, indices: Sequence[int]) -> np.ndarray:
        todo = [int(k) for k in indices if int(k) not in self.known]
        if todo:
            values = self.similarity([self.before] * len(todo), [self.windows[k] for k in todo])
            self.known.update(zip(todo, map(float, values), strict=True))
        return np.array([self.known[int(k)] for k in indices], dtype=float)


def _textfooler_pick(probs: np.ndarray, orig_label: int, orig_prob: float, pos_ok: np.ndarray,
                     sims: _LazySimilarity, threshold: float) -> tuple[int | None, bool]:
    """TextFooler's choice at one token: (candidate kept or None, whether it qualified).

    OpenAttack's arithmetic, with similarities computed only where they can change it: among the flips of the
    right POS, the most similar one with similarity >= threshold (`argmax(mask * sims)`: the first of equal ones);
    else `argmin(p(label) + [sim < threshold] + [POS differs])` kept if below the original's probability: a
    penalised candidate scores >= 1 and can never be kept, so that is the lowest-p(label) candidate of the right
    POS and similarity (first of equal ones)."""
    p = probs[:, orig_label]
    if threshold <= 0:  # a zero product could then win argmax(mask * sims): compute everything, as OpenAttack does
        sims.of(range(len(p)))
    flips = np.flatnonzero((probs.argmax(axis=1) != orig_label) & pos_ok)
    if flips.size:
        values = sims.of(flips)
        passing = values >= threshold
        if passing.any():
            return int(flips[passing][int(np.argmax(values[passing]))]), True
    order = [int(k) for k in np.argsort(p, kind="stable") if pos_ok[k] and p[k] < orig_prob]
    for chunk in (order[:1], order[1:]):
        if chunk:
            values = sims.of(chunk)
            passing = np.flatnonzero(values >= threshold)
            if passing.size:
                return chunk[int(passing[0])], False
    return None, False


@dataclass(frozen=True)
class TextBuggerSearch:
    """`attackers/textbugger/__init__.py`, `TextBuggerAttacker.attack` (black-box, the default),
    `get_word_importances`, `selectBug`, `getScore`:

    * tokenised WITHOUT lowercasing; tokens ranked by p(label) with the token deleted, lowest first (ties in token
      order); punctuation and filter words are ranked too, filter words skipped when visited;
    * at each token the five bugs (`openattack_bugs.generate_bugs`: insert, delete, swap, sub_C, sub_W, in that
      order; a bug that cannot apply is the word itself) are scored by p(label) and the best one (first on ties)
      is applied even when it makes the text LESS adversarial (no improvement check);
    * no similarity check at all (the paper's Algorithm 1 gives up below a USE similarity of 0.8; OpenAttack
      does not); success ends the attack, running out of tokens fails it.

    Randomness: OpenAttack draws the bugs' positions from Python's global `random` and never seeds it; seeded
    with the run's seed before each sample (as the parity runner and TextAttack's `Attacker` do), that is a fresh
    `random.Random(seed)` per sample, our default `rng(ctx)`: the same seed draws the same bugs.
    """

    tokenizer: PunctTokenizer
    substitute: WordNetSubstitute
    filter_words: frozenset[str]
    rng: Callable[[AttackContext], random.Random] = lambda ctx: random.Random(ctx.seed)

    def __call__(self, ctx: AttackContext, transformation: Transformation | None,
                 constraints: Sequence[Constraint]) -> WordText | None:
        tokens = self.tokenizer.tokenize(ctx.sample.text)
        if not tokens:
            return None
        rng, score = self.rng(ctx), _Scorer(ctx)
        p = score([tokens[:i] + tokens[i + 1:] for i in range(len(tokens))])[:, ctx.label]
        order = np.argsort(-p if ctx.goal.towards else p, kind="stable")
        for i in order:
            if tokens[i] in self.filter_words:
                continue
            bugs = generate_bugs(tokens[i], rng, self._sub_w)
            texts = [_replace(tokens, i, b) for b in bugs]
            probs = score(texts)
            k = int(np.argmax(ctx.goal_score(probs)))
            tokens = texts[k]
            ctx.keep_best(OpenAttackText.of(tokens))
            if ctx.succeeded(probs[k:k + 1])[0]:
                return OpenAttackText.of(tokens)
        return None

    def _sub_w(self, word: str) -> str:
        found = self.substitute(word, None)
        return found[0] if found else word


@dataclass(frozen=True)
class HotFlipSearch:
    """`attackers/hotflip/__init__.py`, `HotFlipAttacker.attack`, `do_replace` (black-box, despite the name):

    * lowercased and tokenised; left to right over the tokens that are not filter words, every WordNet candidate
      for the token's POS is tried in order (the substitute's list as is: a candidate equal to the token after
      lowercasing is tried too); the first text that reaches the goal wins;
    * `do_replace` edits the token list in place, so when no candidate of a token succeeds the token keeps its
      LAST candidate and the changes accumulate left to right.
    """

    tokenizer: PunctTokenizer
    substitute: WordNetSubstitute
    filter_words: frozenset[str]

    def __call__(self, ctx: AttackContext, transformation: Transformation | None,
                 constraints: Sequence[Constraint]) -> WordText | None:
        tokens, poss = self.tokenizer.tokenize_tagged(_lowered(ctx))
        current, score = list(tokens), _Scorer(ctx)
        for i, (word, pos) in enumerate(zip(tokens, poss, strict=True)):
            if word in self.filter_words:
                continue
            words = self.substitute(word, pos)
            if not words:
                continue
            texts = [_replace(current, i, w) for w in words]
            wins = np.flatnonzero(ctx.succeeded(score(texts)))
            if wins.size:
                return OpenAttackText.of(texts[int(wins[0])])
            current = texts[-1]
            ctx.keep_best(OpenAttackText.of(current))
        return None
