"""Run one recipe of a peer tool (OpenAttack 2.1.1 or TextAttack 0.3.11) over the first N SST-2 validation rows,
one JSON line per sample, with the resources the tool would download replaced by the shared substitutes of
benchmarks/peers/PARITY.md. Runs INSIDE the peer venv (benchmarks/peers/setup_peers.sh); benchmarks/
attack_parity.py calls it and compares its rows with chainaudit's flavours.

    python run_peer.py --tool openattack|textattack --recipe pwws|textfooler|textbugger|hotflip|hotflip-blackbox
                       --n N [--start 0] [--seed S] --out F.jsonl
    python run_peer.py ... --resume        # keep the rows already in --out, attack the rest
    python run_peer.py ... --time-split    # also victim_s / encoder_s: seconds in each model's forward passes
    python run_peer.py --check            # import both tools, install the substitutes, build every recipe
    python run_peer.py --digest           # print the digest of the substituted resources (the cache key)

Each line: index, text, label, outcome (succeeded | failed | skipped | error), adversarial (text or null),
original_pred, perturbed_pred, queries (victim queries for this text), seconds (wall time of the attack call),
error (message or null), tool, recipe, resources (digest). `skipped`: the model is already wrong on the clean text
(the contract's untargeted goal: away from the gold label, already-wrong samples skipped on all sides).

What is run: each tool's own attacker / recipe with its own defaults --
  OpenAttack: PWWSAttacker(), TextFoolerAttacker(), TextBuggerAttacker() (blackbox=True, its default),
              HotFlipAttacker() (OpenAttack's HotFlip is black-box: WordNet synonyms tried word by word) for
              `hotflip-blackbox` (and `hotflip`, the same attacker); each called as OpenAttack's AttackEval calls
              it (victim.set_context / attacker(victim, {"x": text}) / victim.context.invoke / clear_context).
  TextAttack: PWWSRen2019, TextFoolerJin2019, TextBuggerLi2018, HotFlipEbrahimi2017 `.build(model_wrapper)`;
              each sample through `Attack.attack(text, label)` as TextAttack's Attacker does.
Victim: /work/main/runs/demo/models/minilm-sst2 (BertForSequenceClassification, labels negative/positive = SST-2's 0/1),
eval mode, CPU, max length 128 -- OpenAttack's `TransformersClassifier(model, tokenizer,
model.bert.embeddings.word_embeddings, max_length=128)` (its defaults otherwise: batch size 8, a backward pass on
every call); TextAttack's `HuggingFaceModelWrapper(model, tokenizer)` with `tokenizer.model_max_length = 128`
(the wrapper pads every batch to the tokenizer's model_max_length, 512 in this folder; set to the contract's 128).

Queries: OpenAttack counts them itself (victim.context.invoke: one per text in every get_pred/get_prob call,
the attacker's own first prediction included); TextAttack counts them itself too (`AttackResult.num_queries`:
model calls per text, texts in its goal-function cache not counted again, the first prediction included).
For a sample skipped here the count is 1 (the clean prediction), as TextAttack counts it.

Randomness: `random`, `numpy` and `torch` are seeded with --seed before every sample (default 765, TextAttack's
AttackArgs.random_seed; OpenAttack seeds nothing itself), so a row depends on its sample alone and `--start`
resumes exactly. Only the TextBugger recipes draw random numbers.

Substitutions (the contract's shared resources; chainaudit is installed in the peer venv for them):
  S1 WordNet 3.0 -> chainaudit.resources.wordnet.get_wordnet() (NLTK WordNetCorpusReader over Debian's files).
     OpenAttack: DataManager "TProcess.NLTKWordNet" (WordNetSubstitute, the default substitute of all four
     attackers). TextAttack: `nltk.corpus.wordnet` and the `wordnet` name bound in
     textattack.transformations.word_swaps.word_swap_wordnet (WordSwapWordNet, PWWS). The reader has no OMW, so
     `wordnet.langs()` is ["eng"], all TextAttack asks for.
  S2 POS tagger -> chainaudit.resources.pos.penn_tag (Penn tags).
     OpenAttack: DataManager "TProcess.NLTKPerceptronPosTagger" (PunctTokenizer calls it as
     `tagger(tokens) -> [(word, penn)]`; OpenAttack maps Penn to its adj/verb/noun/adv/other itself).
     TextAttack: `nltk.pos_tag(tokens, tagset, lang)` (PartOfSpeech, tagger_type "nltk": TextFooler, HotFlip);
     tagset "universal" maps through chainaudit.resources.pos.to_universal, the Petrov et al. table that is
     NLTK's en-ptb map (NLTK's own map is itself a download).
  S3 Sentence splitting -> nltk.tokenize.PunktSentenceTokenizer() untrained: OpenAttack DataManager
     "TProcess.NLTKSentTokenizer" (PunctTokenizer splits sentences, then WordPunctTokenizer splits words).
  S4 Stop words. OpenAttack 2.1.1 has its list in code (attack_assist/filter_words/english.py, the attackers'
     `filter_words` default): kept as it is, nothing substituted (the contract names a `TProcess.StopWords`
     download; 2.1.1 has none). TextAttack: TextFooler passes its own list (kept); PWWS, TextBugger and HotFlip
     use `StopwordModification()`, whose default is `nltk.corpus.stopwords.words("english")`, a download ->
     `nltk.corpus.stopwords` replaced by a reader whose words() is chainaudit.resources.stopwords.STOP_WORDS
     (sorted). NB it must be in place before `import textattack`: textattack.augmentation builds a
     StopwordModification() at import time.
  S5 Sentence encoder (USE) -> all-MiniLM-L6-v2, chainaudit.resources.encoder.get_encoder(), cosine.
     OpenAttack: TextFoolerAttacker's `UniversalSentenceEncoder()` metric (tensorflow_hub) -> a metric with the
     same calc_score(a, b) = cosine on MiniLM; OpenAttack's own cosine threshold (sim_score_threshold=0.5, set to
     0.1 for the rest of the run once a text shorter than the 15-word window is seen: its quirk, kept) is its
     default and stays (a run starting or resuming at row k > 0 replays the quirk's state from rows 0..k-1, so its
     rows equal those of a run from row 0; SST-2 validation row 0 is 9 words, so from row 1 on the threshold is
     0.1). TextAttack: `UniversalSentenceEncoder` in the TextFooler and TextBugger recipe modules ->
     a SentenceEncoder subclass encoding with MiniLM, metric "cosine", threshold from
     chainaudit.resources.encoder.CALIBRATION: TextFooler's angular 0.840845057 -> textfooler_window (0.823),
     TextBugger's 0.8 (angular, the class's default metric) -> textbugger (0.674); window_size,
     skip_text_shorter_than_window and compare_against_original as the recipe passes them.
  S6 Word vectors (TextAttack's paragramcf counter-fitted embedding, WordSwapEmbedding and WordEmbeddingDistance
     in TextFooler, TextBugger, HotFlip) -> chainaudit.resources.word_vectors.load_word_vectors(None) (the fallback:
     words + unit-normalised matrix) as a textattack.shared.WordEmbedding, put where
     `WordEmbedding.counterfitted_GLOVE_embedding()` looks first (utils.GLOBAL_OBJECTS), so it never downloads.
     Its nn_matrix (the file paragramcf ships precomputed; TextAttack's on-the-fly fallback is broken: it slices
     the topk tuple) is computed here: each word's 100 nearest by cosine (= Euclidean order on unit vectors), the
     word itself first; cached in $PEERS_CACHE (default /work/peers/cache) by the vectors' sha256. OpenAttack's four
     attackers use no word vectors (their default substitute is WordNet).
Patches (no tool code is edited on disk; all are applied in this process):
  P1 `nltk.download` -> a no-op returning True (WordSwapWordNet calls nltk.download("omw-1.4") in __init__; this
     machine cannot reach NLTK's server).
  P2 OpenAttack `DataManager.load` -> returns the substitutes S1-S3 for their names; any other name raises
     (nothing else is needed by the four attackers; no download is ever attempted).
  P3 `OpenAttack.attackers.textfooler.UniversalSentenceEncoder` -> the MiniLM metric (S5).
  P4 `textattack.attack_recipes.{textfooler_jin_2019,textbugger_li_2018}.UniversalSentenceEncoder` -> the MiniLM
     encoder (S5).
  P5 `nltk.pos_tag`, `nltk.corpus.wordnet`, `nltk.corpus.stopwords` (S1, S2, S4), and
     `word_swap_wordnet.wordnet` (S1).
  HF_HUB_OFFLINE=1 and TRANSFORMERS_OFFLINE=1 are set before anything imports huggingface_hub.

TextAttack's HotFlip (hotflip_ebrahimi_2017) cannot run on this victim: WordSwapGradientBased.__init__ calls
textattack.shared.validators.validate_model_gradient_word_swap_compatibility, which accepts only TextAttack's own
LSTMForClassification and raises ValueError for every other model, HuggingFace BERT included (its gradient is
per word, and a subword tokenizer breaks the word <-> token alignment it assumes; HF tokenizers also lack the
`convert_id_to_word` it calls). The recipe's build error is written as every sample's `error` outcome.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("CHAINAUDIT_DATA_DIR", "/work/shared/data/datasets")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

VICTIM = Path(os.environ.get("PARITY_VICTIM", "/work/main/runs/demo/models/minilm-sst2"))
MAX_LENGTH = 128
TOOLS = ("openattack", "textattack")
RECIPES = ("pwws", "textfooler", "textbugger", "hotflip", "hotflip-blackbox")
DEFAULT_SEED = 765
#: Bumped whenever a substitution or patch below changes what a peer computes (part of the cache key).
PATCH_VERSION = 1
NN_K = 100
PEERS_CACHE = Path(os.environ.get("PEERS_CACHE", "/work/peers/cache"))


# ---------------------------------------------------------------------------------------------- shared resources
# (chainaudit only: importable from chainaudit's venv too, where attack_parity.py computes the same digest)

def resources_identity() -> dict[str, object]:
    """What the substituted resources are: each file's sha256 (or the value itself) and this file's patch version."""
    from chainaudit.files import sha256_file
    from chainaudit.resources import encoder, pos, stopwords, wordnet
    from chainaudit.resources.word_vectors import load_word_vectors

    vectors = load_word_vectors(None)
    weights = sorted(encoder.model_path().glob("*.safetensors"))
    return {
        "patch_version": PATCH_VERSION,
        "wordnet": wordnet.find_wordnet().sha256(),
        "pos_lexicon": sha256_file(pos.lexicon_path()),
        "stop_words": hashlib.sha256(" ".join(sorted(stopwords.STOP_WORDS)).encode()).hexdigest(),
        "encoder": [sha256_file(p) for p in weights],
        "calibration": dict(encoder.CALIBRATION),
        "word_vectors": vectors.sha256 or vectors.source,
        "victim": sha256_file(VICTIM / "model.safetensors") if (VICTIM / "model.safetensors").exists() else None,
        "max_length": MAX_LENGTH,
    }


def resources_digest() -> str:
    return hashlib.sha256(json.dumps(resources_identity(), sort_keys=True).encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------- substitutions

class _StopWordsReader:
    """Stands in for `nltk.corpus.stopwords` (S4): words(...) is chainaudit's STOP_WORDS, whatever the language."""

    def __init__(self, words: frozenset[str]) -> None:
        self._words = sorted(words)

    def words(self, fileids: object = None) -> list[str]:
        return list(self._words)

    def fileids(self) -> list[str]:
        return ["english"]


def _penn_pairs(tokens: list[str]) -> list[tuple[str, str]]:
    """OpenAttack's tagger signature: tokens -> [(token, Penn tag)] (S2)."""
    from chainaudit.resources.pos import penn_tag

    tokens = list(tokens)
    return list(zip(tokens, penn_tag(tokens), strict=True))


def _nltk_pos_tag(tokens, tagset=None, lang="eng"):
    """`nltk.pos_tag` over chainaudit's tagger (S2); tagset "universal" via the en-ptb -> universal table."""
    from chainaudit.resources.pos import to_universal

    pairs = _penn_pairs(list(tokens))
    if tagset == "universal":
        return [(w, to_universal(t)) for w, t in pairs]
    return pairs


def _no_download(*args, **kwargs) -> bool:  # P1
    return True


def patch_nltk() -> None:
    """P1, P5: nltk.download, nltk.pos_tag, nltk.corpus.wordnet, nltk.corpus.stopwords (before importing a tool)."""
    import nltk
    import nltk.corpus

    from chainaudit.resources.stopwords import STOP_WORDS
    from chainaudit.resources.wordnet import get_wordnet

    nltk.download = _no_download
    nltk.pos_tag = _nltk_pos_tag
    nltk.tag.pos_tag = _nltk_pos_tag
    nltk.corpus.wordnet = get_wordnet()
    nltk.corpus.stopwords = _StopWordsReader(STOP_WORDS)


def patch_openattack() -> None:
    """P2, P3."""
    import nltk
    import OpenAttack
    import OpenAttack.attackers.textfooler as oa_textfooler
    from OpenAttack.tags import TAG_English

    from chainaudit.resources.encoder import get_encoder
    from chainaudit.resources.wordnet import get_wordnet

    substitutes = {
        "TProcess.NLTKWordNet": get_wordnet,
        "TProcess.NLTKPerceptronPosTagger": lambda: _penn_pairs,
        "TProcess.NLTKSentTokenizer": lambda: nltk.tokenize.PunktSentenceTokenizer().tokenize,
    }
    loaded: dict[str, object] = {}

    def load(cls, data_name: str, cached: bool = True):
        if data_name not in substitutes:
            raise RuntimeError(f"run_peer: OpenAttack asked for {data_name!r}, which has no offline substitute")
        if data_name not in loaded:
            loaded[data_name] = substitutes[data_name]()
        return loaded[data_name]

    OpenAttack.DataManager.load = classmethod(load)
    OpenAttack.load = OpenAttack.DataManager.load

    class MiniLMSimilarity:
        """OpenAttack's UniversalSentenceEncoder metric interface (calc_score: cosine) on MiniLM (S5)."""

        NAME = "Semantic Similarity"
        TAGS = frozenset({TAG_English})

        def __init__(self) -> None:
            self.encoder = get_encoder()

        def calc_score(self, sent_a: str, sent_b: str) -> float:
            return float(self.encoder.similarity([sent_a], [sent_b])[0])

        def after_attack(self, input, adversarial_sample):
            if adversarial_sample is not None:
                return self.calc_score(input["x"], adversarial_sample)
            return None

    oa_textfooler.UniversalSentenceEncoder = MiniLMSimilarity


def _nn_matrix(vectors, sha: str):
    """Each word's NN_K nearest by cosine, itself first (TextAttack's paragramcf nn.npy layout), cached."""
    import numpy as np
    import torch

    path = PEERS_CACHE / f"nn-{sha[:16]}-{NN_K}.npy"
    if path.exists():
        return np.load(path)
    mat = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
    out = np.empty((len(mat), NN_K + 1), dtype=np.int64)
    for start in range(0, len(mat), 2048):
        sims = mat[start:start + 2048] @ mat.T
        rows = torch.arange(start, min(start + 2048, len(mat)))
        sims[rows - start, rows] = float("inf")  # the word itself first, as in nn.npy
        out[start:start + len(rows)] = sims.topk(NN_K + 1, dim=1).indices.numpy()
    PEERS_CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def patch_textattack() -> None:
    """S6 and P4 (P1/P5 must already be in place: `patch_nltk` runs before `import textattack`)."""
    import numpy as np
    import textattack
    import textattack.attack_recipes.textbugger_li_2018 as ta_textbugger
    import textattack.attack_recipes.textfooler_jin_2019 as ta_textfooler
    import textattack.transformations.word_swaps.word_swap_wordnet as ta_wordnet
    from textattack.constraints.semantics.sentence_encoders import SentenceEncoder
    from textattack.shared import WordEmbedding

    from chainaudit.resources.encoder import CALIBRATION, get_encoder
    from chainaudit.resources.word_vectors import load_word_vectors
    from chainaudit.resources.wordnet import get_wordnet

    ta_wordnet.wordnet = get_wordnet()

    vectors = load_word_vectors(None)
    words = list(vectors.words)
    embedding = WordEmbedding(np.asarray(vectors.vectors), {w: i for i, w in enumerate(words)},
                              dict(enumerate(words)), _nn_matrix(vectors.vectors, vectors.sha256 or vectors.source))
    textattack.shared.utils.GLOBAL_OBJECTS["textattack_counterfitted_GLOVE_embedding"] = embedding

    class _Model:
        def encode(self, sentences):
            return get_encoder().encode(list(sentences))

    class MiniLMForUSE(SentenceEncoder):
        """TextAttack's UniversalSentenceEncoder on MiniLM, cosine, calibrated threshold (S5)."""

        def __init__(self, threshold=0.8, large=False, metric="angular", **kwargs):
            name = "textfooler_window" if abs(threshold - 0.840845057) < 1e-6 else "textbugger"
            if abs(threshold - 0.840845057) >= 1e-6 and abs(threshold - 0.8) >= 1e-6:
                raise ValueError(f"run_peer: no calibrated MiniLM threshold for USE threshold {threshold}")
            super().__init__(threshold=float(CALIBRATION[name]), metric="cosine", **kwargs)
            self.use_threshold, self.use_metric = threshold, metric
            self.model = _Model()

        def encode(self, sentences):
            return self.model.encode(sentences)

    ta_textfooler.UniversalSentenceEncoder = MiniLMForUSE
    ta_textbugger.UniversalSentenceEncoder = MiniLMForUSE


# ---------------------------------------------------------------------------------------------- victims, recipes

def load_model():
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(VICTIM))
    tokenizer.model_max_length = MAX_LENGTH
    model = transformers.AutoModelForSequenceClassification.from_pretrained(str(VICTIM))
    model.eval()
    model.to(torch.device("cpu"))
    return model, tokenizer


def build_openattack(recipe: str):
    """(attacker, victim) for OpenAttack: the attacker with all its defaults."""
    import OpenAttack
    import torch

    model, tokenizer = load_model()
    victim = OpenAttack.classifiers.TransformersClassifier(model, tokenizer, model.bert.embeddings.word_embeddings,
                                                           device=torch.device("cpu"), max_length=MAX_LENGTH)
    attackers = {"pwws": OpenAttack.attackers.PWWSAttacker, "textfooler": OpenAttack.attackers.TextFoolerAttacker,
                 "textbugger": OpenAttack.attackers.TextBuggerAttacker,
                 "hotflip": OpenAttack.attackers.HotFlipAttacker,
                 "hotflip-blackbox": OpenAttack.attackers.HotFlipAttacker}
    return attackers[recipe](), victim


def build_textattack(recipe: str):
    """(attack, wrapper) for TextAttack: the recipe's build() on HuggingFaceModelWrapper."""
    import textattack

    model, tokenizer = load_model()
    wrapper = textattack.models.wrappers.HuggingFaceModelWrapper(model, tokenizer)
    recipes = {"pwws": textattack.attack_recipes.PWWSRen2019,
               "textfooler": textattack.attack_recipes.TextFoolerJin2019,
               "textbugger": textattack.attack_recipes.TextBuggerLi2018,
               "hotflip": textattack.attack_recipes.HotFlipEbrahimi2017}
    if recipe not in recipes:
        raise ValueError(f"TextAttack 0.3.11 has no {recipe} recipe (its HotFlip is white-box: use `hotflip`)")
    return recipes[recipe].build(wrapper), wrapper


def install(tool: str) -> None:
    patch_nltk()
    if tool == "openattack":
        patch_openattack()
    else:
        import logging

        patch_textattack()
        logging.getLogger("textattack").setLevel(logging.WARNING)


# ---------------------------------------------------------------------------------------------- attacking

def _seed(seed: int) -> None:
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _message(exc: BaseException) -> str:
    """An exception as one short line (TextAttack's HotFlip error embeds the whole model's repr)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300]


def attack_openattack(attacker, victim, text: str, label: int) -> dict:
    start = time.perf_counter()
    pred = int(victim.get_pred([text])[0])  # outside any context: not counted; the attacker predicts again
    if pred != label:
        return {"outcome": "skipped", "original_pred": pred, "queries": 1,
                "seconds": time.perf_counter() - start}
    start = time.perf_counter()
    victim.set_context({"x": text}, None)
    try:
        adversarial = attacker(victim, {"x": text})
        queries = victim.context.invoke
    except Exception as exc:  # the attacker broke on this sample
        queries = victim.context.invoke
        return {"outcome": "error", "original_pred": pred, "queries": queries,
                "seconds": time.perf_counter() - start, "error": _message(exc)}
    finally:
        victim.clear_context()
    seconds = time.perf_counter() - start
    if adversarial is None:
        return {"outcome": "failed", "original_pred": pred, "queries": queries, "seconds": seconds}
    return {"outcome": "succeeded", "original_pred": pred, "adversarial": adversarial, "queries": queries,
            "perturbed_pred": int(victim.get_pred([adversarial])[0]), "seconds": seconds}


def attack_textattack(attack, text: str, label: int) -> dict:
    from textattack.attack_results import FailedAttackResult, SkippedAttackResult, SuccessfulAttackResult

    start = time.perf_counter()
    try:
        result = attack.attack(text, label)
    except Exception as exc:
        return {"outcome": "error", "seconds": time.perf_counter() - start, "error": _message(exc)}
    seconds = time.perf_counter() - start
    row = {"original_pred": int(result.original_result.output), "queries": int(result.num_queries),
           "seconds": seconds}
    if isinstance(result, SkippedAttackResult):
        return {**row, "outcome": "skipped"}
    if isinstance(result, SuccessfulAttackResult):
        return {**row, "outcome": "succeeded", "adversarial": result.perturbed_result.attacked_text.text,
                "perturbed_pred": int(result.perturbed_result.output)}
    if isinstance(result, FailedAttackResult):
        return {**row, "outcome": "failed"}
    return {**row, "outcome": "error", "error": f"unexpected result {type(result).__name__}"}


def load_samples(n: int, start: int = 0):
    from chainaudit.data import load_split

    return load_split("sst2", "validation").samples[start:start + n]


def _done_rows(out: Path) -> int:
    """Complete JSON lines already in `out` (a run killed mid-line leaves a partial last line: dropped)."""
    if not out.exists():
        return 0
    good = []
    for line in out.read_text(encoding="utf-8").splitlines():
        try:
            json.loads(line)
        except json.JSONDecodeError:
            break
        good.append(line)
    out.write_text("".join(f"{line}\n" for line in good), encoding="utf-8")
    return len(good)


def _warm_up(tool: str, recipe: str, predict) -> None:
    """Load what the attack loads lazily (the victim's first call, MiniLM), so sample 0's seconds are the attack's."""
    predict(["warm up"])
    if recipe in ("textfooler", "textbugger"):
        from chainaudit.resources.encoder import get_encoder

        get_encoder().encode(["warm up"])


def _replay_textfooler_quirk(attacker, victim, earlier) -> None:
    """OpenAttack's TextFoolerAttacker sets sim_score_threshold to 0.1 for good once it attacks a text shorter than
    its window. A run that starts (or resumes) at row k > 0 replays that state: the threshold is 0.1 if any earlier
    row this runner would have attacked (the model right on it) is shorter than the window, as in a run from row 0."""
    for sample in earlier:
        words = attacker.tokenizer.tokenize(sample.text.lower(), pos_tagging=False)
        if len(words) < attacker.sim_score_window and int(victim.get_pred([sample.text])[0]) == sample.label:
            attacker.sim_score_threshold = 0.1
            return


_SPLIT: dict[str, float] = {}


def install_time_split() -> None:
    """Count the seconds of every victim and sentence-encoder forward pass into `_SPLIT` (per row: `victim_s`,
    `encoder_s`), as benchmarks/flavor_time_split.py does on chainaudit's side: the forward passes a faithful
    reproduction must also make, so `seconds / (victim_s + encoder_s)` bounds the speed-up any reproduction on
    the same hardware can reach."""
    import transformers.models.bert.modeling_bert as bert

    from chainaudit.onnx_backend import OnnxModel
    from chainaudit.resources.encoder import get_encoder

    forward, onnx_call = bert.BertModel.forward, OnnxModel.__call__

    def encoder_modules() -> tuple[object, object]:
        enc = get_encoder()
        torch_model = enc.model[0].auto_model if enc._model is not None else None
        fast = getattr(enc, "_onnx", None)
        return torch_model, (fast.onnx if fast is not None else None)

    def timed(self, *a, **k):
        started = time.perf_counter()
        out = forward(self, *a, **k)
        side = "encoder_s" if self is encoder_modules()[0] else "victim_s"
        _SPLIT[side] = _SPLIT.get(side, 0.0) + time.perf_counter() - started
        return out

    def timed_onnx(self, inputs):
        started = time.perf_counter()
        out = onnx_call(self, inputs)
        side = "encoder_s" if self is encoder_modules()[1] else "victim_s"
        _SPLIT[side] = _SPLIT.get(side, 0.0) + time.perf_counter() - started
        return out

    bert.BertModel.forward, OnnxModel.__call__ = timed, timed_onnx


def run(tool: str, recipe: str, n: int, start: int, out: Path, seed: int, resume: bool = False,
        time_split: bool = False) -> None:
    install(tool)
    if time_split:
        install_time_split()
    digest = resources_digest()
    done = _done_rows(out) if resume else 0
    samples = load_samples(n - done, start + done)
    build_error = None
    try:
        if tool == "openattack":
            attacker, victim = build_openattack(recipe)
        else:
            attack, _ = build_textattack(recipe)
    except Exception as exc:
        build_error = _message(exc)
    if build_error is None and tool == "openattack" and recipe == "textfooler" and start + done > 0:
        _replay_textfooler_quirk(attacker, victim, load_samples(start + done, 0))
    if build_error is None:
        _warm_up(tool, recipe, victim.get_prob if tool == "openattack" else attack.goal_function.model)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a" if resume else "w", encoding="utf-8") as fh:
        for sample in samples:
            base = {"index": sample.index, "text": sample.text, "label": sample.label, "tool": tool,
                    "recipe": recipe, "resources": digest}
            if build_error is not None:
                row = {"outcome": "error", "queries": 0, "seconds": 0.0, "error": build_error}
            else:
                _seed(seed)
                _SPLIT.update(victim_s=0.0, encoder_s=0.0)
                if tool == "openattack":
                    row = attack_openattack(attacker, victim, sample.text, sample.label)
                else:
                    row = attack_textattack(attack, sample.text, sample.label)
            record = {**base, "outcome": row["outcome"], "adversarial": row.get("adversarial"),
                      "original_pred": row.get("original_pred"), "perturbed_pred": row.get("perturbed_pred"),
                      "queries": row.get("queries", 0), "seconds": round(row.get("seconds", 0.0), 4),
                      "error": row.get("error")}
            if time_split:
                record.update({k: round(v, 4) for k, v in _SPLIT.items()})
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()


def check() -> int:
    """Import both tools with the substitutes and build every recipe (the setup script's last step)."""
    ok = True
    for tool in TOOLS:
        install(tool)
        for recipe in ("pwws", "textfooler", "textbugger", "hotflip" if tool == "textattack" else "hotflip-blackbox"):
            try:
                (build_openattack if tool == "openattack" else build_textattack)(recipe)
                print(f"{tool:10} {recipe:16} builds")
            except Exception as exc:
                expected = tool == "textattack" and recipe == "hotflip"
                ok = ok and expected
                print(f"{tool:10} {recipe:16} {'does not build (expected)' if expected else 'FAILS'}: "
                      f"{_message(exc)[:160]}")
    print("resources digest", resources_digest())
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", choices=TOOLS)
    parser.add_argument("--recipe", choices=RECIPES)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--resume", action="store_true", help="keep the rows already in --out and attack the rest")
    parser.add_argument("--time-split", action="store_true",
                        help="add victim_s and encoder_s (seconds in those models' forward passes) to each row")
    parser.add_argument("--check", action="store_true", help="build every recipe of both tools and exit")
    parser.add_argument("--digest", action="store_true", help="print the substituted resources' digest and exit")
    args = parser.parse_args(argv)
    if args.digest:
        print(resources_digest())
        return 0
    if args.check:
        return check()
    if not (args.tool and args.recipe and args.out):
        parser.error("--tool, --recipe and --out are required")
    run(args.tool, args.recipe, args.n, args.start, args.out, args.seed, args.resume, args.time_split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
