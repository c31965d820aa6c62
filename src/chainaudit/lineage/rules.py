"""Upstream identification without an LLM: card metadata, Hub tags, card-text rules and name hints.

Each rule returns `Edge`s (child, parent, source, confidence, evidence, relation). Text rules look only at
the first `MAX_TEXT_CHARS` of the card and skip mentions that are not the upstream: comparisons, datasets,
distillation teachers, "see also" lists, tokenizers, the model itself.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from chainaudit.hub.card import as_str_list
from chainaudit.lineage.names import WELL_KNOWN, Ref, Resolver, clean_reference, family_checkpoint, well_known_by_words

MAX_TEXT_CHARS = 64 * 1024
MAX_PARENTS = 32
#: What an edge says about how `child` came from `parent` (graph.RELATIONS, the `--relation` filter, has the same).
RELATIONS = frozenset({"finetune", "adapter", "quantized", "merge", "distillation", "continued-pretraining",
                       "unknown"})
#: The values of the Hub's `base_model_relation` field (and of `base_model:<relation>:X` tags).
HUB_RELATIONS = frozenset({"finetune", "adapter", "quantized", "merge"})
SOURCES = ("metadata", "tag", "card-text", "llm", "name-hint")
#: `base_model` values that say there is none (a model trained from scratch, a template left unfilled).
NO_BASE = frozenset({"", "scratch", "from scratch", "none", "null", "n/a", "na", "-", "unknown", "[optional]"})


class Edge(NamedTuple):
    """`parent` is an upstream of `child` according to `source`; a tuple in `lineage_edges` column order."""

    child: str
    parent: str
    source: str
    confidence: float
    evidence: str
    relation: str = "unknown"

    def row(self) -> tuple[str, str, str, float, str, str]:
        return self.child, self.parent, self.source, self.confidence, self.evidence[:500], self.relation


# -- metadata and tags -----------------------------------------------------------------------------
def _relation(value: Any, n_parents: int) -> str:
    if isinstance(value, str) and value.strip().lower() in RELATIONS and value.strip().lower() != "unknown":
        return value.strip().lower()
    return "merge" if n_parents > 1 else "finetune"


def metadata_edges(child: str, card_data: dict[str, Any], resolver: Resolver, warnings: list[str]) -> list[Edge]:
    """Edges from card metadata `base_model` (a string or a list), relation from `base_model_relation`."""
    raw = card_data.get("base_model")
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in NO_BASE):
        return []
    if isinstance(raw, str) and "base_model_relation" not in card_data:  # the common case, kept fast
        ref = resolver.resolve(raw, loose=True)
        if ref is not None and ref.model_id != child:
            return [Edge(child, ref.model_id, "metadata", 1.0, f"base_model: {raw}"[:200], "finetune")]
    names = as_str_list(raw, "base_model", warnings)
    if len(names) > MAX_PARENTS:
        warnings.append(f"base_model lists {len(names)} models; kept the first {MAX_PARENTS}")
        names = names[:MAX_PARENTS]
    relation_raw = card_data.get("base_model_relation")
    if relation_raw is not None and _relation(relation_raw, 0) != str(relation_raw).strip().lower():
        warnings.append(f"base_model_relation {relation_raw!r:.40} is not one of {sorted(HUB_RELATIONS)}")
    edges: list[Edge] = []
    for name in names:
        if name.strip().lower() in NO_BASE:
            continue
        ref = resolver.resolve(name, loose=True)
        if ref is None:
            warnings.append(f"base_model {name!r:.80} is not a model id; ignored")
        elif ref.model_id == child:
            warnings.append("base_model names the model itself; ignored")
        else:
            edges.append(Edge(child, ref.model_id, "metadata", 1.0, f"base_model: {name}"[:200],
                              _relation(relation_raw, len(names))))
    return _unique(edges)


def tag_edges(child: str, tags: Iterable[str], resolver: Resolver, warnings: list[str]) -> list[Edge]:
    """Edges from Hub tags `base_model:X` and `base_model:<relation>:X`."""
    found: dict[str, Edge] = {}
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:"):]
        relation = "unknown"
        head, _, tail = rest.partition(":")
        if tail and head in HUB_RELATIONS:
            relation, rest = head, tail
        ref = resolver.resolve(rest, loose=True)
        if ref is None or ref.model_id == child:
            warnings.append(f"tag {tag!r:.80} does not name another model; ignored")
            continue
        old = found.get(ref.model_id)
        if old is None or old.relation == "unknown":
            found[ref.model_id] = Edge(child, ref.model_id, "tag", 0.95, tag[:200], relation)
    edges = list(found.values())
    if len(edges) > 1 and all(e.relation == "unknown" for e in edges):
        edges = [e._replace(relation="merge") for e in edges]
    return edges


def _unique(edges: list[Edge]) -> list[Edge]:
    first: dict[str, Edge] = {}
    for edge in edges:
        first.setdefault(edge.parent, edge)
    return list(first.values())


# -- card text -------------------------------------------------------------------------------------
# Patterns are lower case and run on the lower-cased card (no re.IGNORECASE, so the regex engine can skip
# ahead to a literal prefix); spans map back to the original text, whose case the references keep.
_REF = (r"(?:(?:\*\*|__)?(?=\[)\[(?P<label>[^\]\n]{1,200})\]\((?P<url>[^)\s]{0,400})\)"
        r"|`(?P<tick>[^`\n]{1,200})`"
        r"|\*\*(?P<bold>[^*\n]{1,200})\*\*"
        r"|(?P<bare>(?:https?://)?[a-z0-9][\w.\-]*(?:/[\w.\-@]+)*))")
#: `_REF` whose bare id is ASCII only, for languages that write a particle right onto it ("klue/roberta-base를").
_REF_ASCII = _REF.replace(r"(?P<bare>(?:https?://)?[a-z0-9][\w.\-]*(?:/[\w.\-@]+)*)",
                          r"(?P<bare>(?:https?://)?[a-z0-9][a-z0-9_.\-]*(?:/[a-z0-9_.\-@]+)*)")
_ART = r"(?:(?:the|a|an|our|its)\s+)?"
#: A maker named before the model, possessive, maybe as its own link ("[EleutherAI's](url) [Pythia-12b](url)").
_POSS = (r"(?:(?:\[[^\]\n]{1,40}(?:'s|\u2019s)\]\([^)\s]{1,200}\)|[\w.-]{1,30}(?:'s|\u2019s)|"
         r"(?:microsoft|google|meta|openai|facebook|alibaba|mistral\s*ai|hugging\s*face|eleutherai|deepseek|nvidia|"
         r"ibm|apple|tii)(?=\s+[\w`*\[]))\s+)?")
_ADJ = (r"(?:(?:pre-?trained|base|original|public(?:ly available)?|open[- ]source|multilingual|english|"
        r"large|small|model|checkpoint|weights?|version|"
        r"`?\d+(?:\.\d+)?[mb]`?(?:[ -]param(?:eter)?s?)?)\s+){0,3}")  # "the `33M` parameter X"
_VERBS = (r"(?:fine[- ]?tun(?:ed|ing)|finetun(?:ed|ing)|"
          r"(?:further|continued?|continual(?:ly)?|incremental(?:ly)?)[- ]?(?:pre-?)?train(?:ed|ing)|"
          r"pre-?trained|trained|initiali[sz](?:e|ed|ing)|warm[- ]?start(?:ed|ing)?|start(?:s|ed|ing)?|derived|"
          r"adapted|built|based|obtained|created|converted|quantized|quantised)")
_FROM = (r"(?:from(?:\s+model)?:?|on\s+top\s+of|atop|upon|off(?:\s+of)?|with\s+(?:the\s+)?weights\s+(?:from|of)|"
         # "a student initialised with the first 6 layers of roberta-base"
         r"with\s+(?:the\s+)?(?:(?:first|bottom|top|last|lower|upper)\s+)?(?:\d+|two|three|four|six|eight|twelve)\s+"
         r"layers\s+(?:from|of)|"
         r"using\s+(?:the\s+)?(?:weights|checkpoint)\s+of)")
#: "Base model" in the languages cards are written in besides English (Spanish/Portuguese, French, German, Chinese,
#: Japanese, Korean, Russian).
_BASE_NOUN = (r"modelo[ _-]+(?:original|base|de[ ]+base)|mod[eè]le[ _-]+(?:de[ ]+base|original|source)|"
              r"basismodell|ausgangsmodell|基础模型|基礎模型|基座模型|底座模型|原始模型|权重来源|"
              r"ベースモデル|元モデル|베이스[ ]?모델|기본[ ]?모델|базовая[ ]+модель|исходная[ ]+модель")
_FIELD = (r"(?:(?:base|upstream|parent|pre-?trained|original|source|starting|initial)[ _-]?"
          r"(?:models?|networks?|checkpoints?)|"
          r"backbone(?:[ _-]?models?)?|(?:(?<![\w ])|(?<=[-*+] ))base(?=[*_]*[ \t]*:)|" + _BASE_NOUN +
          # Chinese "pre-trained model:" (only as a field: as a heading it is the download list of a family)
          r"|(?:预训练|預訓練)模型(?=[*_ \t]*[:：])|(?:默认|默認)?基座(?=[*_ \t]*[:：])"
          r")(?:\s*\(s\))?(?:\s*\[optional\])?(?:[ \t]+used)?[*_\s]*(?:[:|=：]|\bis\b)[*_\s|:：]*"
          r"(?:```[\w-]*[ \t]*\n\s*)?")  # "Base model:" over a code block holding the id
#: After a model "we used" or "leveraged": what it did to the data ("to generate synthetic training data", "for
#: labelling"), which makes it a tool of the training, not the model's start.
_TOOL_AFTER = (r"(?![`*\])'\"]*\s+(?:to|for)\s+(?:generat|label|annotat|filter|evaluat|scor|judg|translat|synthesi|"
               r"paraphras|rewrit|clean|embed|encod|retriev|rank|rerank))")
#: The letters `_FIELD` can start with, as a look-ahead: the regex engine then rules out most positions of a
#: card with one character test instead of trying each of `_FIELD`'s alternatives there (this halves the time of
#: the costliest card-text rule; rules whose pattern starts with one literal are fast already).
_FIELD_FIRST = r"(?=[abimopsuбиベ元原基底权預预默기베])"
_BEFORE = re.compile(r"(?<![\w./-])" + _REF + r"[*_`]*\)?[*_`]*\s+(?:model\s+)?\Z")


class _Rule(NamedTuple):
    """A card-text rule. It runs only when `needles` occur in the lower-cased card. With `before`,
    `pattern` matches the words *after* the reference, which is then read right before them (this keeps
    the regex from trying a reference at every position). `weak` rules also need a Hub link or catalog hit."""

    name: str
    pattern: re.Pattern[str]
    confidence: float
    needles: tuple[str, ...]
    weak: bool = False
    before: bool = False
    relation: str = "finetune"


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("".join(parts))


def _any(*needles: str) -> tuple[str, ...]:
    """Literal words, one of which must occur in the lower-cased card for a rule to run. Checked with `in`:
    Python's substring search is about three times faster over a long card than one regex alternation."""
    return needles


#: Most confident first, but for "quantized version of X": a quantized copy's card often carries the original's
#: card below its own header, and that card's "Finetuned from model:" names the original's parent, not the copy's.
_RULES: list[_Rule] = [
    _Rule("quantized", _rx(r"(?:(?:model|weight)\s+files|quants?|quantizations?|quantized\s+(?:version|model|weights)|",
                           r"quantised\s+(?:version|model|weights)|conversion)\s+(?:of|for|from)\s+", _ART, _POSS, _ADJ,
                           _REF), 0.85, _any("files", "quant", "conversion"), relation="quantized"),
    _Rule("template", _rx(r"fine-?tuned\s+from\s+model(?:\s*\[optional\])?[*_\s]*:[*_\s]*", _REF), 0.9,
          _any("from model")),
    _Rule("trainer", _rx(r"fine[- ]?tuned\s+version\s+of\s+", _ART, _POSS, _ADJ, _REF), 0.9, _any("version of")),
    # "A finetune of mistralai/Mistral-7B-v0.1 on OpenHermes", "This is a fine-tune of [X](...)"
    _Rule("fine-tune-of", _rx(r"fine(?<![\w-]fine)-?tune\s+of\s+", _ART, _POSS, _ADJ, _REF), 0.8,
          _any("fine-tune of", "finetune of")),
    # the Trainer card's sentence in Portuguese, Spanish, French and German
    _Rule("trainer-translated", _rx(r"(?:vers[ãa]o\s+(?:ajustada|afinada|refinada)|",
                                    r"versi[óo]n\s+(?:ajustada|afinada|fine-?tune(?:ad[oa]|d))|",
                                    r"version\s+(?:affin[ée]e|ajust[ée]e)|feinabgestimmte\s+version)\s+",
                                    r"(?:do|da|de|del|von|of)\s+(?:la\s+|le\s+|l')?", _REF), 0.85,
          _any("vers")),
    # Korean: "[X](url) 모델을 fine-tuning하였습니다" (X, the model, fine-tuned)
    _Rule("korean-object", _rx(r"(?:(?:사전\s*학습\s*)?(?:언어\s*)?모델을|모델로|를|을)\s*",
                               r"(?:fine-?tun|finetun|파인\s*튜닝|미세\s*조정)"), 0.75,
          _any("모델", "를", "을"), before=True),
    # Korean and Japanese particles written onto the id: "klue/roberta-base를 미세 조정한 모델", "X를 기반으로",
    # "cl-tohoku/bert-base-japaneseをファインチューニング", "Xをベースに学習" (the id itself in ASCII letters)
    _Rule("korean-particle", _rx(r"(?<![a-z0-9_./-])", _REF_ASCII, r"[`*]*\s*(?:모델을|모델로|를|을)\s*",
                                 r"(?:fine-?tun\w*|finetun\w*|파인\s*튜닝|미세\s*조정|추가\s*학습|기반으로)",
                                 r"(?!\s*(?:에|용|을|를|의|데이터))"), 0.75,
          _any("를", "을", "모델로")),
    _Rule("japanese-particle", _rx(r"(?<![a-z0-9_./-])", _REF_ASCII, r"[`*]*\s*(?:を|から)\s*",
                                   r"(?:(?:ファインチューニング|ファインチューン|fine-?tun\w*|微調整|追加学習)",
                                   r"(?!\s*(?:に|用|の|データ))|",  # not "Xをファインチューニングに使用" (a dataset)
                                   r"(?:ベース|もと|元|基)(?:に|として)(?:して)?[^。\n]{0,40}?",
                                   r"(?:学習|ファインチューニング|微調整|チューニング))"), 0.75,
          _any("を", "から")),
    _Rule("japanese-continued", _rx(r"(?<![a-z0-9_./-])", _REF_ASCII,
                                    r"[`*]*\s*(?:を|から|に)\s*(?:継続|追加)事前学習"), 0.75,
          _any("事前学習"), relation="continued-pretraining"),
    # Turkish: "[X](...) modelinin ince ayarlı bir versiyonudur" (a fine-tuned version of the model X)
    _Rule("turkish-model-of", _rx(r"(?:modelinin|modelinden|modeli\s+üzerinde)\s+(?:[\w]+\s+)?ince\s+ayar"), 0.75,
          _any("ince ayar"), before=True),
    _Rule("checkpoint-of", _rx(r"(?:fine[- ]?tune[d]?|finetuned?)\s+(?:checkpoint|model)\s+of\s+", _ART, _POSS, _ADJ,
                               _REF), 0.85, _any("checkpoint of", "model of")),
    _Rule("base-heading", _rx(r"#{1,6}[ \t]*(?:the[ \t]+)?(?:(?:base|original|parent|foundation|upstream)[ \t]+model|",
                              # "## Pre-trained BERT model" over one link (not "Pre-trained models": a download list)
                              r"pre-?trained[ \t]+(?:[\w-]+[ \t]+)?model|",
                              _BASE_NOUN, r")[ \t]*:?[ \t]*\n(?:[ \t]*\n){0,3}(?:[ \t]*```[\w-]*[ \t]*\n)?",
                              r"[ \t]*(?:[-*+][ \t]+)?", _REF), 0.85,
          _any("model", "modèle", "modell", "模型", "权重", "モデル", "모델", "модель")),
    _Rule("model-field", _rx(_FIELD_FIRST, _FIELD, _ART, _REF), 0.85,
          _any("model", "backbone", "network", "checkpoint", "modèle", "modell", "模型", "权重", "モデル", "모델",
               "модель", "base", "基座")),
    # a distilled model's student named as such ("fine-tune a smaller student model, X"; "from T (teacher) to S
    # (student)"): the student's starting checkpoint is the parent, the teacher only supervises
    _Rule("student", _rx(r"student[ _-]?(?:model|network|checkpoint)(?:[ _-]?(?:name(?:[ _-]?or[ _-]?path)?|id))?",
                         r"['\"]?\s*(?:[,:=]|\bis\b|\bwas\b)\s*['\"]?", _ART, _REF), 0.7,
          _any("student"), relation="distillation"),
    # "the student is initialized from X", "we initialise the student from X" (a teacher named nearby is no parent)
    _Rule("student-init-from", _rx(r"(?:student(?:\s+model)?\s+(?:is|was|has\s+been)\s+",
                                   r"(?:initiali[sz]ed|warm[- ]started)|",
                                   r"initiali[sz]e[sd]?\s+(?:the|our|a)\s+student(?:\s+model)?)\s+(?:from|with)\s+",
                                   _ART, _ADJ, _REF), 0.7, _any("student"), relation="distillation"),
    # "distilled from X, starting from Y" / "We distill [X](...) into [Y](...)": Y, the student's start
    _Rule("student-start", _rx(r"distil(?:l|ls|led|ling)?\s+(?:from\s+)?(?:[^\n.]|\.(?!\s)){1,200}?,?\s+",
                               r"(?:(?:starting|initiali[sz]ed|initiali[sz]ing|warm[- ]started)\s+(?:from|with)|",
                               r"into)\s+",
                               _ART, _ADJ, _REF), 0.7,
          _any("distil"), relation="distillation"),
    # a training config's "- **Student:** Llama-3.2-3B-Instruct"
    _Rule("student-field", _rx(r"student(?<![\w-]student)[*_]*[ \t]*[:=\uff1a][ \t]*[*_]*[ \t]*", _ART, _REF), 0.7,
          _any("student"), relation="distillation"),
    _Rule("student-after", _rx(r"(?:\(student(?:\s+model)?\)|as\s+(?:the\s+|a\s+)?student\b)"), 0.7,
          _any("(student", "as student", "as the student", "as a student"), before=True, relation="distillation"),
    # "obtained by pruning X", "a pruned version of X": the weights are X's, cut down
    _Rule("pruned", _rx(r"(?:by\s+pruning|pruned\s+(?:version\s+)?(?:of|from))\s+", _ART, _POSS, _ADJ, _REF), 0.75,
          _any("prun"), relation="unknown"),
    # "Converted model for GPTQ from X", "quantized to GGUF from X"
    # "... converted to OpenVINO from X using optimum-intel" ("quantized using <tool> from X" is not taken: on the
    # labelled cards it turned one right answer wrong and fixed none)
    _Rule("converted-for", _rx(r"(?:converted|quanti[sz]ed)\s+(?:model\s+)?(?:for|to|into)\s+\**",
                               r"(?:gguf|gptq|awq|exl2|ggml|mlx|onnx|openvino|core\s?ml|tensorrt|tflite|ctranslate2|ct2)",
                               r"\**\s+(?:ir\s+)?(?:format\s+)?from\s+", _ART, _REF), 0.8,
          _any("converted", "quantized", "quantised"), relation="quantized"),
    # "TorchScript model of X", "the FP8 version of X": the same weights in another format or number type
    _Rule("format-of", _rx(r"(?:torchscript|onnx|openvino|core\s?ml|tflite|tensorrt|gguf|gptq|awq|exl2|ggml|mlx|fp8|",
                           r"fp16|bf16|int[48]|[48]-?bit)\**\s+(?:model|version|export|weights|copy|conversion|",
                           r"checkpoint|quants?|build)\s+of\s+", _ART, _POSS, _ADJ, _REF), 0.8,
          _any("model of", "version of", "export of", "weights of", "copy of", "conversion of", "checkpoint of",
               "quant of", "quants of", "build of"), relation="quantized"),
    # "the Phi-3 Mini model in GGUF format"
    _Rule("in-format", _rx(r"in\s+(?:the\s+)?\**(?:gguf|gptq|awq|exl2|ggml|mlx|onnx)\**\s+format"), 0.7,
          _any("format"), before=True, relation="quantized"),
    # the SetFit library's card: "This SetFit model uses [X](...) as the Sentence Transformer embedding model"
    _Rule("setfit", _rx(r"uses\s+", _ART, _REF, r"\s+as\s+the\s+sentence\s+transformer\s+embedding\s+model"), 0.9,
          _any("sentence transformer")),
    _Rule("setfit-body", _rx(r"sentence\s+transformer\s+body[*_\s]*:[*_\s]*", _REF), 0.9, _any("transformer body")),
    _Rule("is-a", _rx(r"(?:model|it)\s+is\s+an?\s+\*{0,2}", _REF, r"\*{0,2}\s+(?:model|checkpoint)\s+(?:that|which)\s+",
                      r"(?:was|has\s+been|is)\s+(?:further\s+|then\s+)?(?:fine[- ]?tuned|finetuned|trained)\b"), 0.8,
          _any(" is a")),
    _Rule("copy-of", _rx(r"(?:fork|copy|mirror|re-?upload|backup)\s+of\s+", _ART, _ADJ, r"(?:of\s+)?", _REF), 0.75,
          _any("fork of", "copy of", "mirror of", "upload of", "backup of"), relation="unknown"),
    # "continues the pre-training of roberta-base on legal text"
    _Rule("continues-pretraining-of", _rx(r"continu(?:e|es|ed|ing)\s+(?:the\s+)?(?:pre-?training|training)\s+of\s+",
                                          _ART, _POSS, _REF), 0.75, _any("training of"),
          relation="continued-pretraining"),
    # "We use `camembert-base` and fine-tune it on Allociné"; "this model is `X` further fine-tuned on reviews"
    _Rule("use-and-tune", _rx(r"(?:we|i|(?:this|the)\s+model)\s+(?:use|uses|used|take|takes|took|start\s+with|",
                              r"starts\s+with|started\s+with)\s+", _ART, _POSS, _ADJ,
                              _REF, r"[`*]*(?:\s+(?:model|checkpoint))?\s*,?\s+and\s+(?:then\s+)?",
                              r"(?:fine[- ]?tune[ds]?|finetune[ds]?|(?:pre-?)?train(?:ed|s)?)\s+",
                              r"(?:it\b|an?\s+(?:[\w-]+\s+){0,3}head\b)"),
          0.7, _any("and fine", "and finetune", "and train", "and then fine", "and then train", "and pretrain",
                    "and pre-train", "and then pretrain", "and then pre-train")),
    _Rule("is-further-tuned", _rx(r"(?:model|it|checkpoint)\s+is\s+", _REF,
                                  r"[`*]*\s*,?\s+(?:further|additionally)\s+",
                                  r"(?:fine[- ]?tuned|finetuned|trained|pre-?trained)\b"), 0.75,
          _any("further fine", "further train", "further pre", "additionally fine", "additionally train")),
    _Rule("extended", _rx(r"(?:extended|extension)\s+(?:version\s+)?of\s+", _ART, _ADJ, _REF), 0.7, _any("exten"),
          relation="continued-pretraining"),
    # "We just copy alternating layers from `bart-large-mnli` and finetune more": a student made of the model's layers
    _Rule("layers-from", _rx(r"(?:cop(?:y|ies|ied|ying)|tak(?:e|es|en|ing)|took)\s+(?:(?:the|every|other|alternat\w*|",
                             r"first|last|top|bottom|\d+|of)\s+){0,3}layers\s+(?:from|of)\s+", _ART, _ADJ, _REF), 0.7,
          _any("layers from", "layers of"), relation="distillation"),
    # "We extended the vocabulary of [X] with Korean tokens and continued pre-training"
    _Rule("vocabulary-of", _rx(r"(?:extend|expand|enlarg)(?:ed|ing|s|es)?\s+(?:the\s+)?vocabulary\s+of\s+", _ART, _ADJ,
                               _REF), 0.7, _any("vocabulary of"), relation="continued-pretraining"),
    # "This model is [roberta-base](...) with continued pretraining on PubMed"
    _Rule("is-with-pretraining", _rx(r"(?:model|it)\s+is\s+", _ART, _REF, r"[`*]*\s+(?:with|after)\s+(?:(?:continued|"
                                     r"further|additional|domain[- ]adaptive)\s+pre-?training|further\s+training)"),
          0.7, _any("pretraining", "pre-training", "further training"), relation="continued-pretraining"),
    # `--base_model X`, `base_model_name = "X"`, `ROUTER_BASE_MODEL = "X"` (not `database_model`)
    _Rule("base-argument", _rx(r"(?:--base|base(?<![a-z0-9]base))[_-]?model",
                               r"(?:[_-]?(?:name(?:[_-]?or[_-]?path)?|id|path))?",
                               r"(?:['\"]?\s*[=:]?\s*['\"]|(?<=[a-z])[ \t]+(?=[a-z0-9]))", _REF), 0.75,
          _any("base_model", "base-model", "basemodel")),
    # "a LoRA adapter for `X`", "SFT pipeline for X": the adapter's or the tuning's base
    _Rule("adapter-for", _rx(r"(?:q?lora|peft)(?:[ \t]+(?:adapters?|weights|checkpoints?))?[ \t]+(?:for|on|of)[ \t]+",
                             _ART, _REF), 0.7, _any("lora", "peft"), relation="adapter"),
    _Rule("tuning-for", _rx(r"(?:sft|fine-?tuning|finetuning)[ \t]+(?:pipeline|recipe|script|code)[ \t]+for[ \t]+",
                            _ART, _REF), 0.7, _any("sft", "tuning")),
    # "[X](url) for sequence classification": X loaded with a classification head, the classifier's base
    _Rule("for-classification", _rx(r"for\s+(?:sequence|token|text)\s+classification\b"), 0.6,
          _any("classification"), before=True),
    # "Fine-tuned model: `X` on AIHub data": X, tuned on the data, is the base of what the card serves
    _Rule("tuned-model-on", _rx(r"fine-?tuned\s+model\s*:\s*", _REF, r"[`*]*\s+on\s"), 0.6, _any("tuned model")),
    # "LoRA fine-tuning of `X` for culinary terms"
    _Rule("tuning-of", _rx(r"(?:fine-?tuning|finetuning|instruction[ -]tuning)\s+of\s+", _ART, _POSS, _REF), 0.7,
          _any("tuning of")),
    # "Domain-adaptive pretraining of roberta-base on biomedical papers" (not "Pre-training of Deep ... Transformers")
    _Rule("pretraining-of", _rx(r"(?:domain[- ]adaptive|continued|continual|further|additional)\s+",
                                r"pre-?training\s+of\s+", _ART, _POSS, _REF), 0.7, _any("training of"),
          relation="continued-pretraining"),
    # "Domain adaptation of [X] to financial text", "MLM training on top of `X`", "We adapt `X` to the legal domain"
    _Rule("domain-adaptation-of", _rx(r"(?:domain[- ]adaptation|(?:mlm|masked\s+language\s+model(?:l?ing)?)\s+",
                                      r"(?:training|pre-?training))\s+(?:of|on\s+top\s+of|from|starting\s+from)\s+",
                                      _ART, _POSS, _REF), 0.7, _any("adaptation of", "training of", "training on top",
                                                                    "training from", "training starting"),
          relation="continued-pretraining"),
    _Rule("adapt-to", _rx(r"adapt(?<![\w-]adapt)(?:s|ed|ing)?\s+", _ART, _ADJ, _REF,
                          r"[`*]*\s+to\s+(?:the\s+)?[\w-]+\s+(?:domain|language|languages|text|texts)\b"), 0.7,
          _any("adapt")),
    # "aims to add Vietnamese language capabilities and knowledge to [SmolLM 360M](...)", "adds tool-use support to X"
    _Rule("adds-to", _rx(r"add(?<![\w-]add)(?:s|ed|ing)?\s+(?:[\w-]+\s+){0,4}?(?:capabilit(?:y|ies)|knowledge|",
                         r"support|abilit(?:y|ies)|skills)\s+(?:and\s+[\w-]+\s+)?to\s+", _ART, _ADJ, _REF), 0.65,
          _any("capabilities to", "capability to", "knowledge to", "support to", "abilities to", "ability to",
               "skills to")),
    # "The weights were taken from `bert-base-chinese`" (weights, so not "this description was taken from")
    _Rule("weights-from", _rx(r"(?:(?:weights|parameters|checkpoint)\s+(?:were|was|are|is|have\s+been|has\s+been)\s+",
                              r"(?:taken|copied|loaded|transferred|ported)|",
                              r"us(?:e|es|ed|ing)\s+(?:the\s+)?(?:pre-?trained\s+)?weights)\s+from\s+", _ART, _ADJ,
                              _REF), 0.7,
          _any("taken from", "copied from", "loaded from", "transferred from", "ported from", "weights from")),
    # a training command's `--model_name_or_path X` (the Hugging Face example scripts): the model it starts from
    _Rule("model-argument", _rx(r"model[_-]name[_-]or[_-]path['\"]?(?:[ \t]*[=:][ \t]*|[ \t]+)['\"]?", _REF), 0.65,
          _any("model_name_or_path", "model-name-or-path")),
    # "an instruction-tuned version of X", "a DPO-aligned version of X", "a chat-tuned variant of X" (not
    # "a pre-trained version of BERT for Spanish": a model of its own)
    _Rule("tuned-version-of", _rx(r"(?<![\w-])(?:(?:instruction|instruct|chat|sft|dpo|rlhf|orpo|kto|preference|",
                                  r"safety|domain|task|further|re|fine)[- ]?(?:tuned|aligned|trained)|aligned)\s+",
                                  r"(?:version|variant)",
                                  r"\s+of\s+", _ART, _POSS, _ADJ, _REF), 0.8, _any("version of", "variant of")),
    _Rule("version-of", _rx(r"version\s+of\s+", _ART, _ADJ, _REF, r"\)?,?\s+(?:(?:that|which)\s+",
                            r"(?:was|has\s+been|is)\s+)?(?:fine[- ]?tuned|finetuned|trained|adapted)"), 0.8,
          _any("version of")),
    _Rule("verb-from", _rx(_VERBS, r"\s+(?:it\s+|(?:our|the|this|its|their)\s+(?:own\s+)?(?:[\w-]+\s+)?",
                           r"(?:model|encoder|network|classifier|backbone|student)\s+)?", _FROM, r"\s+", _ART, _ADJ,
                           r"(?:(?:of|from)\s+)?", _ART, _POSS, _REF),
          0.75, _any("from", "top of", "atop", "upon", "off", "weights of", "checkpoint of", "layers of")),
    # "The encoder is initialised with `xlm-roberta-large` weights", "initialized with X" (not "with random weights")
    _Rule("init-with", _rx(r"initiali[sz](?:e|es|ed|ing)\s+(?:it\s+|them\s+)?with\s+(?:the\s+)?(?:pre-?trained\s+)?",
                           _REF), 0.7, _any("with")),
    # "a classifier built using `bert-base-uncased`" (its own rule: a verb-from match would swallow the words)
    _Rule("built-using", _rx(r"(?:(?:built|fine[- ]?tuned|finetuned|trained)\s+using|",
                             r"(?:fine[- ]?tuned|finetuned)\s+with)\s+", _ART, _ADJ, _REF), 0.7,
          _any("using", "tuned with")),
    # "the model utilizes "bert-base-cased,"", "Leverages `bert-base-cased` for contextual understanding"
    _Rule("leverages", _rx(r"(?:utili[sz](?:e|es|ed|ing)|leverag(?:e|es|ed|ing)|employ(?:s|ed|ing)?)\s+", _ART, _ADJ,
                           r"[\"']?", _REF, _TOOL_AFTER), 0.55, _any("utili", "leverag", "employ")),
    # "(we use the bert-base-chinese checkpoint)": a checkpoint or its weights, used, is where training started
    _Rule("use-checkpoint", _rx(r"(?<![\w-])(?:i|we)\s+(?:use|used|start\s+from|started\s+from)\s+(?:the\s+)?",
                                _REF, r"[`*]*\s+(?:pre-?trained\s+)?(?:checkpoint|weights)\b"), 0.7,
          _any("we use", "i use", "we start", "i start")),
    # "I used Bert model(microsoft/BiomedNLP-PubMedBERT-...)", "We used `bert-base-uncased`" (a person's own words)
    _Rule("we-used", _rx(r"(?<![\w-])(?:i|we)\s+(?:have\s+)?(?:used|chose|selected|picked)\s+", _ART, _POSS, _ADJ,
                         r"(?:[\w.-]+\s*(?:model\s*)?\(\s*)?", _REF, _TOOL_AFTER), 0.55,
          _any("i used", "we used", "have used", "i chose", "we chose", "i selected", "we selected", "i picked",
               "we picked")),
    _Rule("passive", _rx(r"(?:was|were|is|are|has\s+been|have\s+been)\s+",
                         r"(?:further\s+|then\s+|continually\s+)?",
                         r"(?:fine[- ]?tuned|finetuned|further\s+(?:pre-?)?trained)",
                         r"\s+(?:on|with|using|for)\b"), 0.65, _any("tuned", "further"), before=True),
    _Rule("verb-object", _rx(r"(?:fine[- ]?tun(?:e|es|ed|ing)|finetun(?:e|es|ed|ing)|",
                             r"pre-?train(?:ed|ing)|train(?:ed|ing))\s+", _ART, _POSS, _ADJ,
                             r"(?:[\w.-]+\s+\()?", _REF,
                             r"(?=\)?(?:\s+(?:[a-z-]+\s+){0,2}(?:model|classifier|checkpoint))?\**\s+",
                             r"(?:on|for|with|using|via|through|to|into)\b|",
                             # a list step "3. Fine-tune a pretrained model (`X`)" ends the line
                             r"(?<=[)`])\)?[ \t]*(?:\n|$))"), 0.7, _any("tun", "train")),
    # "X as the backbone", "X (url) was taken as a predictive model"
    _Rule("as-backbone", _rx(r"(?:(?:was|were|is|are)\s+(?:taken|chosen|selected|picked|used)\s+as|serve[sd]?\s+as|",
                             r"as|is)\s+", _ART,
                             r"(?:backbone|base\s+model|starting\s+(?:point|checkpoint)|initial\s+checkpoint|",
                             r"initiali[sz]ation|pre-?trained\s+model|",
                             r"(?<=as a )predictive\s+model|underlying\s+model)\b"), 0.7,
          _any("backbone", "starting point", "starting checkpoint", "initial checkpoint", "initiali", "base model",
               "trained model", "predictive model", "underlying model"), before=True),
    _Rule("based-on", _rx(r"(?:based|built)\s+(?:up)?on\s+", _ART, _POSS, _ADJ, _REF), 0.7,
          _any("based on", "built on", "based upon", "built upon")),
    # "Transfer learning from `google/vit-base-patch16-224-in21k` on CIFAR-10"
    _Rule("transfer-from", _rx(r"transfer(?:red)?[- ]learn(?:ing|ed|t)\s+(?:from|with|using)\s+", _ART, _ADJ, _REF),
          0.7, _any("transfer learn", "transfer-learn", "transferred learn")),
    # "based on X" / "fine-tuned from X" / "initialised from the weights of X" in Spanish, Portuguese, French,
    # German, Italian, Vietnamese, Indonesian and Russian (never "trained on": there a dataset follows)
    _Rule("based-on-translated", _rx(
        r"(?:basad[oa]\s+en|basead[oa]\s+(?:n[oa]|em)|bas[ée]e?\s+sur|basiert\s+auf|basierend\s+auf|",
        r"auf\s+(?:der\s+)?basis\s+(?:von|des)|basat[oa]\s+su|",
        r"(?:ajustad[oa]|afinad[oa]|entrenad[oa]|treinad[oa]|refinad[oa])\s+a\s+partir\s+d(?:el|e|o|a)|",
        r"(?:affin[ée]e?|entra[îi]n[ée]e?|ajust[ée]e?)\s+(?:à|a)\s+partir\s+d[eu]|",
        r"dựa\s+trên|khởi\s+tạo\s+từ(?:\s+trọng\s+số)?|tinh\s+chỉnh\s+từ|",
        r"berbasis|berdasarkan|(?:di-?)?fine-?tun(?:e|ing)\s+dari|",
        r"на\s+основе|на\s+базе|дообучен(?:н?ая|н?ой)?(?:\s+верси(?:я|и|ей|ю))?|",
        r"dostrojon[aey]\s+wersj[aię]|wersj[aię]\s+dostrojon[aey])\s+", _ART, _POSS, _ADJ, _REF), 0.7,
        _any("basad", "basead", "basé", "basee", "basiert", "basierend", "basis", "basat", "partir", "dựa", "khởi",
             "tinh chỉnh", "berbasis", "berdasarkan", "dari", "основе", "базе", "дообуч", "dostrojon")),
    _Rule("postfix", _rx(r"(?:fine[- ]?tuned|finetuned)\s+(?:on|for|with)\b"), 0.65, _any("tuned"), before=True),
    # "## cardiffnlp/twitter-roberta-base-sentiment-latest base fine tuned model": a model fine-tuned from X
    _Rule("fine-tuned-model-after", _rx(r"(?:based?\s+)?(?:fine[- ]?tuned|finetuned)\s+model\b"), 0.6,
          _any("tuned model"), before=True),
    _Rule("verb-on", _rx(r"(?:fine[- ]?tuned|finetuned|trained)\s+on\s+", _ART, _ADJ, _REF), 0.6, _any(" on "),
          weak=True),
    _Rule("hub-link", _rx(r"\[(?P<label>[^\]\n]{1,200})\]\((?P<url>https?://(?:www\.)?(?:huggingface|hf)\.co/",
                          r"[^)\s]{1,300})\)|(?P<bare>https?://(?:www\.)?(?:huggingface|hf)\.co/[^\s)\]>\"'`]+)",
                          r"(?P<tick>)(?P<bold>)"), 0.5, _any("huggingface.co", "hf.co"), weak=True),
    # "a ZSSD model for Subtask A using `microsoft/deberta-v3-base`", "Powered by `org/model`": a Hub id in code
    # quotes that the model is said to use (last: any rule that says more about the relation goes first)
    _Rule("uses-id", _rx(r"(?:u(?<![\w-]u)s(?:ing|es|e)|p(?<![\w-]p)owered\s+by)\s+", _ART, _ADJ,  # first letter first
                         r"(?=`[\w.-]+/[\w.-]+`)", _REF), 0.5, _any("use", "using", "powered by")),
    # "This is a roBERTa-base model trained on ~58M tweets and finetuned for sentiment analysis" (after the rules
    # that read a link to the checkpoint it was trained from, which such cards often add)
    _Rule("is-a-model-trained", _rx(r"(?:this|it|model)\s+is\s+an?\s+\*{0,2}", _REF, r"\*{0,2}\s+model\s+",
                                    r"(?:(?:further|continually)\s+)?(?:pre-?trained|trained|fine[- ]?tuned|finetuned)",
                                    r"\s+(?:on|for|with)\b"), 0.6, _any(" is a")),
]
_NEGATIVE = re.compile(  # every branch starts with a literal, so the engine can skip ahead
    r"compar|outperform|than\b|vs\b|versus|baseline|teacher|distill(?:ed|ation)\s+(?:from|of)|"
    r"distilled\s+version|see also|if\s+you(?:'d|\s+would|\s+want|\s+are\s+looking)|looking\s+for|recommend|"
    r"for\s+(?:more|further)\s+(?:info|detail)|"
    r"intermediate\s+checkpoints?|different\s+sizes|same\s+(?:training\s+)?(?:procedure|recipe|approach)|"
    r"available\s+(?:at|on|from)\s|"
    r"similar|check\s+out|other\s+models?|related\s+models?|inspired|alternative|instead\s+of|tokeni[sz]er|"
    # "has the same architecture as [X]", "follows the BERT architecture ([X])": a design, not the weights
    r"same\s+(?:model\s+)?architecture|architecture\s+(?:as|of|like)\b|architecture\s*\(|"
    r"reward\s+model|evaluat|benchmark|unlike|larger\s+version|smaller\s+version(?!s?\s+of\b)|sibling|more\s+models|"
    r"judge|embedding\s+model|generated\s+(?:by|with)|annotated\s+(?:by|with)|labell?ed\s+(?:by|with)|"
    r"releas(?:e|ed|ing)\s+(?:of\s+)?(?:our|the\s+following|more|new)\b|"
    # a base's card listing what was made from it: "Fine-tuned versions:", "Models fine-tuned from this one:"
    r"fine-?tuned\s+(?:versions|variants|checkpoints|models)\b(?!\s+(?:of|from|on)\b)|"
    r"(?:fine-?tuned|derived|downstream)\s+(?:versions|variants|checkpoints|models)\s+of\s+(?:this|our)\s+"
    r"(?:model|checkpoint)\b|"
    # "the base version of this model is [X]": a sibling of another size
    r"(?:base|large|small|tiny|mini|bigger|larger|smaller)[- ]?(?:sized?\s+)?versions?\s+of\s+(?:this|our)\s+"
    r"(?:model|checkpoint)\b|"
    # "this model was fine-tuned to create [X]": what it was used to make
    r"(?:fine-?tuned|used|trained)\s+to\s+(?:create|produce|build|make|obtain)\b|"
    # "this model is used as the base model for [X]": what was made from it
    r"(?:used|serves?|served|acts?)\s+as\s+(?:the\s+|a\s+)?(?:base|starting|foundation)\s+(?:model|checkpoint|point)"
    r"\s+for\b|"
    r"(?:fine-?tuned|trained|derived|built)\s+(?:from|on)\s+(?:this|our)\s+(?:one|model|checkpoint)\b")
_SELF = re.compile(r"\b(?:this|our|the\s+(?:present|current))\s+(?:model|checkpoint|classifier|version)\b|"
                   r"\bours\b|\bwe\b")
_CUE = re.compile(r"fine-?tun|finetun|\bbase\b|based|initiali|trained\s+from|checkpoint|upstream|derived|"
                  r"starting\s+point|start(?:ed|s)?\s+from|weights|the\s+pre-?trained\s+model\b|"
                  r"(?:smaller|pruned|compressed|reduced|trimmed)\s+versions?\s+of")
#: "X dataset", "X corpus" right after a reference, on the same line and in the same sentence.
_AFTER_DATASET = re.compile(r"(?<!\.)[ \t]*(?:dataset|corpus|data\b|benchmark|task|split)")
#: The subject of the sentence right before a rule's verb ("DeepSeek-R1-Distill-Llama-70B is derived from ..."):
#: a name with a digit, hyphen or slash; a family card says what each of its other models came from.
_SUBJECT = re.compile(r"(?:^|[\s*(])(?P<subject>[a-z][\w.\-/]*[\d\-/][\w.\-/]*)\**\s+(?:is|was|has\s+been)\s+"
                      r"(?:(?:a|an|the)\s+)?\Z")
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[a-z(\[`*])|\n\s*\n|\n\s*[-*#|>]")
_HUB_URL = re.compile(r"https?://(?:www\.)?(?:huggingface|hf)\.co/")
_HUB_DATA = re.compile(r"(?:huggingface|hf)\.co/(?:datasets|spaces)/")


def _sentence(low: str, start: int, end: int) -> tuple[int, int]:
    """Span of the sentence around low[start:end]."""
    lo = max(0, start - 400)
    cut = lo
    for m in _SENTENCE_END.finditer(low, lo, start):
        cut = m.end()
    m = _SENTENCE_END.search(low, end, end + 400)
    return cut, (m.start() if m else min(len(low), end + 400))


#: A link's target or a bare URL: its words (`KLUE-benchmark/KLUE`) are an address, not a comparison cue.
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)|https?://[^\s)\]>]+")


def _blocked(window: str) -> bool:
    """A comparison/teacher/see-also cue precedes the mention (outside link targets and URLs), and no "this
    model"/"we" comes after it."""
    window = _LINK_TARGET.sub(" ", window)
    cues = list(_NEGATIVE.finditer(window))
    return bool(cues) and _SELF.search(window, cues[-1].end()) is None


#: A link target that is exactly `owner/name`, no file: on a Hub page it opens that repository.
_RELATIVE_ID = re.compile(r"^[a-z0-9][\w.-]*/[\w.-]+$(?<!\.md)(?<!\.py)(?<!\.ipynb)(?<!\.json)(?<!\.txt)"
                          r"(?<!\.png)(?<!\.jpg)(?<!\.yaml)(?<!\.yml)(?<!\.html)(?<!\.pdf)(?<!\.sh)", re.I)


def _reference(m: re.Match[str], text: str) -> tuple[str | None, bool, int]:
    """The reference a match names (in the card's own case), whether it is a Hub link, and where it starts."""
    def group(name: str) -> str | None:
        start, end = m.span(name)
        return text[start:end] if start >= 0 and end > start else None

    url = group("url")
    if url:
        hub = _HUB_URL.match(url.lower()) is not None
        if not hub and _RELATIVE_ID.match(url):  # a Hub card's relative link `[ruRoberta-large](owner/name)`
            return url, False, m.start("label")
        return (url if hub else group("label")), hub, m.start("label")  # the label is the reference's text too
    if m.start("url") >= 0 and group("label"):  # an empty target, as mlx-vlm writes it: "from [`X`]()"
        return str(group("label")).strip("`*_ "), False, m.start("label")
    for name in ("tick", "bold", "bare"):
        value = group(name)
        if value:
            return value, name == "bare" and value.lower().startswith("http"), m.start(name)
    return None, False, m.start()


_WORD = re.compile(r"[\w.\-]+")


def _words_before(low: str, end: int, floor: int) -> str | None:
    """A popular base named in the last two to four words before `end`, within its sentence (from `floor`)."""
    words = _WORD.findall(low, max(floor, end - 80), end)
    if words and words[-1] == "model":
        words.pop()
    for k in (4, 3, 2):
        if len(words) >= k and (found := well_known_by_words(" ".join(words[-k:]))):
            return found
    return None


#: A reference followed by its role as the teacher ("[ELECTRA-Base](...) as teacher", "X (1.3B) is the teacher").
_TEACHER_AFTER = re.compile(r"[`*_\])]*\s*(?:\([^)\n]{0,40}\)\s*)?(?:as|is|was)\s+(?:the\s+|a\s+|our\s+|its\s+)?"
                            r"teacher")
_ARCHITECTURE_LABEL = re.compile(r"\barchitecture\W*$")
_ARCHITECTURE_AFTER = re.compile(r"[`*_\]'\u2019]*(?:s\b)?\s*(?:model\s+|network\s+)?architecture\b")


def _label(m: re.Match[str], text: str) -> str | None:
    """The text of a Markdown link's label, when the match is a link."""
    if "label" not in m.re.groupindex:
        return None
    start, end = m.span("label")
    return text[start:end] if start >= 0 and end > start else None


_FINETUNED_AFTER = re.compile(r"fine-?tun|finetun")
_QUANT_FORMAT = re.compile(r"\b(?:gguf|gptq|awq|exl2|ggml|mlx|bitsandbytes|bnb|int[348]|[2-8]-?bit)\b")


def _text_relation(relation: str, low: str, ref_start: int, s_end: int) -> str:
    """A "quantized version of X, fine-tuned for Y" is a fine-tune of X (then cast to a smaller type), unless the
    sentence names a quantization format; a CPT cue in the sentence makes a fine-tune continued pre-training."""
    after = low[ref_start:s_end]
    if relation == "quantized" and _FINETUNED_AFTER.search(after) and not _QUANT_FORMAT.search(low, ref_start - 200,
                                                                                                 s_end):
        return "finetune"
    return relation


class _Hit(NamedTuple):
    """A reference a card-text rule accepts as the upstream; `corroborated` unless a weak rule lacks its Hub
    link or catalog hit."""

    rule: str
    confidence: float
    ref: Ref
    corroborated: bool
    evidence: str
    relation: str = "finetune"


def _text_hits(child: str, text: str, resolver: Resolver) -> Iterator[_Hit]:
    """Every reference the card-text rules accept, most confident rule first."""
    text = text[:MAX_TEXT_CHARS]
    low = text.lower()
    if len(low) != len(text):  # a few characters change length when lower-cased; keep spans aligned
        text = low
    linked: dict[str, str] | None = None  # built on first need: most cards never name a model without its owner
    for name, pattern, confidence, needles, weak, before, relation in _RULES:
        for needle in needles:  # a plain loop: a generator per rule and card costs more than the lookups
            if needle in low:
                break
        else:
            continue
        for hit in pattern.finditer(low):
            ref_match = _BEFORE.search(low, max(0, hit.start() - 250), hit.start()) if before else hit
            if ref_match is None:
                continue
            start, end = min(hit.start(), ref_match.start()), hit.end()
            raw, hub_link, ref_start = _reference(ref_match, text)
            if _ARCHITECTURE_LABEL.search(_label(ref_match, low) or "") or _ARCHITECTURE_AFTER.match(
                    low, ref_match.end()):
                continue  # "based on the [T5 architecture](...)": a design it shares, not the weights it started from
            if name not in _STUDENT_RULES and _TEACHER_AFTER.match(low, ref_match.end()):
                continue  # "we leverage [ELECTRA-Base](...) as teacher"
            s_start, s_end = _sentence(low, start, end)
            window = low[s_start:s_end] if name == "hub-link" else low[max(s_start, start - 80):start]
            if not raw or (name not in _STUDENT_RULES and (_blocked(window) or (
                    not before and _NEGATIVE.search(low, start, ref_start)))) or _other_subject(child, low, start):
                continue
            if (name == "hub-link" and not _CUE.search(_without_refs(low[s_start:s_end]))) or \
                    _AFTER_DATASET.match(low, end):
                continue  # a cue only inside a linked name (`org/x-finetuned`) says nothing of this model
            converted_file = low.startswith("convert", start) and _WEIGHTS_FILE.search(raw or "") is not None
            if (name == "hub-link" and _in_table_row(low, start)) or (
                    hub_link and _PAGE_LINK.search(raw or "") and not converted_file):
                continue  # tables list sizes, scores and siblings; a link into a file or section is a reference,
                # but "converted from [hubert_base.pt](.../resolve/main/hubert_base.pt)" names the repository it is in
            ref, by_words = resolver.resolve(raw), False
            if ref is None and hub_link and _HUB_DATA.search(raw.lower()):
                continue  # a Hub link to a dataset or Space: its label names that, not a model
            if ref is None:  # a link elsewhere (a docs page, GitHub) or a name in words: the well-known table
                label = _label(ref_match, text)
                ref = resolver.resolve(label) if label and label != raw and not hub_link else None
                known = ref is None and (well_known_by_words(label or "") or well_known_by_words(raw))
                if known:
                    ref, by_words = Ref(known, None, resolver.lookup(known) is not None), True
            if ref is None:  # a family name, then its id in brackets: "TinyBERT (huawei-noah/TinyBERT_...)"
                ref = _bracketed_id(ref_match, low, text, resolver)
            if ref is None and "/" not in raw:  # a name without its owner that the card links elsewhere
                if linked is None:
                    linked = _linked_names(text)
                full = linked.get(raw.strip("`*_'\" .,").lower())
                ref, by_words = (resolver.resolve(full), True) if full else (None, False)
            if ref is None and before:  # "the XLM-RoBERTa large fine-tuned on ...": a base named in a few words
                known = _words_before(low, hit.start(), s_start)
                ref, by_words = (Ref(known, None, resolver.lookup(known) is not None), True) if known else (None, False)
            if ref is None or own_page(child, ref.model_id) or (name not in _DIRECTED and derived_from_child(
                    child, ref.model_id, _in_list(low, start))):
                continue  # a rule that does not say which way the relation goes met a version of this model
            yield _Hit(name, confidence - 0.1 * by_words, ref, not weak or hub_link or ref.in_catalog or by_words,
                       _evidence(text, s_start, s_end), _text_relation(relation, low, ref_start, s_end))


_HUB_MODEL_URL = re.compile(r"(?:huggingface|hf)\.co/(?P<id>[\w.-]+/[\w.-]+)")


def _linked_names(text: str) -> dict[str, str]:
    """{name: owner/name} for every model the card links on the Hub, by its name alone (lower case), so that a
    sentence naming `nemotron-speech-streaming-en-0.6b` means the `nvidia/...` the card links elsewhere; a name
    that two linked owners share is left out."""
    found: dict[str, set[str]] = {}
    for m in _HUB_MODEL_URL.finditer(text):
        cleaned = clean_reference(f"https://huggingface.co/{m.group('id')}")  # not a dataset, Space, docs page...
        if cleaned is not None and "/" in cleaned[0]:
            found.setdefault(cleaned[0].rsplit("/", 1)[-1].lower(), set()).add(cleaned[0])
    for m in _NAMED_HUB_LINK.finditer(text):  # "KANANA-1.5-8B: https://huggingface.co/kakaocorp/kanana-1.5-8b-..."
        cleaned = clean_reference(f"https://huggingface.co/{m.group('id')}")
        if cleaned is not None and "/" in cleaned[0]:
            found.setdefault((m.group("name") or m.group("label")).lower(), set()).add(cleaned[0])
    return {name: ids.pop() for name, ids in found.items() if len({i.lower() for i in ids}) == 1}


#: A model's name given its Hub page, as a reference list writes it: "- KANANA-1.5-8B: https://huggingface.co/x/y"
#: or "[KANANA-1.5-8B](https://huggingface.co/x/y)". The name has a digit or a hyphen: a word alone ("here",
#: "model") labels a link without naming it.
_NAMED_HUB_LINK = re.compile(r"(?:^[ \t]*(?:[-*+][ \t]+)?\**(?P<name>[A-Za-z][\w.]*[-\d][\w.\-]{0,60})\**"
                             r"[ \t]*[:：][ \t]*<?"
                             r"|\[(?P<label>[A-Za-z][\w.]*[-\d][\w.\-]{0,60})\]\()"
                             r"https?://(?:www\.)?(?:huggingface|hf)\.co/(?P<id>[\w.\-]+/[\w.\-]+)", re.M)


#: An id or Hub URL in brackets right after a name ("DistilBERT model (see details in: https://huggingface.co/x)").
_BRACKETED_ID = re.compile(r"[`*_\]]*\s*(?:model\s*)?\((?:see[^()\n]{0,30}?)?\s*`?"
                           r"(?P<id>https?://(?:www\.)?huggingface\.co/[^\s)`]+|[a-z0-9][\w.-]*(?:/[\w.-]+)?)`?\s*\)")
_INNER_BRACKETED_ID = re.compile(r"[\w .-]{1,40}?\((?P<id>[a-z0-9][\w.-]*(?:/[\w.-]+)?)\)\s*$")


def _bracketed_id(ref_match: re.Match[str], low: str, text: str, resolver: Resolver) -> Ref | None:
    """The Hub id in brackets right after a reference that is a name only, if any."""
    ends = [ref_match.end(g) for g in ("url", "tick", "bold", "bare") if ref_match.start(g) >= 0]
    if not ends:
        return None
    end = max(ends) + (1 if ref_match.start("url") >= 0 else 0)
    m = _BRACKETED_ID.match(low, end)
    for group in ("bold", "tick"):  # or inside the emphasis: "**BERT (bert-base-uncased)** is fine-tuned on ..."
        if m is None and ref_match.start(group) >= 0:
            m = _INNER_BRACKETED_ID.match(low, ref_match.start(group), ref_match.end(group))
    return resolver.resolve(text[m.start("id"):m.end("id")]) if m else None


def _squashed(name: str) -> str:
    """A name without case and separators: the row "ReligionBERT" is the model `religion-bert`."""
    return re.sub(r"[\s_.\-]+", "", name.lower())


def _other_subject(child: str, low: str, start: int) -> bool:
    """Whether the sentence's subject right before position `start` is a model other than `child`."""
    m = _SUBJECT.search(low, max(0, start - 80), start)
    if m is None:
        return False
    subject, own = _squashed(m.group("subject").rsplit("/", 1)[-1]), _squashed(child.rsplit("/", 1)[-1])
    return bool(re.search(r"\d", subject)) and subject not in own and own not in subject


_LINK_OR_URL = re.compile(r"\[[^\]\s]+\]\([^)\s]*\)|\]\([^)\s]*\)|https?://[^\s)\]>]+|`[^`\n]*`")
#: "BERT base", "KLUE BERT base": a size in a model's name, not a cue that a base model is named.
_SIZE_BASE = re.compile(r"\b[a-z0-9]*(?:bert|roberta|t5|electra|gpt-?2|bart|xlnet|mpnet|minilm|xlm-r)[a-z0-9]*"
                        r"[ _-]+base\b")


def _without_refs(sentence: str) -> str:
    """A sentence with links named by an id, link targets, URLs, backticked names and model sizes ("BERT base")
    blanked out (the words a cue must be in)."""
    return _SIZE_BASE.sub(" ", _LINK_OR_URL.sub(" ", sentence))


#: What a child's name adds to its parent's: a tuned or converted version of the model the card describes.
_DERIVED_WORD = re.compile(r"(?:^|[-_.])(?:instruct|chat|it|sft|dpo|orpo|kto|rlhf|rl|ft|fine-?tuned?|finetuned?|tuned|"
                           r"lora|qlora|peft|adapter|merged?|distill(?:ed)?|gguf|gptq|awq|exl2|ggml|onnx|mlx|"
                           r"int[348]|[2-8]bit|quantized|uncensored|abliterated|[a-z]+-?finetuned?)(?:$|[-_.])")
#: Suffixes that make a name the *original* of a model rather than a variant of it (`X-hf`, `X-base`).
_ORIGINAL_SUFFIX = re.compile(r"^(?:hf|base|pretrained|pre-?trained|pt|raw|original|orig|full|fp16|fp32|bf16|weights|"
                              r"(?:un)?cased|torch|pytorch|v?\d+(?:\.\d+)*[a-z]?|\d+(?:\.\d+)?[bmk])$")
#: Rules whose words say which model came from which ("a fine-tuned version of X", "Base model: X"): a name that
#: extends the card's own is then still the parent.
#: Rules that name a distilled model's student, in sentences that also name its teacher (not blocked by it).
_STUDENT_RULES = frozenset({"student", "student-field", "student-after", "student-init-from", "student-start"})
_DIRECTED = frozenset({"template", "trainer", "trainer-translated", "checkpoint-of", "model-field", "base-heading",
                       "base-argument", "quantized", "format-of", "converted-for", "in-format", "copy-of", "extended",
                       "setfit", "setfit-body"})


_NAME_VERSION = re.compile(r"[-_.]v\d+(?:\.\d+)*$")


_NAME_WORD = re.compile(r"v\d+(?:\.\d+)*(?![a-z])|[a-z]+|\d+(?:\.\d+)*[a-z]*")


def own_page(child: str, candidate: str) -> bool:
    """Whether `candidate` is the card's own model under another spelling: the same id but for case and separators
    (`AgriAssist_LLM` / `agri_assist_llm`), or the same owner and the same words in another order, versions aside
    (`RedPajama-INCITE-7B-Base` / `RedPajama-INCITE-Base-7B-v0.1`, the model's earlier name)."""
    def squash(value: str) -> str:
        return re.sub(r"[-_.\s]", "", value.lower())

    if squash(child) == squash(candidate):
        return True
    if "/" not in child or "/" not in candidate or child.split("/")[0].lower() != candidate.split("/")[0].lower():
        return False

    def words(value: str) -> list[str]:
        found = _NAME_WORD.findall(value.rsplit("/", 1)[-1].lower())
        return sorted(w for w in found if not re.fullmatch(r"v\d+(?:\.\d+)*|\d+\.\d+", w))

    mine, theirs = words(child), words(candidate)
    return len(mine) >= 3 and mine == theirs


def derived_from_child(child: str, candidate: str, listed: bool = False) -> bool:
    """Whether `candidate` is named like a version *of* `child`: the card's own name plus a suffix (`-instruct`,
    `-finetuned-x`, `-GGUF`), or, in a list or table of variants, plus any suffix but one that names an original
    (`-hf`, `-base`). A base model's card links to its fine-tuned versions; they are its children, not its parent."""
    own = child.rsplit("/", 1)[-1].lower()
    name = candidate.rsplit("/", 1)[-1].lower()
    known = WELL_KNOWN.get(own)
    if known and known.lower() != child.lower() and candidate.split("/")[0].lower() == known.split("/")[0].lower():
        return False  # a copy named after a popular base (a `Llama-3.2-1B` project): its maker's variants may be it
    if listed and "/" in child and child.split("/")[0].lower() == candidate.split("/")[0].lower() and \
            set(_NAME_WORD.findall(own)) < set(_NAME_WORD.findall(name)):
        return True  # in the owner's list of its models, a name with a word more is a variant (`-diacritics-`)
    version = _NAME_VERSION.search(own)
    if version and name.endswith(version.group()):  # SOLAR-10.7B-v1.0 and SOLAR-10.7B-Instruct-v1.0
        own, name = own[:version.start()], name[:len(name) - len(version.group())]
    if len(own) < 4 or len(name) <= len(own) + 1 or not name.startswith(own) or name[len(own)] not in "-_.":
        return False
    rest = name[len(own) + 1:]
    if _ORIGINAL_SUFFIX.match(rest):
        return False
    return listed or _DERIVED_WORD.search(rest) is not None


def _in_list(low: str, at: int) -> bool:
    """Whether position `at` is on a Markdown list item or table row."""
    line = low[low.rfind("\n", 0, at) + 1:at].lstrip()
    return line[:1] in ("|", "-", "*", "+") or re.match(r"\d+[.)]\s", line) is not None


_WEIGHTS_FILE = re.compile(r"/(?:resolve|blob)/[^\s)]*\.(?:pt|pth|bin|safetensors|ckpt|gguf|onnx|h5|msgpack)\b", re.I)
_PAGE_LINK = re.compile(r"/(?:blob|raw|resolve|discussions)/|#|readme\.md", re.I)


def _in_table_row(low: str, at: int) -> bool:
    """Whether position `at` is on a Markdown table row: a line that starts with `|`, or one with three cells'
    pipes or more (a table written without its outer pipes)."""
    start, end = low.rfind("\n", 0, at) + 1, low.find("\n", at)
    line = low[start:end if end >= 0 else len(low)]
    return line.lstrip().startswith("|") or _LINK_TARGET.sub(" ", line).count("|") >= 3


def _evidence(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())[:300]


def text_edge(child: str, text: str, resolver: Resolver) -> Edge | None:
    """The best upstream named in a card's text, or None."""
    for hit in _text_hits(child, text, resolver):
        if hit.corroborated:
            return Edge(child, hit.ref.model_id, "card-text", hit.confidence, f"[{hit.rule}] {hit.evidence}",
                        hit.relation)
    return None


_REF_CHARS = re.compile(r"(?:https?://)?[\w.@/-]*[\w/]")
_TOKEN_HEAD = re.compile(r"(?:https?:)?[\w.@/-]*\Z")  # the start of the token that a position is inside


def mentions(text: str, resolver: Resolver, upstream: str) -> list[tuple[int, int]]:
    """Spans of `text` (its first MAX_TEXT_CHARS) that name `upstream`: its id, legacy name or Hub URL."""
    low = text[:MAX_TEXT_CHARS].lower()
    target = upstream.lower()
    name = target.rsplit("/", 1)[-1]
    spans: list[tuple[int, int]] = []
    at = low.find(name)
    while at >= 0:  # only the tokens around each occurrence of the name: a card is long, the name is rare
        start = at - len(_TOKEN_HEAD.search(low, max(0, at - 300), at).group())
        token = _REF_CHARS.match(low, start)
        if token is not None and name in token.group() and (not spans or token.start() >= spans[-1][1]):
            ref = resolver.resolve(token.group())
            if ref is not None and ref.model_id.lower() == target:
                spans.append(token.span())
        at = low.find(name, max(at + 1, token.end() if token is not None else 0))
    return spans


def card_support(child: str, text: str, resolver: Resolver, upstream: str) -> str | None:
    """The card-text evidence that `upstream` is what `child` was fine-tuned from, or None.

    Evidence is a card-text rule's hit on `upstream` (weak rules need no Hub link or catalog hit here: the
    caller already names the model), else a mention of `upstream` in a sentence the hub-link rule would
    accept: a fine-tuning cue (`_CUE`, outside model names), no comparison/teacher/see-also cue, not a dataset.
    """
    target = upstream.lower()
    for hit in _text_hits(child, text, resolver):
        if hit.ref.model_id.lower() == target:
            return f"[{hit.rule}] {hit.evidence}"
    text = text[:MAX_TEXT_CHARS]
    low = text.lower()
    if len(low) != len(text):
        text = low
    for start, end in mentions(text, resolver, upstream):
        s_start, s_end = _sentence(low, start, end)
        sentence = _REF_CHARS.sub(lambda m: " " * len(m.group()) if resolver.resolve(m.group()) else m.group(),
                                  low[s_start:s_end])
        if _CUE.search(sentence) and not _blocked(sentence) and not _AFTER_DATASET.match(low, end):
            return f"[cue] {_evidence(text, s_start, s_end)}"
    return None


# -- name hints ------------------------------------------------------------------------------------
_NAME_HINT = re.compile(r"^(?P<base>.+?)[-_](?:fine[-_]?tuned|finetuned?|ft)(?:[-_]|$)", re.I)


def name_hint_edge(child: str, resolver: Resolver) -> Edge | None:
    """`owner/<base>-finetuned-<data>` (Trainer's default naming) → `<base>`, when that resolves."""
    match = _NAME_HINT.match(child.rsplit("/", 1)[-1])
    if match is None:
        return None
    base = match.group("base")
    owner = child.split("/", 1)[0] if "/" in child else None
    ref: Ref | None = None
    if owner:
        ref = resolver.resolve(f"{owner}/{base}")
        ref = ref if ref is not None and ref.in_catalog else None
    if ref is None:
        hit = resolver.by_name(base)
        if hit is not None:
            ref = Ref(hit, None, True)
    if ref is None and resolver.plausible(base):
        ref = resolver.resolve(base)
    if ref is None or ref.model_id == child:
        return None
    return Edge(child, ref.model_id, "name-hint", 0.3, f"name {child} starts with {base}", "finetune")


_MERGE_INTRO = re.compile(r"(?:is\s+a\s+merge\s+of\s+the\s+following\s+(?:models|checkpoints)|"
                          r"following\s+models\s+were\s+(?:included\s+in|used\s+(?:in|for))\s+the\s+merge|"
                          # a list headed "merge:", "merge models:", "merged models", "models merged" (bullet, heading)
                          r"^[ \t]*(?:[*+-][ \t]+|#+[ \t]*)?\**(?:merge[ds]?(?:[ \t]+models)?|models[ \t]+merged)\**"
                          r"[ \t]*:?[ \t]*\**[ \t]*$)"
                          r"[^\n]*\n", re.M)
_LIST_ITEM = re.compile(r"[ \t]*[*+-][ \t]+(?P<item>[^\n]+)\n?")
_ITEM_REF = re.compile(r"\[[^\]\n]*\]\((?P<url>[^)\s]+)\)|`(?P<tick>[^`\n]+)`|"
                       r"(?<![\w./:-])(?P<bare>[\w.\-]+/[\w.\-]+)")  # a bare id, not the inside of a URL


def merge_edges(child: str, text: str, resolver: Resolver) -> list[Edge]:
    """Every model of the bullet list after "is a merge of the following models" (mergekit's card), as merge
    parents; [] when there is no such list."""
    low = text[:MAX_TEXT_CHARS].lower()
    for intro in _MERGE_INTRO.finditer(low):  # a "Models Merged" heading may come before mergekit's own sentence
        edges = _merge_list(child, text, low, intro, resolver)
        if edges:
            return edges
    return []


def _merge_list(child: str, text: str, low: str, intro: re.Match[str], resolver: Resolver) -> list[Edge]:
    at, found, items = intro.end(), {}, 0
    while (item := _LIST_ITEM.match(text, at)) is not None or low[at:at + 1] == "\n":
        if item is None:  # a blank line inside the list
            at += 1
            continue
        items += 1
        ref = _merge_item_ref(item.group("item"), resolver)
        if ref is not None and ref.model_id != child:
            found.setdefault(ref.model_id, item.group("item").strip())
        at = item.end()
    base = _MERGE_BASE.search(low, intro.start() - 600 if intro.start() > 600 else 0, intro.start())
    if base is not None:  # "merged using the X merge method using <base> as a base" (a local folder counts too)
        items += 1
        ref = _merge_item_ref(text[base.start("ref"):base.end("ref")], resolver)
        if ref is not None and ref.model_id != child:
            found.setdefault(ref.model_id, base.group(0).strip())
    return [Edge(child, parent, "card-text", 0.85, f"[merge-list] {line}", "merge")
            for parent, line in list(found.items())[:MAX_PARENTS]] if _enough(found, items) else []


_MERGE_BASE = re.compile(r"merge\s+method\s+using\s+(?P<ref>[^\n]{1,300}?)\s+as\s+(?:a|the)\s+base\b")


def _merge_item_ref(item: str, resolver: Resolver) -> Ref | None:
    """The model one merged-models entry names: a link, an id, or a local folder (the Hugging Face cache's
    `models--owner--name` names it)."""
    whole = item.strip().strip("`'\"*")
    if re.match(r"(?:[a-z]:)?[\\/]|\.{1,2}[\\/]|~", whole, re.I):
        return resolver.resolve(whole)
    ref_match = _ITEM_REF.search(item)
    raw = ref_match and (ref_match.group("url") or ref_match.group("tick") or ref_match.group("bare"))
    return resolver.resolve(raw) if raw else None


def _enough(found: dict[str, str], entries: int) -> bool:
    """A merge names two or more models; those that are only local folders (no Hub id) are left out, so one
    named parent is enough when the merge had two or more entries."""
    return len(found) >= 2 or (len(found) == 1 and entries >= 2)


#: A sentence that says which models were merged, in prose ("a merge of [A](...) and [B](...)", "a ties merge
#: between X and Y", "the models used in the merge are ...", "interleaving layers of [A], [B] and [C]").
_MERGE_SENTENCE = re.compile(r"\bmerge\s+(?:of|between)\b|\bfrankenmerge\s+(?:of|with|between)\b|"
                             # "a MoE of X, Y and Z", "Mixture of Experts made from X and Y", "averaged the weights of"
                             r"\bmoe\s+(?:of|from|made\s+(?:of|from|with))\b|"
                             r"mixture\s+of\s+experts\s+(?:of|from|made\s+(?:of|from|with))\b|"
                             r"\baverag(?:e|ed|ing)\s+(?:the\s+)?(?:weights|parameters)\s+of\b|"
                             r"\bmerged?\s+(?:together\s+)?(?:from|with)\b|models\s+used\s+in\s+the\s+merge|"
                             r"interleaving\s+(?:the\s+)?layers\s+of|\bcombin(?:es|ed|ing)\s+(?:the\s+)?layers\s+of|"
                             # "Merged X with Y using TIES", "the result of merging X and Y", "a 50/50 blend of X and Y"
                             r"\b(?:merged|merging|blend\s+of|mix\s+of|soup\s+of)\s+(?:the\s+)?"
                             r"(?=\[|`|\*\*|[a-z0-9][\w.\-]*/[\w.\-])")  # a model right after the cue


#: Words one of which a merge sentence holds (its pattern is slow: it runs only on the cards that have one).
_MERGE_WORDS = ("merg", "layers of", "blend of", "mix of", "soup of", "moe of", "moe from", "moe made",
                "mixture of experts")


def _may_name_a_merge(low: str) -> bool:
    return any(word in low for word in _MERGE_WORDS) or (
        "averag" in low and ("weights of" in low or "parameters of" in low))


def merge_sentence_edges(child: str, text: str, resolver: Resolver) -> list[Edge]:
    """Every model a merge sentence names (links, backticked or bare ids; the list after it when the sentence ends
    in a colon), when it names two or more: the prose form of a merge card without mergekit's template."""
    text = text[:MAX_TEXT_CHARS]
    low = text.lower()
    if not _may_name_a_merge(low):
        return []
    for cue in _MERGE_SENTENCE.finditer(low):
        s_start, s_end = _sentence(low, cue.start(), cue.end())
        if _blocked(low[s_start:cue.start()]):
            continue
        end = s_end
        if low[s_start:s_end].rstrip().endswith(":"):  # "... merge of the following:" then a list
            at = s_end + 1 if low[s_end:s_end + 1] == "\n" else s_end
            while (item := _LIST_ITEM.match(text, at)) is not None:
                end = at = item.end()
        found: dict[str, str] = {}
        # "[X](...) + [Y](...) merged with SLERP": a past participle after the models, which the sentence names first
        start = s_start if cue.group().startswith("merged") else cue.start()
        for ref_match in _ITEM_REF.finditer(text, start, end):
            raw = ref_match.group("url") or ref_match.group("tick") or ref_match.group("bare")
            ref = resolver.resolve(raw) if raw else None
            if ref is not None and ref.model_id.lower() != child.lower():
                found.setdefault(ref.model_id, raw)
        if len(found) >= 2:
            evidence = f"[merge-sentence] {_evidence(text, s_start, s_end)}"
            return [Edge(child, parent, "card-text", 0.7, evidence, "merge") for parent in list(found)[:MAX_PARENTS]]
    return []


#: mergekit's `merge_method: ties`, or mergekit-moe's `experts:` list (whose entries are `- source_model: X`).
_MERGE_METHOD = re.compile(r"^\s*(?:merge_method\s*:\s*(?P<method>[\w-]+)|(?P<moe>experts)\s*:[ \t]*$)", re.M)
_CONFIG_MODEL = re.compile(r"^[ \t]*(?:-[ \t]*)?(?:model|base_model|source_model)[ \t]*:[ \t]*"
                           r"(?P<whole>['\"][^'\"\n]+['\"]|"
                           r"(?P<ref>[^\s'\"#]+))", re.M)


def merge_config_edges(child: str, text: str, resolver: Resolver) -> list[Edge]:
    """Every model of a mergekit configuration quoted in the card (a block with `merge_method:` whose `model:`
    and `base_model:` lines name the merged models and the base, or a mergekit-moe block whose `experts:` name
    theirs as `source_model:`), as merge parents; [] when fewer than two."""
    text = text[:MAX_TEXT_CHARS]
    for m in _MERGE_METHOD.finditer(text):
        start = text.rfind("```", 0, m.start())
        end = text.find("```", m.end())
        start = start + 3 if start >= 0 and text.count("```", 0, start) % 2 == 0 else max(0, m.start() - 2000)
        block = text[start:end if end >= 0 else m.end() + 2000]
        found: dict[str, str] = {}
        entries: set[str] = set()
        for item in _CONFIG_MODEL.finditer(block):
            entries.add(item.group("whole").lower())
            ref = _merge_item_ref(item.group("whole"), resolver)
            if ref is not None and ref.model_id != child:
                found.setdefault(ref.model_id, item.group(0).strip())
        if _enough(found, len(entries)):
            method = m.group("method") or "moe (experts)"
            return [Edge(child, parent, "card-text", 0.8, f"[merge-config] merge_method: {method}; {line}",
                         "merge") for parent, line in list(found.items())[:MAX_PARENTS]]
    return []


_STUDENT_INIT = re.compile(r"(?:(?:layers?|weights?)\s+(?:copying|copied|taken|initiali[sz]ed)\s+from\s+(?:the\s+)?"
                           r"teacher|student\s+(?:model\s+)?(?:is\s+|was\s+)?initiali[sz]ed\s+(?:from|with)\s+"
                           r"(?:\w+\s+){0,3}?(?:of\s+)?(?:the\s+)?teacher)")
_TEACHER = re.compile(r"teacher[ _-]?(?:model|checkpoint|network)?\**[ \t]*(?:[:=]|\bis\b)[ \t]*\**[ \t]*['\"]?"
                      r"(?P<ref>[^\s'\"*,;()\[\]]+(?:[ \t][\w.-]+){0,2})", re.I)


def student_init_edge(child: str, text: str, resolver: Resolver) -> Edge | None:
    """A distilled model whose student starts from the teacher's own layers: the teacher is then also the parent
    (a plain "distilled from X" names only a teacher, never a parent)."""
    low = text[:MAX_TEXT_CHARS].lower()
    init = _STUDENT_INIT.search(low)
    if init is None:
        return None
    for m in _TEACHER.finditer(text[:MAX_TEXT_CHARS]):
        raw = m.group("ref")
        ref = resolver.resolve(raw.split()[0]) if "/" in raw.split()[0] else None
        known = ref.model_id if ref is not None else well_known_by_words(raw.split()[0])
        if known and known.lower() != child.lower():
            return Edge(child, known, "card-text", 0.65,
                        f"[student-init] {_evidence(text, init.start(), init.end())}; {m.group(0).strip()}",
                        "distillation")
    return None


_ADAPTER_TAGS = frozenset({"lora", "qlora", "peft", "adapter", "adapters", "adapter-transformers"})
_ADAPTER_TEXT = re.compile(r"\bpeft\s+\d|peftmodel|adapter_config\.json|adapter_model\.(?:bin|safetensors)|"
                           r"--lora_weights|\b(?:lora|peft)\s+adapters?\b|low[- ]rank\s+adaptation|\(q?lora\)|"
                           r"\bqlora\b|"
                           r"(?:using|with|via)\s+(?:q?lora|peft)\b|`peft`|\bpeft\s+librar|"
                           r"\bq?lora[- ](?:fine-?tun|finetun|training|tuning)")
#: A sentence about a distillation's student ("distil X into a student initialised with ... of Y").
#: The rule's own sentence says the model is the parent in another format ("https://hf.co/X with ONNX weights to be
#: compatible with Transformers.js", "Conversion of [X](...)" under an "ONNX convert" title): a copy, as quantized.
_FORMATS = r"(?:onnx|openvino|core\s?ml|tflite|tensorrt|ctranslate2|ct2|torchscript|gguf|ggml|mlx)"
_CONVERSION_CUE = re.compile(r"\b" + _FORMATS + r"\s+(?:weights|export|version|format|files|conversion)\b|"
                             r"\b(?:convert(?:ed)?|conversion|export(?:ed)?)\b[^.\n]{0,60}\b" + _FORMATS + r"\b|"
                             r"\b" + _FORMATS + r"\s+convert")
_STUDENT_CUE = re.compile(r"\bdistil\w*\b[^.\n]{0,120}\bstudent\b|\bstudent\b[^.\n]{0,120}\b(?:distil|teacher\b)|"
                          r"\bteacher\b[^.\n]{0,120}\bstudent\b")
#: An adapter named so: `lora_model`, `llama-3-8b-qlora`, `GPT2-AdapterTuning`, `x-peft`.
_ADAPTER_NAME = re.compile(r"(?:^|[-_.])(?:q?lora|peft|adapters?)(?:$|[-_.]|tuning)", re.I)
_NOT_ADAPTER = re.compile(r"\bnot\s+(?:an?\s+)?(?:peft|lora)\b")
_QUANT_NAME = re.compile(r"(?:^|[-_.])(?:gguf|gptq|awq|exl[23]|ggml|int[348]|[2-8]-?bits?|bnb|nf4|fp8|"
                         r"hqq|aqlm|eetq|nvfp4|mxfp4|fp4|q[0-8]f(?:16|32)(?:_\d)?|"
                         r"q[2-8](?:_k)?(?:_[sml0])?)(?:$|[-_.])", re.I)
#: A copy in another runtime's format, named so (`-mlx`, `-onnx`, `-ct2`, `-CoreML`, `faster-whisper-`): the same
#: weights converted, which the relations count with the quantized copies.
_CONVERTED_NAME = re.compile(r"(?:^|[-_.])(?:mlx|onnx|ct2|ctranslate2|core-?ml|core-?ai|openvino|ov|torchscript|tflite|"
                             r"tensorrt|trt|ggml|faster|rkllm|rknn|qnn|mnn|ncnn|litert|executorch|mlc|llamafile)"
                             r"(?:$|[-_.])", re.I)
_QUANT_TAGS = frozenset({"gguf", "gptq", "awq", "exl2", "4-bit", "8-bit", "bitsandbytes", "quantized"})
_CPT_CUE = re.compile(r"continu(?:e|ed|ing|al|ally|ous|ously)[- ]?(?:pre-?)?train|further[- ]pre-?train|"
                      r"further\s+trained\s+on|"
                      r"incrementally\s+(?:pre-?)?trained|domain[- ]adaptive\s+pre-?train|additional\s+pre-?train|"
                      r"extended\s+version\s+of|(?:pre-?training|pretrained)\s+(?:is\s+|was\s+)?continued")
#: Continued pre-training said only near the parent (a card's opening may describe its base's own MLM training):
#: "further trained from X with MLM", "pretraining was resumed from X", "trained for 1M more steps", "domain
#: adaptation".
_CPT_NEAR = re.compile(r"\bmlm\b|masked\s+language\s+model(?:l?ing)?\s+(?:training|objective)|"
                       r"pre-?training\s+(?:was\s+|is\s+)?resumed|resum(?:e|ed|ing)\s+(?:the\s+)?pre-?training|"
                       r"\b(?:for|another)\s+[\d.,]+[km]?\s+(?:more|additional|further)\s+steps|domain[- ]adaptation")
_DISTILLED = re.compile(r"distill(?:ed|ation)\s+(?:version\s+)?(?:of|from)\s+(?:the\s+)?[*`]*"
                        r"(?:\[[^\]\n]{0,60}\]\(|\[)?\Z")


def refine_relation(edge: Edge, child: str, card_data: dict[str, Any], tags: Iterable[str],
                    text: str | None, resolver: Resolver) -> Edge:
    """The relation of an edge whose rule gave only the default (finetune, or a tag's unknown), from what else
    the card says: a PEFT adapter (library, tags, framework versions), a quantized copy (its name, tags), continued
    pre-training (a cue where the card names the parent), or distillation (the parent is also the teacher)."""
    if edge.relation not in ("finetune", "unknown") or "base_model_relation" in card_data:
        return edge
    tag_set = {str(t).lower() for t in tags} | {str(t).lower() for t in _as_list(card_data.get("tags"))}
    low = text[:MAX_TEXT_CHARS].lower() if text else ""
    if str(card_data.get("library_name", "")).lower() == "peft" or tag_set & _ADAPTER_TAGS or \
            _ADAPTER_NAME.search(child.rsplit("/", 1)[-1]):
        return edge._replace(relation="adapter")
    own = child.rsplit("/", 1)[-1]
    if _QUANT_NAME.search(own) or _CONVERTED_NAME.search(own) or tag_set & _QUANT_TAGS:
        return edge._replace(relation="quantized")
    if not low:
        return edge
    spans = mentions(text or "", resolver, edge.parent)
    if any(_DISTILLED.search(low, max(0, a - 60), a) for a, _ in spans):  # "a distilled version of <parent>"
        return edge._replace(relation="distillation")
    windows = [low[s:min(len(low), e + 300)] for s, e in (_sentence(low, a, b) for a, b in spans)]
    if edge.source == "card-text":  # the rule's own evidence, and what follows it
        norm = " ".join(low.split())
        quote = edge.evidence.partition("] ")[2].lower()[:80]
        at = norm.find(quote) if quote else -1
        windows.append(norm[at:at + len(edge.evidence) + 300] if at >= 0 else edge.evidence.lower())
    if edge.source == "card-text" and _STUDENT_CUE.search(windows[-1]):  # the student a distillation started from
        return edge._replace(relation="distillation")
    if edge.source == "card-text" and edge.relation == "finetune" and _CONVERSION_CUE.search(edge.evidence.lower()):
        return edge._replace(relation="quantized")
    if any(_CPT_NEAR.search(w) for w in windows):
        return edge._replace(relation="continued-pretraining")
    windows.append(low[:1500])  # the card's opening says what the model is
    if any(_CPT_CUE.search(w) for w in windows):
        return edge._replace(relation="continued-pretraining")
    if _ADAPTER_TEXT.search(low) and not _NOT_ADAPTER.search(low):
        return edge._replace(relation="adapter")
    return edge


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if isinstance(value, str) else []


def card_text_edges(child: str, text: str, resolver: Resolver) -> list[Edge]:
    """The upstream(s) a card's text names: a merge list or config (all parents), else a quantized copy's
    original named by the copy's own name, the best text rule, the student's initialisation of a distillation,
    a popular base named in words, or the base-model column of the card's own row in a table; last, a generic
    architecture family named as what was fine-tuned (`family_default_edge`)."""
    edges = (merge_edges(child, text, resolver) or merge_config_edges(child, text, resolver)
             or merge_sentence_edges(child, text, resolver))
    if edges:
        return edges
    edge = (quantized_name_edge(child, text, resolver) or text_edge(child, text, resolver)
            or student_init_edge(child, text, resolver) or peft_code_edge(child, text, resolver)
            or head_load_edge(child, text, resolver)
            or named_base_edge(child, text)
            or base_field_edge(child, text, resolver) or own_row_edge(child, text, resolver)
            or cjk_edge(child, text, resolver) or copied_title_edge(child, text) or meta_card_edge(child, text)
            or quantized_base_by_name_edge(child) or family_default_edge(child, text))
    return [edge] if edge is not None else []


_FAMILY_NAME = r"(?P<fam>distil-?roberta|distil-?bert|xlm-?roberta|xlm-?r|m-?bert|roberta|bert)"
_FAMILY_TUNE = r"(?:fine[- ]?tun(?:e|es|ed|ing)|finetun(?:e|es|ed|ing))"
#: "fine-tune the RoBERTa model", "a fine-tuned DistilBERT model", "Fine-tune a small pre-trained Transformer
#: (DistilBERT)"; and "a DistilBERT model fine-tuned on X". Not "fine-tune our/this X": that is using this model.
_FAMILY_OBJECT = (
    re.compile(_FAMILY_TUNE + r"\s+(?:(?:a|an|the|small|pre-?trained|base|multilingual|english|large|transformer|"
               r"transformer-based|uncased|cased|model|hugging\s?face(?:'s)?)\s+){0,4}\(?\**" + _FAMILY_NAME +
               r"\**\)?(?![\w/-])"),
    re.compile(r"(?<![\w/-])\**" + _FAMILY_NAME + r"\**(?:\s+(?:model|checkpoint|classifier))?\s+" + _FAMILY_TUNE +
               r"\s+(?:on|for|using|with|to)\b"),
    # "a DistilBERT-based sentiment classifier fine-tuned on ..."
    re.compile(r"(?<![\w/-])\**" + _FAMILY_NAME + r"\**-based\s+(?:[a-z-]+\s+){0,2}(?:model|classifier)\**\s+"
               + _FAMILY_TUNE + r"\b"),
    # "Utilizing the DistilBERT model, this approach fine-tunes the model on ..." (the verb later in the sentence)
    re.compile(r"(?:utili[sz](?:e|es|ing)|leverag(?:e|es|ing)|using|uses|built\s+(?:using|on|with)|powered\s+by)\s+"
               r"(?:the\s+|a\s+)?(?:pre-?trained\s+)?\**" + _FAMILY_NAME + r"\**(?:\s+model)?(?![\w/-])"
               r"(?=[^.\n]{0,80}?" + _FAMILY_TUNE + ")"))
_SECTION_LINK = re.compile(r"[^\]\n]*\]\(#")


def family_default_edge(child: str, text: str) -> Edge | None:
    """A classifier whose card names only a generic family as what it fine-tuned ("fine-tune the RoBERTa model for
    fake news detection"), read as that family's default checkpoint (`names.family_checkpoint`), at a low
    confidence: the card does not say which checkpoint. Not in headings or a table of contents, nor in a sentence
    about one of this model's own fine-tuned versions or about another model, nor on a card trained from scratch.

    Measured before it was kept (`lineage eval`, tune part): 9 cards more right, none lost; a bare family name
    anywhere in the card (without the fine-tuning verb) gained as many as it lost."""
    low = text[:MAX_TEXT_CHARS].lower()
    if "from scratch" in low or "tun" not in low or ("bert" not in low and "xlm" not in low):
        return None  # every pattern needs a fine-tuning verb and a family (each family's name holds "bert" or "xlm")
    for pattern in _FAMILY_OBJECT:
        for m in pattern.finditer(low):
            s_start, s_end = _sentence(low, m.start(), m.end())
            line = low[low.rfind("\n", 0, m.start()) + 1:m.start()]
            if _blocked(low[s_start:m.start()]) or _NEGATIVE.search(low, m.start(), m.end()) or \
                    _other_subject(child, low, m.start()) or line.lstrip().startswith("#") or \
                    _SECTION_LINK.match(low, m.end(), m.end() + 120):
                continue
            near = low[m.start():min(len(low), s_end + 200)]
            if any(derived_from_child(child, name) for name in re.findall(r"[\w.-]+/[\w.-]+", near)):
                continue  # "the DistilBERT model fine-tuned on X: `owner/this-model-finetuned-x`"
            parent = family_checkpoint(m.group("fam"), low, child)
            if parent and parent.lower() != child.lower():
                return Edge(child, parent, "card-text", 0.4, f"[family-default] {_evidence(text, s_start, s_end)}",
                            "finetune")  # every pattern names the family as what was fine-tuned
    return None


_PEFT_LOAD = re.compile(r"peftmodel(?:forcausallm|for\w+)?\.from_pretrained\(")
_MODEL_LOAD = re.compile(r"(?:model|lm|for[a-z]+)\.from_pretrained\(\s*(?:pretrained_model_name_or_path\s*=\s*)?"
                         r"[\"'](?P<id>[^\"'\s]+)[\"']")


def peft_code_edge(child: str, text: str, resolver: Resolver) -> Edge | None:
    """An adapter card's usage code: the model loaded before `PeftModel.from_pretrained(base, adapter)` is the
    adapter's base."""
    text = text[:MAX_TEXT_CHARS]
    low = text.lower()
    peft = _PEFT_LOAD.search(low)
    if peft is None:
        return None
    loads = list(_MODEL_LOAD.finditer(low, max(0, peft.start() - 1500), peft.start()))
    for load in reversed(loads):
        ref = resolver.resolve(text[load.start("id"):load.end("id")])
        if ref is not None and not own_page(child, ref.model_id):
            return Edge(child, ref.model_id, "card-text", 0.7,
                        f"[peft-code] {text[load.start():load.end()]} then {text[peft.start():peft.end()]}", "adapter")
    return None


#: A checkpoint loaded with a new classification head (`from_pretrained("roberta-base", num_labels=2)`), or through a
#: variable assigned just before (`MODEL = "roberta-base"` ... `from_pretrained(MODEL, num_labels=2)`).
_HEAD_LOAD = re.compile(r"\.from_pretrained\(\s*(?:pretrained_model_name_or_path\s*=\s*)?"
                        r"(?:[\"'](?P<id>[^\"'\s]+)[\"']|(?P<var>[a-z_][\w.]*))\s*,[^)]{0,200}?"
                        r"\b(?:num_labels|id2label|label2id)\s*=")


def head_load_edge(child: str, text: str, resolver: Resolver) -> Edge | None:
    """Training code that loads a checkpoint with a new classification head (`num_labels`, `id2label`): the model
    fine-tuned is that checkpoint (not a reader's usage snippet, which loads this model as it is)."""
    text = text[:MAX_TEXT_CHARS]
    low = text.lower()
    if "from_pretrained" not in low:
        return None
    for m in _HEAD_LOAD.finditer(low):
        start, end = m.span("id") if m.group("id") else (-1, -1)
        if m.group("var"):
            assignment = re.compile(rf"(?<![\w.]){re.escape(m.group('var'))}\s*=\s*[\"'](?P<id>[^\"'\s]+)[\"']")
            assigned = list(assignment.finditer(low, max(0, m.start() - 3000), m.start()))
            if not assigned:
                continue
            start, end = assigned[-1].span("id")
        ref = resolver.resolve(text[start:end])
        if ref is not None and not own_page(child, ref.model_id) and not derived_from_child(child, ref.model_id):
            return Edge(child, ref.model_id, "card-text", 0.6, f"[head-load] {text[m.start():m.end()]}", "finetune")
    return None


#: A card's first heading, after any front matter and leading HTML or blank lines.
_FIRST_HEADING = re.compile(r"\A(?:---\n.*?\n---[ \t]*\n)?(?:[ \t]*(?:<[^\n]*)?\n)*[ \t]*#{1,3}[ \t]+"
                            r"(?P<title>[^\n#]{2,80})", re.S)


_TRAINED_FROM_SCRATCH = re.compile(r"(?:train|pre-?train)\w*\s+(?:[\w-]+\s+){0,4}?from\s+scratch")


def copied_title_edge(child: str, text: str) -> Edge | None:
    """A card whose title is a popular base's own ("# BERT base model (uncased)"): the base's card copied into a
    model made from it, when nothing else in the card names a parent (low confidence)."""
    m = _FIRST_HEADING.match(text[:MAX_TEXT_CHARS].replace("\r\n", "\n"))
    if m is None:
        return None
    if _TRAINED_FROM_SCRATCH.search(text[:MAX_TEXT_CHARS].lower()):  # its own pre-training: the title is its name
        return None
    title = m.group("title").strip()  # "# OPT 13B - Erebus", "# Llama 2 7B Chat - GGUF": the base, then what was done
    parent = well_known_by_words(title) or well_known_by_words(re.split(r"\s+[-\u2013\u2014:|]\s+", title)[0])
    if parent is None or parent.lower() == child.lower() or own_page(child, parent):
        return None
    return Edge(child, parent, "card-text", 0.5, f"[copied-title] the card's title is {parent}'s: {m.group('title')}",
                "unknown")


#: Meta's card for each Llama 2 and Code Llama checkpoint says which one it is: "Llama 2 is a collection of ...
#: This is the repository for the 7B fine-tuned model, optimized for dialogue" (Llama-2-7b-chat-hf).
_META_CARD = re.compile(r"(?P<family>llama 2|code llama) is a collection of pretrained and fine-tuned generative text "
                        r"models[^\n]{0,200}?this is the repository for the (?:base )?(?P<size>\d+b) "
                        r"(?P<variant>pretrained|fine-tuned|python|instruct|version|base)")
_META_NAMES = {("llama 2", "pretrained"): "llama-2-{}-hf", ("llama 2", "fine-tuned"): "llama-2-{}-chat-hf",
               ("code llama", "python"): "codellama/CodeLlama-{}-Python-hf",
               ("code llama", "instruct"): "codellama-{}-instruct-hf"}


def meta_card_edge(child: str, text: str) -> Edge | None:
    """A card that carries Meta's Llama 2 or Code Llama text for one checkpoint ("This is the repository for the 13B
    pretrained model"): that checkpoint's card copied into a model made from it (low confidence)."""
    low = text[:MAX_TEXT_CHARS].lower()
    m = _META_CARD.search(low) if "is a collection of pretrained" in low else None
    if m is None:
        return None
    name = _META_NAMES.get((m.group("family"), m.group("variant")),
                           "llama-2-{}-hf" if m.group("family") == "llama 2" else "codellama-{}-hf")
    name = name.format(m.group("size"))
    parent = WELL_KNOWN.get(name, name if "/" in name else None)
    if parent is None or own_page(child, parent) or parent.lower() == child.lower():
        return None
    return Edge(child, parent, "card-text", 0.5, f"[meta-card] {_evidence(text, m.start(), m.end())}", "unknown")


def quantized_base_by_name_edge(child: str) -> Edge | None:
    """A quantized copy named exactly a popular base plus a format (`Meta-Llama-3.1-8B-Instruct-GGUF`) whose card
    names no original at all: the name is the evidence (last of the text rules, low confidence)."""
    own = child.rsplit("/", 1)[-1]
    base = _QUANT_TAIL.sub("", own)
    if base == own or not _QUANT_NAME.search(own[len(base):]):
        return None
    known = WELL_KNOWN.get(base.lower()) or well_known_by_words(base)
    if known is None or known.lower() == child.lower():
        return None
    return Edge(child, known, "card-text", 0.45, f"[quantized-base-name] {own} is {base} in a quantized format",
                "quantized")


#: A quantization or export format at the end of a name (`-GGUF`, `-GPTQ-4bit`, `-Int4`, `-GGUF-Q3_K_M`, `-AWQ`).
_QUANT_TAIL = re.compile(r"(?:[-_.](?:gguf|gptq|awq|exl[23]|ggml|mlx|int[348]|w[48]a(?:8|16)|[2-8][-_]?bits?|bnb|nf4|"
                         r"hqq|aqlm|eetq|nvfp4|mxfp4|fp4|q[0-8]f(?:16|32)(?:_\d)?|rkllm|rknn|qnn|mnn|ncnn|litert|"
                         r"executorch|mlc|llamafile|"
                         r"fp8|q[2-8](?:_k)?(?:_[sml0-9])?|tensorrt|trt|onnx|openvino|ct2|quantized|quant|imatrix|"
                         r"(?:32|64|128)g))+$",  # GPTQ's group size: `-4bit-128g`
                         re.I)
_REF_TOKEN = re.compile(r"(?:https?://)?[\w.@/-]*[\w/]")


def quantized_name_edge(child: str, text: str, resolver: Resolver) -> Edge | None:
    """A quantized or exported copy named `<original>-GGUF` (`-GPTQ`, `-Int4`, ...) whose card names `<original>`:
    by a link or id with that name, else as a popular base in words ("GPT-J 6B"). Of several "original model" lines
    (a base and its fine-tune) this is the one the copy was made from."""
    own = child.rsplit("/", 1)[-1]
    base = _QUANT_TAIL.sub("", own)
    if base == own or len(base) < 3:
        return None
    relation = "quantized" if _QUANT_NAME.search(own[len(base):]) else "unknown"  # `-onnx` alone is an export
    text = text[:MAX_TEXT_CHARS]
    key = base.lower()
    for token in _REF_TOKEN.finditer(text):
        value = token.group()
        low_value = value.lower().rstrip("/")
        if not (low_value.endswith(key) or low_value.replace("/", "-").endswith(key)):
            continue
        ref = resolver.resolve(value)
        # the copy's name is the original's, or the original's "owner-name" (`mmnga/aibuncho-japanese-...-gguf`)
        names = (ref.model_id.rsplit("/", 1)[-1].lower(), ref.model_id.lower().replace("/", "-")) if ref else ()
        if ref is not None and key in names and ref.model_id.lower() != child.lower():
            s_start, s_end = _sentence(text.lower(), token.start(), token.end())
            return Edge(child, ref.model_id, "card-text", 0.8, f"[quantized-name] {_evidence(text, s_start, s_end)}",
                        relation)
    variant = _instruct_variant_named(child, key, text, resolver)
    if variant is not None:
        return Edge(child, variant, "card-text", 0.7, f"[quantized-variant] {own} names {base}; the card names its "
                    f"{variant.rsplit('/', 1)[-1]}", relation)
    words = re.sub(r"[\s_]+", "-", text.lower().replace(own.lower(), " "))
    parts = re.split(r"[-_]", base)
    for i in range(len(parts)):  # "demo-SmolLM2-1.7B-Instruct": a prefix, then X named on its own in the card
        named = "-".join(parts[i:])
        known = well_known_by_words(named) if i == 0 or re.search(r"\d", named) else None
        said = named.lower().replace("_", "-")
        if known and known.lower() != child.lower() and (said in words if i == 0 else re.search(
                r"(?<![\w/.-])" + re.escape(said) + r"(?![\w.-])", words)):
            return Edge(child, known, "card-text", 0.6, f"[quantized-name] {own} names {named}", relation)
    for said in _ORIGINAL_LINK.finditer(text) if relation == "quantized" else ():
        ref = resolver.resolve(said.group("url"))
        if ref is not None and ref.model_id.lower() != child.lower() and not _PAGE_LINK.search(said.group("url")):
            return Edge(child, ref.model_id, "card-text", 0.6,
                        f"[quantized-original] {_evidence(text, *_sentence(text.lower(), *said.span()))}", relation)
    said = _THIS_MODELS_COPY.search(text)
    if said is not None and "/" in child and relation == "quantized":
        owner = child.split("/", 1)[0]
        return Edge(child, f"{owner}/{base}", "card-text", 0.4,
                    f"[quantized-own] {_evidence(text, *_sentence(text.lower(), *said.span()))}", relation)
    return None


_VARIANT_TAIL = re.compile(r"(?:instruct|chat|it)(?:v?\d+(?:\.\d+)*)?")


def _instruct_variant_named(child: str, key: str, text: str, resolver: Resolver) -> str | None:
    """The one Hub id the card names that is `key`'s instruct / chat version (`llama3-8b-gptq-4bit` quantized
    `meta-llama/Meta-Llama-3-8B-Instruct`: quantizers often drop the suffix from their repository's name)."""
    want = _squashed(key)
    found: set[str] = set()
    for token in _REF_TOKEN.finditer(text):
        if "/" not in token.group() or want[:4] not in _squashed(token.group()):
            continue
        ref = resolver.resolve(token.group())
        if ref is None or ref.model_id.lower() == child.lower():
            continue
        name = _squashed(ref.model_id.rsplit("/", 1)[-1])
        if name.startswith("meta") and not want.startswith("meta"):
            name = name[4:]
        if name.startswith(want) and _VARIANT_TAIL.fullmatch(name[len(want):]):
            found.add(ref.model_id)
    return found.pop() if len(found) == 1 else None


#: A quantized copy's card linking "the original [X](url)" / "original model: [X](url)": the model it was made from.
_ORIGINAL_LINK = re.compile(r"\boriginal\s+(?:model\s*:?\s*)?\[[^\]\n]{1,80}\]\((?P<url>https?://(?:huggingface\.co|hf\.co)/"
                            r"[^)\s]+)\)", re.I)
#: A quantized copy's card saying it is a copy of the model the card describes, naming no other: the original is
#: then the owner's own repository under the copy's name without its format suffix.
_THIS_MODELS_COPY = re.compile(r"\b(?:gguf|gptq|awq|exl2|ggml|quantized|quantised)\s+(?:version|conversion|"
                               r"quants?|files?|weights)\s+of\s+this\s+model\b", re.I)


_NAMED_BASE_VERBS = (r"(?:quantized|quantised|fine-?tuned)\s+version\s+of|based\s+on|built\s+on|"
                     r"fine-?tuned\s+(?:from|atop|on\s+top\s+of)|initiali[sz]ed\s+from|"
                     # "we fine-tuned BART Large CNN on SAMSum": the base right after the verb
                     r"(?<=we\s)fine-?tuned|"
                     r"(?:further|continued)\s+(?:pre-?)?trained\s+from|extended\s+version\s+of|"
                     r"developed\s+from|(?:continuous|continued|continual)\s+pre-?training\s+(?:from|of|on)")
_NAMED_BASE_TAIL = (r"\s+(?:the\s+)?(?:(?:base|pre-?trained)\s+model\s+)?(?:(?:multilingual|original|open)\s+)?"
                    # Qualcomm AI Hub's exports: "This is based on the implementation of Whisper-Base found [here]"
                    r"(?P<impl>implementation\s+of\s+(?:the\s+)?)?"
                    r"\**(?P<words>[a-z][a-z0-9.\-' ]{0,40}?(?::[0-9a-z.]+)?)\**"
                    r"(?:\s+(?:model|checkpoint)\b|(?=[,;:)]|\.(?:\s|$)|\s*\n|\s+(?:on|with|using|for|by|found)\s))")
_NAMED_BASE = re.compile(f"(?P<verb>{_NAMED_BASE_VERBS}){_NAMED_BASE_TAIL}")
#: Rarer wordings, in a pattern of their own run only when one occurs (each alternative in `_NAMED_BASE` costs a try
#: at every position of every card): "Fine-tuned Mistral 7B v0.1 on ..." opening a line, "a fine-tune of Qwen2.5 7B
#: Instruct", "trained on top of Phi-3 mini", "starts from Gemma 2 9B".
_NAMED_BASE_RARE = re.compile(r"(?P<verb>^fine-?tuned|fine-?tune\s+of|(?:trained|built)\s+on\s+top\s+of|"
                              r"(?:starts|started|continues|continued)\s+from)" + _NAMED_BASE_TAIL, re.M)
_RARE_WORDS = ("fine-tune of", "finetune of", "on top of", "starts from", "started from", "continues from",
               "continued from", "\nfine-tuned", "\nfinetuned")
#: "we integrated Mistral 7B weights into the upscaled layers", "initialized with the pre-trained RoBERTa large weights"
_NAMED_WEIGHTS = re.compile(r"(?P<verb>initiali[sz]ed\s+with|integrated|load(?:ed|s|ing)?|us(?:e|es|ed|ing)|"
                            r"(?<!scratch\s)(?<!random\s)from)\s+(?:the\s+)?(?:(?:pre-?trained|original|official)\s+)?"
                            r"(?P<impl>)\**(?P<words>[a-z][a-z0-9.\-' ]{0,40}?)\**\s+(?:pre-?trained\s+)?weights\b")
#: The same, for a family sized by the model's own name, which may also follow "(by) fine-tuning the".
_FAMILY_BASE = re.compile(f"(?P<verb>{_NAMED_BASE_VERBS}|fine-?tuning){_NAMED_BASE_TAIL}")


#: The Hugging Face team's card headline for a fine-tuned checkpoint: "# BART (large-sized model), fine-tuned on X".
_SIZED_HEADLINE = re.compile(r"^#[ \t]*(?P<family>[a-z][\w.\-]*(?:[ \t][a-z][\w.\-]*)?)[ \t]*"
                             r"\((?P<size>[a-z0-9]+)-sized[ \t]+model\)[ \t]*,?[ \t]*(?:fine-?tuned|finetuned)\b", re.M)


#: A title naming a popular base in words, then what it was fine-tuned on: "# RoBERTa large fine-tuned on MNLI".
_TUNED_HEADLINE = re.compile(r"^#[ \t]*(?P<words>[a-z][\w.\-() ]{2,60}?)[ \t]*,?[ \t]+(?:fine-?tuned|finetuned)[ \t]+"
                             r"(?:on|for|with)\b", re.M)
#: A Markdown link, read as its label: "fine-tuning the [Whisper](https://github.com/openai/whisper)" names Whisper.
_LINK_LABELS = re.compile(r"\[([^\]\n]{1,60})\]\([^)\s]*\)")
#: A size in a model's own name: a parameter count ("-13b", "_70B", "1.1b") or a Whisper/T5-style size word.
_OWN_SIZE = re.compile(r"(?:^|[-_.])(?P<size>\d+(?:\.\d+)?[bm]|tiny|small|base|medium|large(?:-v[23])?)(?=$|[-_.])")
#: A family named without its size: "the Llama 2 family", "Llama v2 Base", "Whisper", "OPT", "LLaMA-2-Chat".
_FAMILY = re.compile(r"^(?P<family>[a-z][a-z0-9.\- ]*?)(?P<chat>[\s-]+chat)?(?:\s+(?:family|series|base|models?))*$")
#: Families whose unsized name is ambiguous about the generation, never sized from the child's name.
_AMBIGUOUS_FAMILIES = frozenset({"llama", "bert", "gpt", "t5", "roberta", "mistral", "qwen", "gemma", "phi"})


def family_in_own_size(child: str, words: str) -> str | None:
    """A popular base named by its family only ("continuous pre-training from the Llama 2 family", "based on the
    Llama v2 Base model", "fine-tuning the multilingual Whisper"), sized by the model's own name
    (`Swallow-13b-hf` -> Llama-2-13b): a card shared by a family of sizes names the base once, each size its own.
    Never for a family name that leaves the generation open ("LLaMA", "BERT")."""
    m = _FAMILY.match(re.sub(r"\bv(\d)", r"\1", words.strip().lower()))
    if m is None or m.group("family").strip() in _AMBIGUOUS_FAMILIES:
        return None
    family = re.sub(r"\s+", "-", m.group("family").strip())
    sizes = [s.group("size") for s in _OWN_SIZE.finditer(child.rsplit("/", 1)[-1].lower())]
    chat = "-chat" if m.group("chat") or re.search(r"[-_]chat\b", child.lower()) else ""
    found = {hit for size in sizes for hit in (WELL_KNOWN.get(f"{family}-{size}{chat}"),) if hit}
    return found.pop() if len(found) == 1 else None


def named_base_edge(child: str, text: str) -> Edge | None:
    """A popular base named in words in a sentence that says it is the base ("a quantized version of the
    DistilBERT Base Uncased model"), or in a fine-tune's "# Family (size-sized model), fine-tuned on X" headline,
    resolved only through the table of popular bases; else a family the card names (a link read as its label),
    sized by the model's own name (`family_in_own_size`)."""
    text = text[:MAX_TEXT_CHARS]
    low = text.lower()
    headline = _SIZED_HEADLINE.search(low)
    if headline is not None:
        parent = well_known_by_words(f"{headline.group('family')} {headline.group('size')}")
        if parent and parent.lower() != child.lower():
            return Edge(child, parent, "card-text", 0.6, f"[sized-headline] {_evidence(text, *headline.span())}",
                        "finetune")
    headline = _TUNED_HEADLINE.search(low)  # "# BERT base model (uncased) fine-tuned on SST-2"
    if headline is not None:
        parent = well_known_by_words(headline.group("words"))
        if parent and parent.lower() != child.lower():
            return Edge(child, parent, "card-text", 0.6, f"[tuned-headline] {_evidence(text, *headline.span())}",
                        "finetune")
    labelled = _LINK_LABELS.sub(r"\1", text)
    for by_family, body in ((False, text), (True, labelled)):
        edge = _named_base_in(child, body, by_family)
        if edge is not None:
            return edge
    return None


def _named_base_in(child: str, text: str, by_family: bool) -> Edge | None:
    low = text.lower()
    for m in (_FAMILY_BASE.finditer(low) if by_family else
              itertools.chain(_NAMED_BASE.finditer(low), _NAMED_WEIGHTS.finditer(low) if " weights" in low else (),
                              _NAMED_BASE_RARE.finditer(low) if low.startswith(("fine-tuned", "finetuned")) or
                              any(w in low for w in _RARE_WORDS) else ())):
        s_start, s_end = _sentence(low, m.start(), m.end())
        if _blocked(low[s_start:m.start()]):
            continue
        words = m.group("words")
        parent = family_in_own_size(child, words) if by_family else well_known_by_words(words)
        if parent and parent.lower() != child.lower():
            verb = m.group("verb")
            relation = ("unknown" if m.group("impl") else "quantized" if verb.startswith("quantized") else
                        "continued-pretraining" if verb.startswith(("extended", "contin")) else "finetune")
            relation = _text_relation(relation, low, m.start("words"), s_end)
            return Edge(child, parent, "card-text", 0.5 if by_family else 0.6,
                        f"[{'family-own-size' if by_family else 'named-base'}] {_evidence(text, m.start(), m.end())}",
                        relation)
    return None


#: A card's "Base model: X" / "Model architecture: X" field line (bullet, bold key or plain), value to end of line;
#: "Finetuned from model [optional]:" is the Hub's model-card template; "**Language model:** roberta-base" deepset's.
_BASE_FIELD = re.compile(r"^[ \t]*(?:[-*+][ \t]+|\|[ \t]*)?\**[ \t]*(?P<key>base[ \t]+model|model[ \t]+architecture|"
                         r"model[ \t]+type|backbone|model|(?:base[ \t]+)?language[ \t]+model|"
                         r"modelo[ \t]+(?:de[ \t]+)?base|mod[eè]le[ \t]+de[ \t]+base|basismodell|"
                         r"pre-?trained[ \t]+model|foundation[ \t]+model|parent[ \t]+model|original[ \t]+model|"
                         r"fine-?tuned[ \t]+from(?:[ \t]+model)?(?:[ \t]*\[optional\])?)"
                         r"[ \t]*\**[ \t]*[:|][ \t]*\**[ \t]*"
                         r"(?P<value>\[[^\]\n]{1,60}\]\([^)\s]{1,200}\)|[^\n|]{1,60}?)"
                         r"[ \t]*\**[ \t]*"
                         r"(?:\|[^\n]*)?$", re.M)


_OWNER_NAME = re.compile(r"^[a-z0-9][\w.-]*/[\w.-]+$")


def base_field_edge(child: str, text: str, resolver: Resolver | None = None) -> Edge | None:
    """A popular base named as the whole value of a base-model or model-architecture field ("- **Model
    Architecture:** Pythia-410m"), resolved only through the table of popular bases: a sized checkpoint name, never
    a bare family or class name ("BERT", "BertForSequenceClassification"), which the table does not hold. A bare
    "Model:" field may also hold a Hub id (`**Model**: Helsinki-NLP/opus-mt-en-fr`), another model's than this."""
    text = text[:MAX_TEXT_CHARS]
    low = text.lower()
    for m in _BASE_FIELD.finditer(low):
        key = m.group("key")
        link = _CELL_LINK.fullmatch(m.group("value"))  # "- **Model**: [IndoBERT base-p1](https://huggingface.co/...)"
        if link is not None and resolver is not None and _HUB_URL.match(link.group("url")) and \
                not _PAGE_LINK.search(link.group("url")):  # a link into a file or a section is a reference only
            at = m.start("value") + link.start("url")
            ref = resolver.resolve(text[at:at + len(link.group("url"))])
            if ref is not None and not own_page(child, ref.model_id) and not derived_from_child(child, ref.model_id):
                return Edge(child, ref.model_id, "card-text", 0.6,
                            f"[base-field] {_evidence(text, m.start(), m.end())}", "finetune")
            continue
        value = re.sub(r"\s*\([^)]*\)\s*$", "", m.group("value")).strip("`*_'\" .")
        architecture = key.startswith(("model ", "model\t", "backbone"))
        parent = well_known_by_words(value) or (None if architecture or key == "model" else
                                                family_in_own_size(child, value))
        id_key = " ".join(key.split()) in ("model", "language model", "base language model")
        if parent is None and id_key and resolver is not None and _OWNER_NAME.match(value) and \
                not m.group(0)[:1].isspace() and "merge_method" not in low:  # not a mergekit config's entry
            at = text.lower().find(value, m.start("value"))
            ref = resolver.resolve(text[at:at + len(value)])
            parent = ref.model_id if ref is not None and not own_page(child, ref.model_id) else None
        if parent and parent.lower() != child.lower():
            relation = "unknown" if architecture else "finetune"
            return Edge(child, parent, "card-text", 0.5, f"[base-field] {_evidence(text, m.start(), m.end())}",
                        relation)
    return None


def identify_model(child: str, card_data: dict[str, Any], tags: list[str], card_text: str | None,
                   resolver: Resolver) -> tuple[list[Edge], list[str]]:
    """Card metadata and Hub tags (all upstreams); else the card text (one). Name hints are the caller's
    last resort, after the LLM."""
    warnings: list[str] = []
    edges = metadata_edges(child, card_data, resolver, warnings)
    position = {e.parent: i for i, e in enumerate(edges)}
    for edge in tag_edges(child, tags, resolver, warnings) if tags else ():
        if edge.parent not in position:
            edges.append(edge)
        elif edge.relation != "unknown" and "base_model_relation" not in card_data:
            i = position[edge.parent]  # the tag knows the relation the card left unsaid
            edges[i] = edges[i]._replace(relation=edge.relation)
    if card_text and ("\\*" in card_text or "\\[" in card_text or "\\_" in card_text):
        card_text = _MD_ESCAPE.sub(r"\1", card_text)  # a card exported with escaped Markdown: "\*\*Model\*\*:"
    if not edges and card_text:
        edges = card_text_edges(child, card_text, resolver)
    elif len(edges) == 1 and card_text and _QUANT_TAIL.search(child.rsplit("/", 1)[-1]):
        edges = [_converted_source(child, edges[0], card_text, resolver)]
    elif len(edges) == 1 and card_text and "base_model_relation" not in card_data and edges[0].relation != "adapter" \
            and "merg" in card_text[:MAX_TEXT_CHARS].lower():
        edges = _merged_with_declared(child, edges[0], card_text, resolver)
    edges = [refine_relation(e, child, card_data, tags, card_text, resolver) for e in edges]
    return edges, warnings


def _merged_with_declared(child: str, declared: Edge, text: str, resolver: Resolver) -> list[Edge]:
    """A merge whose metadata declares one `base_model` (mergekit's cards often list only the base, or one of the
    models): when the card's merge list or config names that model among two or more, every model it names is a
    parent, the declared one first, all as `merge`; else the declared edge alone."""
    merged = (merge_edges(child, text, resolver) or merge_config_edges(child, text, resolver)
              or merge_sentence_edges(child, text, resolver))
    if len(merged) < 2 or all(e.parent.lower() != declared.parent.lower() for e in merged):
        return [declared]
    others = [e._replace(relation="merge") for e in merged if e.parent.lower() != declared.parent.lower()]
    return [declared._replace(relation="merge"), *others]


def _converted_source(child: str, declared: Edge, text: str, resolver: Resolver) -> Edge:
    """A converted copy's (`-GGUF`, `-mlx-4bit`) declared `base_model`, unless its text says plainly which model
    it was converted from and that is another one: the tools that write these cards copy the original's metadata,
    so `base_model` is often the grandparent (or another model's) while "converted to MLX format from X" is not."""
    for hit in _text_hits(child, text, resolver):
        if hit.corroborated and hit.relation == "quantized" and hit.confidence >= 0.8:
            if hit.ref.model_id.lower() == declared.parent.lower() or derived_from_child(child, hit.ref.model_id):
                return declared
            return Edge(child, hit.ref.model_id, "card-text", hit.confidence,
                        f"[{hit.rule}] {hit.evidence} (over base_model: {declared.parent})", hit.relation)
    return declared


_MD_ESCAPE = re.compile(r"\\([*_\[\]#`>|-])")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BASE_COLUMN = re.compile(r"^(?:base|parent|foundation|original|pre-?trained|upstream|initial)[ _-]?"
                          r"(?:models?|checkpoints?)?$|^backbone$|^initiali[sz]ed\s+from$|^fine-?tuned\s+from$")
_CELL_LINK = re.compile(r"\[(?P<label>[^\]\n]*)\]\((?P<url>[^)\s]*)\)")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _cell_text(cell: str) -> str:
    return _CELL_LINK.sub(lambda m: m.group("label"), cell).strip(" *_`")


def own_row_edge(child: str, text: str, resolver: Resolver) -> Edge | None:
    """A table with a base-model column (`| Model | Base Model | ... |`) whose row for this very model (a cell
    that is the card's own name) names its base; the other rows are siblings and say nothing of this one."""
    own = child.rsplit("/", 1)[-1].lower()
    low = text[:MAX_TEXT_CHARS].lower()
    if not re.search(r"\|[ \t*_]*(?:base|parent|foundation|original|pre-?trained|upstream|initial|backbone|"
                     r"fine-?tuned from)", low) or (own not in low and _squashed(own) not in _squashed(low)):
        return None
    lines = text[:MAX_TEXT_CHARS].splitlines()
    for i in range(len(lines) - 2):
        if not lines[i].lstrip().startswith("|") or not _TABLE_SEP.match(lines[i + 1]):
            continue
        header = [_cell_text(c).lower() for c in _cells(lines[i])]
        columns = [j for j, h in enumerate(header) if _BASE_COLUMN.match(h)]
        if len(columns) != 1:
            continue
        col = columns[0]
        for line in lines[i + 2:]:
            if not line.lstrip().startswith("|"):
                break
            cells = _cells(line)
            if col >= len(cells) or not any(_squashed(_cell_text(c)) in (_squashed(own), _squashed(child))
                                            for j, c in enumerate(cells) if j != col):
                continue
            ref = _cell_ref(cells[col], resolver)
            if ref is not None and ref.lower() != child.lower() and not derived_from_child(child, ref):
                return Edge(child, ref, "card-text", 0.75, f"[own-row] {header[col]}: {_cell_text(cells[col])}",
                            "finetune")
    return None


def _cell_ref(cell: str, resolver: Resolver) -> str | None:
    """The model a table cell names: a Hub link, an id, or a popular base in words."""
    link = _CELL_LINK.search(cell)
    for raw in ((link.group("url"), link.group("label")) if link else ()) + (_cell_text(cell),):
        ref = resolver.resolve(raw) if raw else None
        if ref is not None:
            return ref.model_id
    return well_known_by_words(_cell_text(cell))


#: Chinese phrasing of "based on X, fine-tuned" / "fine-tuned X" / "a backup (copy) of X" / "X's quantized model".
_CJK_ID = r"[`*\[\s]*(?P<id>[a-z0-9][a-z0-9._\-]*(?:/[a-z0-9][a-z0-9._\-]*)?)[`*\]\s]*"
_CJK_TUNE = (r"(?:全量|全参数|全參數|指令|增量)?\s*"
             r"(?P<verb>微调|微調|精调|精調|继续预训练|繼續預訓練|增量预训练|二次预训练|量化)")
_CJK_TUNE_WORDS = ("微调", "微調", "精调", "精調", "预训练", "預訓練", "量化")
_CJK_RULES = (  # each with the words that must occur for it to match
    (_CJK_TUNE_WORDS, re.compile(r"(?:基于|基於|源自|在)\s*(?:huggingface\s*(?:的|上的)?\s*)?" + _CJK_ID +
                                 r"(?:的|嘅)?\s*(?:基础上|基礎上)?\s*(?:进行|進行|做)?\s*(?:了)?\s*" + _CJK_TUNE)),
    (_CJK_TUNE_WORDS, re.compile(r"(?:使用|采用|採用|用)[^。\n，,]{0,12}?" + _CJK_ID +
                                 r"(?:模型)?\s*(?:进行|進行|做)\s*(?:了)?\s*" + _CJK_TUNE)),
    # "基于零一万物开源的 **Yi-34B** 模型，使用……语料训练而来" (based on the maker's open X model, then trained)
    (("微调", "微調", "训练", "訓練"),
     re.compile(r"(?:基于|基於)[^。\n，,`*\[]{0,12}?(?:的)" + _CJK_ID + r"(?:大)?模型\s*[，,][^。\n]{0,40}?"
                r"(?P<verb>微调|微調|训练|訓練)")),
    # "准备学生模型 Qwen2.5-7B-Instruct：" (the student model of a distillation: where its weights start)
    (("学生模型", "學生模型"), re.compile(r"(?P<verb>学生模型|學生模型)\s*(?:为|為|是|[:：])?" + _CJK_ID)),
    # "本模型基于bert-base-chinese，在THUCNews数据集上进行了微调" (based on X, then fine-tuned on a dataset)
    (("微调", "微調", "精调", "精調"),
     re.compile(r"(?:基于|基於)\s*" + _CJK_ID + r"\s*[，,][^。\n]{0,40}?(?P<verb>微调|微調|精调|精調)")),
    # "基于 X，继续在 20G 金融语料上训练" (based on X, training continued on a corpus)
    (("继续", "繼續"),
     re.compile(r"(?:基于|基於)\s*" + _CJK_ID + r"\s*[，,]\s*(?P<verb>继续|繼續)[^。\n]{0,24}?(?:训练|訓練)")),
    (("备份", "備份", "镜像", "鏡像", "量化", "微调版本", "微調版本"),
     re.compile(_CJK_ID + r"(?:的|嘅)\s*"
                r"(?P<verb>模型备份|模型備份|备份|備份|镜像|鏡像|量化模型|量化版本|微调版本|微調版本)")),
)
#: "以 [X](url) 為基礎" / "以 X 为基础" (taking X as the foundation), X named within 20 characters of 以.
_CJK_FOUNDATION = re.compile(r"以[^。\n，,]{0,20}?(?:\[(?P<label>[^\]\n]{1,60})\]\([^)\s]*\)|" + _CJK_ID + r")\s*"
                             r"(?:為|为|作為|作为)\s*(?:基礎|基础)")
_CJK_RELATION = (("学生", "distillation"), ("學生", "distillation"),
                 ("量化", "quantized"), ("备份", "unknown"), ("備份", "unknown"), ("镜像", "unknown"),
                 ("鏡像", "unknown"), ("预训练", "continued-pretraining"), ("預訓練", "continued-pretraining"),
                 ("继续", "continued-pretraining"), ("繼續", "continued-pretraining"))


def cjk_edge(child: str, text: str, resolver: Resolver) -> Edge | None:
    """A base named in a Chinese sentence ("基于 X 微调", "使用 X 进行微调", "X 的模型备份"), when X is an id
    or a popular base; not a dataset ("基于 X 数据集" has no fine-tuning verb right after X)."""
    low = text[:MAX_TEXT_CHARS].lower()
    if not re.search(r"[\u4e00-\u9fff]", low):
        return None
    for needles, pattern in _CJK_RULES:
        if not any(needle in low for needle in needles):
            continue  # the words the pattern must find (its verb), looked up before the pattern scans the card
        for m in pattern.finditer(low):
            ref = resolver.resolve(m.group("id"))
            if ref is None or ref.model_id.lower() == child.lower() or derived_from_child(child, ref.model_id):
                continue
            relation = next((rel for word, rel in _CJK_RELATION if word in m.group("verb")), "finetune")
            return Edge(child, ref.model_id, "card-text", 0.7, f"[cjk] {_evidence(text, m.start(), m.end())}",
                        relation)
    for m in _CJK_FOUNDATION.finditer(low) if "以" in low else ():
        named = m.group("label") or m.group("id")
        ref = resolver.resolve(named) if m.group("id") else None
        parent = ref.model_id if ref is not None else well_known_by_words(named)
        if parent and parent.lower() != child.lower() and not derived_from_child(child, parent):
            return Edge(child, parent, "card-text", 0.6, f"[cjk] {_evidence(text, m.start(), m.end())}", "finetune")
    return None
