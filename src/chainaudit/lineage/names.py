"""Model-id resolution: URLs and revisions stripped, case-insensitive, legacy un-namespaced ids mapped.

An upstream that is not in the catalog stays an *external* node under its canonical id.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import NamedTuple

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

_LEGACY_BY_ORG: dict[str, tuple[str, ...]] = {
    "google-bert": (
        "bert-base-uncased", "bert-base-cased", "bert-large-uncased", "bert-large-cased", "bert-base-chinese",
        "bert-base-multilingual-uncased", "bert-base-multilingual-cased", "bert-base-german-cased",
        "bert-base-german-dbmdz-cased", "bert-base-german-dbmdz-uncased", "bert-base-cased-finetuned-mrpc",
        "bert-large-uncased-whole-word-masking", "bert-large-cased-whole-word-masking",
        "bert-large-uncased-whole-word-masking-finetuned-squad",
        "bert-large-cased-whole-word-masking-finetuned-squad"),
    "distilbert": (
        "distilbert-base-uncased", "distilbert-base-cased", "distilbert-base-multilingual-cased",
        "distilbert-base-uncased-distilled-squad", "distilbert-base-cased-distilled-squad",
        "distilbert-base-uncased-finetuned-sst-2-english", "distilbert-base-german-cased", "distilroberta-base",
        "distilgpt2"),
    "FacebookAI": (
        "roberta-base", "roberta-large", "roberta-large-mnli", "xlm-roberta-base", "xlm-roberta-large",
        "xlm-roberta-large-finetuned-conll02-dutch", "xlm-roberta-large-finetuned-conll02-spanish",
        "xlm-roberta-large-finetuned-conll03-english", "xlm-roberta-large-finetuned-conll03-german",
        "xlm-mlm-en-2048", "xlm-mlm-100-1280", "xlm-mlm-17-1280", "xlm-clm-ende-1024", "xlm-mlm-ende-1024"),
    "openai-community": (
        "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "openai-gpt", "roberta-base-openai-detector",
        "roberta-large-openai-detector"),
    "albert": (
        "albert-base-v1", "albert-large-v1", "albert-xlarge-v1", "albert-xxlarge-v1", "albert-base-v2",
        "albert-large-v2", "albert-xlarge-v2", "albert-xxlarge-v2"),
    "google-t5": ("t5-small", "t5-base", "t5-large", "t5-3b", "t5-11b"),
    "xlnet": ("xlnet-base-cased", "xlnet-large-cased"),
    "Salesforce": ("ctrl",),
    "almanach": ("camembert-base",),
    "transfo-xl": ("transfo-xl-wt103",),
    "flaubert": ("flaubert_small_cased", "flaubert_base_uncased", "flaubert_base_cased", "flaubert_large_cased"),
}
#: Well-known un-namespaced ids (lower case) and where the Hub moved them.
LEGACY_IDS: dict[str, str] = {name.lower(): f"{org}/{name}" for org, names in _LEGACY_BY_ORG.items()
                              for name in names}
#: Popular base models by their name alone, for a card that names its base only through a local folder
#: (`/home/me/models/chatglm2-6b`): the folder's name resolves here when the catalog does not know it.
_BASES_BY_ORG: dict[str, tuple[str, ...]] = {
    "THUDM": ("chatglm-6b", "chatglm2-6b", "chatglm3-6b", "glm-4-9b-chat"),
    "Qwen": ("Qwen-1_8B", "Qwen-14B", "Qwen-14B-Chat", "Qwen-72B", "Qwen-72B-Chat", "Qwen1.5-0.5B", "Qwen1.5-1.8B",
             "Qwen1.5-4B", "Qwen1.5-7B", "Qwen1.5-14B", "Qwen1.5-14B-Chat", "Qwen1.5-32B", "Qwen1.5-72B",
             "Qwen2-72B", "Qwen2-72B-Instruct", "Qwen2.5-1.5B", "Qwen2.5-32B", "Qwen2.5-72B", "Qwen2.5-Math-1.5B",
             "Qwen2.5-Math-7B", "Qwen2.5-Coder-1.5B", "Qwen2.5-Coder-7B", "Qwen2.5-Coder-1.5B-Instruct",
             "Qwen2.5-Coder-32B-Instruct", "Qwen2-VL-2B-Instruct", "Qwen2.5-VL-3B-Instruct", "Qwen3-0.6B-Base",
             "Qwen3-1.7B-Base", "Qwen3-4B-Base", "Qwen3-8B-Base", "Qwen3-14B-Base",
             "Qwen3-0.6B", "Qwen3-1.7B", "Qwen3-4B", "Qwen3-8B", "Qwen3-14B", "Qwen3-32B", "Qwen3-30B-A3B",
             "Qwen2.5-3B", "Qwen2.5-14B", "Qwen2.5-14B-Instruct", "Qwen2.5-32B-Instruct", "Qwen2.5-72B-Instruct",
             "Qwen2.5-Coder-7B-Instruct", "Qwen2-VL-7B-Instruct", "Qwen2.5-VL-7B-Instruct", "Qwen-VL-Chat",
             "Qwen2-0.5B", "Qwen2-0.5B-Instruct", "Qwen2-1.5B", "Qwen2-1.5B-Instruct", "Qwen2-7B", "Qwen2-7B-Instruct",
             "Qwen2.5-0.5B", "Qwen2.5-0.5B-Instruct", "Qwen2.5-1.5B-Instruct", "Qwen2.5-3B-Instruct", "Qwen2.5-7B",
             "Qwen2.5-7B-Instruct", "Qwen-7B", "Qwen-7B-Chat", "Qwen1.5-7B-Chat"),
    "meta-llama": ("Llama-2-7b-hf", "Llama-2-7b-chat-hf", "Llama-2-13b-hf", "Llama-2-13b-chat-hf",
                   "Meta-Llama-3-8B", "Meta-Llama-3-8B-Instruct", "Llama-3.1-8B", "Llama-3.1-8B-Instruct",
                   "Llama-3.2-1B", "Llama-3.2-1B-Instruct", "Llama-3.2-3B", "Llama-3.2-3B-Instruct",
                   "Llama-2-70b-hf", "Llama-2-70b-chat-hf", "Meta-Llama-3-70B-Instruct", "Llama-3.3-70B-Instruct",
                   "Llama-3.1-70B", "Llama-3.1-70B-Instruct", "Llama-3.1-405B", "Llama-3.1-405B-Instruct",
                   "Llama-3.2-11B-Vision", "Llama-3.2-11B-Vision-Instruct", "Llama-Guard-3-8B"),
    "mistralai": ("Mistral-7B-v0.1", "Mistral-7B-Instruct-v0.1", "Mistral-7B-Instruct-v0.2",
                  "Mistral-7B-Instruct-v0.3", "Mixtral-8x7B-v0.1", "Mixtral-8x7B-Instruct-v0.1"),
    "bigscience": ("bloom-560m", "bloom-1b1", "bloom-1b7", "bloom-3b", "bloom-7b1", "bloomz-560m", "bloomz-7b1"),
    "baichuan-inc": ("Baichuan2-7B-Base", "Baichuan2-7B-Chat", "Baichuan2-13B-Chat", "Baichuan-7B"),
    "google": ("gemma-2b", "gemma-7b", "gemma-2-2b", "gemma-2-9b", "gemma-3-1b-it", "gemma-3-4b-it",
               "gemma-2-2b-it", "gemma-2-9b-it", "flan-t5-small", "flan-t5-base",
               "flan-t5-large", "flan-t5-xl", "mt5-small", "mt5-base", "mt5-large", "electra-small-discriminator",
               "electra-base-discriminator"),
    "microsoft": ("phi-1_5", "phi-2", "phi-4", "Phi-3-mini-4k-instruct", "Phi-3.5-mini-instruct",
                  "Phi-4-mini-instruct", "deberta-v3-base", "deberta-v3-large", "deberta-base",
                  "MiniLM-L12-H384-uncased"),
    "EleutherAI": ("gpt-neo-125m", "gpt-neo-1.3B", "gpt-j-6b", "pythia-70m", "pythia-160m", "pythia-410m",
                   "pythia-1b"),
    "facebook": ("opt-125m", "opt-350m", "opt-1.3b", "opt-2.7b", "opt-6.7b", "opt-13b", "opt-30b",
                 "opt-66b", "bart-base", "bart-large", "bart-large-mnli",
                 "bart-large-cnn"),
    "TinyLlama": ("TinyLlama-1.1B-Chat-v1.0", "TinyLlama-1.1B-intermediate-step-1431k-3T"),
    "HuggingFaceTB": ("SmolLM2-135M", "SmolLM2-135M-Instruct", "SmolLM2-360M", "SmolLM2-360M-Instruct", "SmolLM2-1.7B",
                      "SmolLM2-1.7B-Instruct", "SmolLM-135M", "SmolLM-360M", "SmolLM-1.7B", "SmolLM3-3B"),
    "codellama": ("CodeLlama-7b-hf", "CodeLlama-13b-hf", "CodeLlama-34b-hf", "CodeLlama-7b-Instruct-hf",
                  "CodeLlama-13b-Instruct-hf", "CodeLlama-34b-Instruct-hf", "CodeLlama-7b-Python-hf"),
    # LLaMA-1 has no official Hub repository; huggyllama's copies are what its fine-tunes load
    "huggyllama": ("llama-7b", "llama-13b", "llama-30b", "llama-65b"),
    "sentence-transformers": ("all-MiniLM-L6-v2", "all-mpnet-base-v2", "paraphrase-multilingual-MiniLM-L12-v2"),
    "openai": ("whisper-tiny", "whisper-base", "whisper-small", "whisper-medium", "whisper-large",
               "whisper-large-v2",
               "whisper-large-v3", "whisper-large-v3-turbo",
               "clip-vit-base-patch32"),
    "runwayml": ("stable-diffusion-v1-5",),
    "internlm": ("internlm-7b", "internlm-chat-7b", "internlm2-7b", "internlm2-chat-7b", "internlm2_5-7b-chat"),
    "tiiuae": ("falcon-7b", "falcon-7b-instruct", "falcon-40b", "falcon-40b-instruct"),
    "deepseek-ai": ("deepseek-llm-7b-base", "deepseek-llm-7b-chat", "deepseek-coder-6.7b-instruct",
                    "DeepSeek-R1-Distill-Qwen-1.5B", "DeepSeek-R1-Distill-Qwen-7B", "DeepSeek-R1-Distill-Qwen-14B",
                    "DeepSeek-R1-Distill-Qwen-32B", "DeepSeek-R1-Distill-Llama-8B", "DeepSeek-R1-0528-Qwen3-8B"),
    "01-ai": ("Yi-6B", "Yi-6B-Chat", "Yi-34B"),
    "lmsys": ("vicuna-7b-v1.5", "vicuna-13b-v1.5"),
    "HuggingFaceH4": ("zephyr-7b-beta",),
    "upstage": ("SOLAR-10.7B-v1.0", "SOLAR-10.7B-Instruct-v1.0"),
    "bigcode": ("starcoder", "starcoderbase", "starcoder2-3b", "starcoder2-7b"),
    "stabilityai": ("stable-diffusion-xl-base-1.0", "stable-diffusion-2-1"),
    "BAAI": ("bge-small-en-v1.5", "bge-base-en-v1.5", "bge-large-en-v1.5", "bge-m3"),
    "intfloat": ("e5-small-v2", "e5-base-v2", "e5-large-v2", "multilingual-e5-base", "multilingual-e5-large"),
    "thenlper": ("gte-small", "gte-base", "gte-large"),
    "nlpaueb": ("legal-bert-base-uncased",),
    "emilyalsentzer": ("Bio_ClinicalBERT",),
    "allenai": ("scibert_scivocab_uncased", "longformer-base-4096"),
    "dmis-lab": ("biobert-v1.1", "biobert-base-cased-v1.1"),
    "cardiffnlp": ("twitter-roberta-base", "twitter-roberta-base-sentiment", "twitter-roberta-base-sentiment-latest"),
    "vinai": ("bertweet-base", "phobert-base", "phobert-large"),
    "dccuchile": ("bert-base-spanish-wwm-uncased", "bert-base-spanish-wwm-cased"),
    "ProsusAI": ("finbert",),
    "yiyanghkust": ("finbert-tone",),
    "shenzhi-wang": ("Llama3-8B-Chinese-Chat",),
    "answerdotai": ("ModernBERT-base", "ModernBERT-large"),
    "Langboat": ("mengzi-bert-base",),
    "tohoku-nlp": ("bert-base-japanese", "bert-base-japanese-whole-word-masking", "bert-base-japanese-v3"),
}
#: How cards name those bases in words ("Mistral 7B", "Llama 2 7B"), hyphenated and lower-cased; never a bare family
#: name ("RoBERTa", "BERT"), which names an architecture as often as a checkpoint.
_ALIASES = {"mistral-7b": "mistralai/Mistral-7B-v0.1", "llama-2-7b": "meta-llama/Llama-2-7b-hf",
            "llama-2-13b": "meta-llama/Llama-2-13b-hf", "llama-3-8b": "meta-llama/Meta-Llama-3-8B",
            "llama-3.1-8b": "meta-llama/Llama-3.1-8B", "xlm-r-base": "FacebookAI/xlm-roberta-base",
            "xlm-r-large": "FacebookAI/xlm-roberta-large", "gpt-j-6b": "EleutherAI/gpt-j-6b",
            "llama-2-70b": "meta-llama/Llama-2-70b-hf", "mixtral-8x7b": "mistralai/Mixtral-8x7B-v0.1",
            "bert-multilingual-cased": "google-bert/bert-base-multilingual-cased",
            "bert-multilingual-uncased": "google-bert/bert-base-multilingual-uncased",
            "mbert-cased": "google-bert/bert-base-multilingual-cased",
            "llama-1-7b": "huggyllama/llama-7b", "llama-1-13b": "huggyllama/llama-13b",
            "llama-1-30b": "huggyllama/llama-30b", "llama-1-65b": "huggyllama/llama-65b",
            "llama-2-7b-chat": "meta-llama/Llama-2-7b-chat-hf", "llama-2-13b-chat": "meta-llama/Llama-2-13b-chat-hf",
            "llama-2-70b-chat": "meta-llama/Llama-2-70b-chat-hf",
            "zephyr-7b": "HuggingFaceH4/zephyr-7b-beta", "solar-10.7b": "upstage/SOLAR-10.7B-v1.0",
            "openchat-3.5": "openchat/openchat_3.5", "llama-3-8b-instruct": "meta-llama/Meta-Llama-3-8B-Instruct",
            "llama-3-70b": "meta-llama/Meta-Llama-3-70B",
            "llama-3-70b-instruct": "meta-llama/Meta-Llama-3-70B-Instruct",
            "phi-3-mini": "microsoft/Phi-3-mini-4k-instruct", "codellama-7b": "codellama/CodeLlama-7b-hf",
            "codellama-13b": "codellama/CodeLlama-13b-hf", "codellama-34b": "codellama/CodeLlama-34b-hf",
            "stable-diffusion-1.5": "runwayml/stable-diffusion-v1-5",
            "stable-diffusion-v1.5": "runwayml/stable-diffusion-v1-5", "sd-1.5": "runwayml/stable-diffusion-v1-5",
            "opt-6.7b": "facebook/opt-6.7b", "opt-13b": "facebook/opt-13b", "sdxl-1.0-base":
            "stabilityai/stable-diffusion-xl-base-1.0", "sdxl-base-1.0": "stabilityai/stable-diffusion-xl-base-1.0",
            # ELECTRA's fine-tunes start from the discriminator; "MPNet base", "XLNet base", "Longformer base"
            "electra-small": "google/electra-small-discriminator", "electra-base": "google/electra-base-discriminator",
            "electra-large": "google/electra-large-discriminator", "mpnet-base": "microsoft/mpnet-base",
            "xlnet-base": "xlnet/xlnet-base-cased", "xlnet-large": "xlnet/xlnet-large-cased",
            "longformer-base": "allenai/longformer-base-4096", "longformer-large": "allenai/longformer-large-4096",
            "minilm-l12-h384": "microsoft/MiniLM-L12-H384-uncased"}
#: Pre-trained checkpoints known by a family name of their own ("BETO", "CamemBERT", "KoBERT", "BioBERT"): a
#: language- or domain-specific model with one main checkpoint, so the name means that checkpoint (its base size
#: where there are several). Generic architecture names (BERT, RoBERTa, T5, GPT-2, DistilBERT) are not here.
_FAMILIES = {
    "distilroberta": "distilbert/distilroberta-base", "beto": "dccuchile/bert-base-spanish-wwm-uncased",
    "bertimbau": "neuralmind/bert-base-portuguese-cased",
    "camembert": "almanach/camembert-base", "flaubert": "flaubert/flaubert_base_cased",
    "barthez": "moussaKam/barthez", "arabert": "aubmindlab/bert-base-arabertv02", "marbert": "UBC-NLP/MARBERT",
    "kobert": "monologg/kobert", "kcbert": "beomi/kcbert-base", "koelectra": "monologg/koelectra-base-v3-discriminator",
    "koelectra-base-v3": "monologg/koelectra-base-v3-discriminator",
    "klue-bert": "klue/bert-base", "klue-roberta": "klue/roberta-base", "indobert": "indobenchmark/indobert-base-p1",
    "phobert": "vinai/phobert-base", "bertweet": "vinai/bertweet-base", "herbert": "allegro/herbert-base-cased",
    "robbert": "pdelobelle/robbert-v2-dutch-base", "bertje": "GroNLP/bert-base-dutch-cased",
    "rubert": "DeepPavlov/rubert-base-cased", "gbert": "deepset/gbert-base", "gottbert": "uklfr/gottbert-base",
    "muril": "google/muril-base-cased", "indic-bert": "ai4bharat/indic-bert",
    "banglabert": "csebuetnlp/banglabert", "mdeberta": "microsoft/mdeberta-v3-base",
    "mdeberta-v3": "microsoft/mdeberta-v3-base", "labse": "sentence-transformers/LaBSE",
    "xlm-t": "cardiffnlp/twitter-xlm-roberta-base", "twhin-bert": "Twitter/twhin-bert-base",
    "scibert": "allenai/scibert_scivocab_uncased", "biobert": "dmis-lab/biobert-v1.1",
    "clinicalbert": "emilyalsentzer/Bio_ClinicalBERT", "bio-clinicalbert": "emilyalsentzer/Bio_ClinicalBERT",
    "pubmedbert": "microsoft/BiomedNLP-PubMedBERT-base-uncased-abstract-fulltext",
    "legal-bert": "nlpaueb/legal-bert-base-uncased",
    "codebert": "microsoft/codebert-base", "graphcodebert": "microsoft/graphcodebert-base",
    "covid-twitter-bert": "digitalepidemiologylab/covid-twitter-bert-v2",
    "macbert": "hfl/chinese-macbert-base", "chinese-roberta-wwm-ext": "hfl/chinese-roberta-wwm-ext",
    "chinese-bert-wwm": "hfl/chinese-bert-wwm", "chinese-bert-wwm-ext": "hfl/chinese-bert-wwm-ext",
    "twitter-roberta": "cardiffnlp/twitter-roberta-base", "finbert": "ProsusAI/finbert",
}
WELL_KNOWN: dict[str, str] = {**{name.lower(): f"{org}/{name}" for org, names in _BASES_BY_ORG.items()
                                 for name in names}, **LEGACY_IDS, **_FAMILIES, **_ALIASES}


#: A maker's name before a model's ("OpenAI Whisper-Base", "Meta's Llama 2 7B"), dropped when naming it in words.
_MAKER = re.compile(r"^(?:(?:openai|meta|google|microsoft|facebook|mistral(?:\s*ai)?|alibaba|hugging\s*face|"
                    r"huggingface|eleutherai|bigscience|stability\s*ai|deepseek|tii)(?:'s|\u2019s)?\s+|meta-(?=llama))")


_LEADING_ARTICLE = re.compile(r"^(?:(?:the|a|an)\s+)")
_LEADING_MODEL = re.compile(r"^(?:pre-?trained\s+|base\s+)?model\s+")
_CASING_TITLE = re.compile(r"(?:\s+model)?\s*\(((?:un)?cased)\)$")
_DOTTED_VERSION = re.compile(r"(?<=[a-z])(?=\d+\.\d)|:")
_CHAT_SIZE = re.compile(r"([\s-])chat[\s-](\d+(?:\.\d+)?b)$")
_SPACES = re.compile(r"\s+")
_SPACES_UNDERSCORES = re.compile(r"[\s_]+")


@functools.lru_cache(maxsize=1 << 16)
def well_known_by_words(words: str) -> str | None:
    """The popular base a card names in words ("the DistilBERT Base Uncased", "Mistral 7B", "OpenAI Whisper-Base
    model", "RoBERTa large"), if any; never a bare family name ("BERT", "T5"), which the table does not hold.
    Cached: a catalog's cards name the same few bases in the same words again and again."""
    low = _LEADING_ARTICLE.sub("", words.strip().lower().strip("*_`'\" "))
    low = _LEADING_MODEL.sub("", low)  # "the base model LLaMA 13B"
    low = _CASING_TITLE.sub(r" \1", low)  # "BERT base model (uncased)", a card title
    spaced = _DOTTED_VERSION.sub("-", low)  # ollama's "llama3.2:1b" is Llama-3.2-1B
    named = (low, _MAKER.sub("", low), spaced, _MAKER.sub("", spaced))
    for name in dict.fromkeys([*(_MODEL_WORD.sub("", n.strip()) for n in named),
                               *(_MODEL_WORDS.sub("", n.strip()) for n in named)]):  # "T5 base model" first
        chat_last = _CHAT_SIZE.sub(r"\1\2-chat", name)  # "LLaMA-2-Chat-7B"
        for form in (name, _VERSION.sub(r"\1v\2", name), chat_last):  # "Mistral 7B 0.1" is Mistral-7B-v0.1
            hit = WELL_KNOWN.get(_SPACES.sub("-", form)) or WELL_KNOWN.get(_SPACES_UNDERSCORES.sub("-", form))
            if hit:
                return hit
    for name in dict.fromkeys((low, _MAKER.sub("", low))):  # "Qwen14B", "Meta-Llama3.2-1B-Instruct", "phi 3 mini"
        name = _MODEL_WORDS.sub("", name.strip())
        hit = _SQUASHED.get(_squash(name))
        if hit:
            return hit
    return official_by_prefix(words.strip().strip("*_`'\" "))


#: The checkpoint a classifier's card most probably means when it names only a generic architecture family as
#: what it fine-tuned ("fine-tune the RoBERTa model"): the family's first public base-size checkpoint, or the size,
#: casing or multilingual variant the card or the model's own name spells out (`family_checkpoint`).
_FAMILY_CHECKPOINTS = {"distilbert": "distilbert/distilbert-base-uncased",
                       "distilroberta": "distilbert/distilroberta-base", "roberta": "FacebookAI/roberta-base",
                       "xlmroberta": "FacebookAI/xlm-roberta-base", "xlmr": "FacebookAI/xlm-roberta-base",
                       "bert": "google-bert/bert-base-uncased", "mbert": "google-bert/bert-base-multilingual-cased"}

#: The checkpoints of each family a card may name in passing, by their legacy ids.
_FAMILY_VARIANTS = {
    "distilbert": ("distilbert-base-uncased", "distilbert-base-cased", "distilbert-base-multilingual-cased"),
    "distilroberta": ("distilroberta-base",), "roberta": ("roberta-base", "roberta-large"),
    "xlmroberta": ("xlm-roberta-base", "xlm-roberta-large"), "xlmr": ("xlm-roberta-base", "xlm-roberta-large"),
    "bert": ("bert-base-uncased", "bert-base-cased", "bert-large-uncased", "bert-large-cased",
             "bert-base-multilingual-cased", "bert-base-multilingual-uncased", "bert-base-chinese"),
    "mbert": ("bert-base-multilingual-cased", "bert-base-multilingual-uncased")}


def family_checkpoint(family: str, card: str, child: str) -> str | None:
    """The checkpoint a card that fine-tuned a bare `family` ("DistilBERT", "XLM-R", "mBERT") means: the one of
    the family's checkpoints the card (lower case) names elsewhere, if it names exactly one; else the default one,
    unless the card or the model's own name says large, cased or multilingual (or Chinese, for BERT). None for a
    family outside the table."""
    fam = family.lower().replace("-", "")
    default = _FAMILY_CHECKPOINTS.get(fam)
    if default is None:
        return None
    named = {c for c in _FAMILY_VARIANTS.get(fam, ()) if re.search(r"(?<![\w-])" + re.escape(c) + r"(?![\w-])", card)}
    if len(named) == 1:  # the card names one of the family's checkpoints elsewhere ("tokenized with X"): that one
        return WELL_KNOWN.get(named.pop(), default)
    own = child.lower()
    both = f"{card} {own}"
    large = re.search(r"(?<!\w)" + re.escape(fam[:4]) + r"[\w-]*[ _-]large\b", card) is not None or "large" in own
    cased = re.search(r"(?<!un)cased", both) is not None and "uncased" not in both
    multilingual = re.search(r"multilingual|\bmbert\b|cross-lingual", card) is not None
    if fam == "distilbert":
        return ("distilbert/distilbert-base-multilingual-cased" if multilingual else
                "distilbert/distilbert-base-cased" if cased else default)
    if fam in ("xlmroberta", "xlmr", "roberta") and large:
        return default.replace("-base", "-large")
    if fam in ("bert", "mbert"):
        if fam == "mbert" or multilingual:
            return default if fam == "mbert" else "google-bert/bert-base-multilingual-cased"
        if re.search(r"chinese|中文", card):
            return "google-bert/bert-base-chinese"
        return f"google-bert/bert-{'large' if large else 'base'}-{'cased' if cased else 'uncased'}"
    return default


#: Families whose checkpoints their maker alone publishes under its own name ("Qwen3-235B-A22B" is Qwen's), by
#: the name's start; an owner-less name of one of them, written the official way, is that maker's repository.
_OFFICIAL_OWNERS = (
    (re.compile(r"qwen\d*(?:\.\d+)?-"), "Qwen"), (re.compile(r"(?:meta-)?llama-[234](?:\.\d+)?-"), "meta-llama"),
    (re.compile(r"gemma(?:-\d+)?-"), "google"),
    (re.compile(r"(?:mistral|mixtral|ministral|codestral)-"), "mistralai"),
    (re.compile(r"phi-\d+(?:\.\d+)?-"), "microsoft"), (re.compile(r"deepseek-"), "deepseek-ai"),
    (re.compile(r"smollm\d?-"), "HuggingFaceTB"), (re.compile(r"falcon\d?-"), "tiiuae"),
    (re.compile(r"pythia-"), "EleutherAI"), (re.compile(r"bloomz?-"), "bigscience"))
#: The words an official release name is made of besides its family and size; any other word (a fine-tuner's
#: "abliterated", "finetuned", a dataset) makes the name someone else's model.
_OFFICIAL_WORD = re.compile(r"^(?:\d+(?:\.\d+)?[bm]|\d+x\d+(?:\.\d+)?b|a\d+(?:\.\d+)?b|instruct|chat|base|it|hf|"
                            r"v\d+(?:\.\d+)*|pt|math|coder|vl|omni|audio|vision|moe|mini|small|medium|large|\d+k|"
                            r"fp8|awq|gptq|int[48]|gguf|preview|distill|r1|llama|qwen|qwen\d*(?:\.\d+)?|"
                            r"thinking|reasoning|turbo|\d+(?:\.\d+)?|gemma|phi|deepseek)$")


def official_by_prefix(name: str) -> str | None:
    """`Owner/name` for an owner-less name of an official release of a family in `_OFFICIAL_OWNERS`, written the
    official way (a size and only official words: "Qwen3-235B-A22B", "Llama-3.1-8B-Instruct"), else None."""
    low = name.strip().lower()
    if "/" in low or not re.search(r"\d(?:\.\d+)?[bm](?:$|-)", low) or not re.fullmatch(r"[a-z0-9.\-]+", low):
        return None
    for pattern, owner in _OFFICIAL_OWNERS:
        if pattern.match(low) and all(_OFFICIAL_WORD.match(w) for w in low.split("-")[1:]):
            return f"{owner}/{name.strip()}"
    return None


_SEPARATORS = re.compile(r"[\s_\-]+")


def _squash(name: str) -> str:
    """A name without its separators and case: "Qwen-14B", "qwen14b" and "Qwen 14B" meet."""
    return _SEPARATORS.sub("", name.lower())


#: The table by squashed name, for names written without (or with other) separators; a squashed name two bases
#: share is left out.
_SQUASHED: dict[str, str] = {}
for _name, _target in WELL_KNOWN.items():
    _key = _squash(_name)
    _SQUASHED[_key] = _target if _SQUASHED.get(_key, _target) == _target else ""
_SQUASHED = {k: v for k, v in _SQUASHED.items() if v}


_MODEL_WORD = re.compile(r"[\s-]+(?:model|checkpoint|weights)$")
#: What follows a name in words and is not part of it: "the Falcon-7B language model", "the Qwen14B base model".
_MODEL_WORDS = re.compile(r"[\s-]+(?:(?:large\s+)?language\s+|base\s+|foundation\s+|pre-?trained\s+)?"
                          r"(?:model|checkpoint|weights)$")
#: A bare version number after a size ("mistral 7b 0.1"), which the Hub names with a "v".
_VERSION = re.compile(r"(\d[bm][\s-]+)(\d+\.\d+)$")
#: A path on someone's disk, never a Hub id: absolute, relative, home, Windows, or a training output folder.
_LOCAL_PATH = re.compile(r"^(?:[a-z]:)?[\\/]|^\.{1,2}[\\/]|^~|\\|^(?:home|root|mnt|data|content|kaggle|tmp|workspace|"
                         r"opt|users?|autodl-tmp|drive)/|(?:^|/)(?:outputs?|checkpoints?|checkpoint-\d+|runs|"
                         r"saved_models?)(?:/|$)", re.I)

#: What a download folder adds to the name of the model it holds (`./phi-2_local`, `llama-7b-downloaded`).
_LOCAL_SUFFIX = re.compile(r"[-_](?:local|download(?:ed)?|model|weights|files|snapshot)$")
_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?(huggingface\.co|hf\.co)(?::\d+)?/", re.I)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_HUB_PREFIX = "https://huggingface.co/"
_REV_WORDS = frozenset({"tree", "blob", "resolve", "commit", "commits", "raw", "discussions", "edit", "blame"})
_NOT_MODELS = frozenset({"datasets", "spaces", "docs", "blog", "papers", "collections", "organizations",
                         "settings", "tasks", "learn", "join", "login", "pricing", "new", "models", "search",
                         "chat", "posts", "enterprise", "inference-endpoints", "api", "kernels", "buckets"})


#: A template's stand-in for the reader's own account (`YOUR_HF_USERNAME/multilingual-absa`): never a model.
_PLACEHOLDER_OWNER = re.compile(r"^(?:(?:your|my)[-_]?(?:hf[-_]?|hugging[-_]?face[-_]?)?(?:user(?:[-_]?name)?|name|"
                                r"org(?:ani[sz]ation)?|account|namespace|id|repo)|(?:hf[-_]?)?username|user[-_]?name|"
                                r"<[^>]*>|\{[^}]*\}|x{3,})$", re.I)
#: A template's "not applicable" written where a model id goes ("Finetuned from model: n/a").
_NOT_APPLICABLE = frozenset({"n/a", "n.a", "na/na", "none/none"})
#: A path to a script, notebook or config (`scripts/download_model.py`, `configs/train.yaml`): never a repository.
_FILE_PATH = re.compile(r"\.(?:py|sh|ipynb|json|ya?ml|txt|md|csv|cfg|toml|ini|js|ts|html?)$", re.I)
#: A documentation page (`huggingface.co/transformers/model_doc/bert.html`, the docs' pre-2021 home; the bare
#: `transformers/model_doc` such a link leaves) or a URL's scheme read as an owner or a name (`https/huggingface.co`,
#: `google/https` from a URL pasted after its own prefix), or a name the Hub keeps for its own pages as an owner
#: (`models/pretrained_bert` is a local folder: no account can be called `models`).
_DOC_OR_SCHEME = re.compile(r"^(?:https?|www|transformers|models|datasets|spaces|docs)/|"
                            r"/(?:model_doc|main_classes)(?:/|$)|/(?:https?|www)$", re.I)
#: A second URL inside a reference (`huggingface.co/google/https://huggingface.co/google/electra-base`, a link
#: pasted onto its own prefix): the last one is what was meant.
_INNER_URL = re.compile(r"(?<=.)https?://", re.I)
_CACHE_DIR = re.compile(r"^models--(?P<owner>[\w.\-]+?)--(?P<name>[\w.\-]+)$")
_PROSE_PAIR = re.compile(r"^[A-Z][A-Za-z]{1,15}/[A-Z][A-Za-z]{1,15}$")


class Ref(NamedTuple):
    """A resolved model reference: the catalog's id when known, else the canonical external id."""

    model_id: str
    revision: str | None
    in_catalog: bool


#: Namespaced ids the Hub renamed (lower case) and their current id; a card written before the move uses the old.
RENAMED: dict[str, str] = {
    **{f"meta-llama/meta-llama-3.1-{size}{kind}".lower(): f"meta-llama/Llama-3.1-{size}{kind}"
       for size in ("8B", "70B", "405B") for kind in ("", "-Instruct")},
    **{f"meta-llama/codellama-{size}{kind}".lower(): f"codellama/CodeLlama-{size}{kind}"
       for size in ("7b", "13b", "34b", "70b") for kind in ("-hf", "-Instruct-hf", "-Python-hf")},
}


def canonical(model_id: str) -> str:
    """The Hub's current id for a legacy un-namespaced id, a popular base named without its owner or a renamed
    repository, else the id unchanged."""
    if "/" not in model_id:
        return WELL_KNOWN.get(model_id.lower(), model_id)
    return RENAMED.get(model_id.lower(), model_id)


def is_model_id(value: str) -> bool:
    """Well-formed by huggingface_hub's rules (1-96 chars of [A-Za-z0-9_.-], optional namespace)."""
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


def clean_reference(raw: str) -> tuple[str, str | None] | None:
    """(id, revision) from an id, `id@rev`, or a huggingface.co URL; None when it cannot name a model."""
    s = raw.strip(" \t\n`'\"<>*[]()").rstrip(".,;:!?`'\"*_)]>")
    inner = [m.start() for m in _INNER_URL.finditer(s)]
    if inner:
        s = s[inner[-1]:]
    revision: str | None = None
    if _HOST.match(s):
        path = _HOST.sub("", s, count=1).split("?", 1)[0].split("#", 1)[0]
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "models"]:
            parts = parts[2:]
        if not parts or parts[0].lower() in _NOT_MODELS:
            return None
        if len(parts) >= 2 and parts[1] in _REV_WORDS:
            s, revision = parts[0], (parts[2] if len(parts) > 2 else None)
        elif len(parts) >= 3 and parts[2] in _REV_WORDS:
            s, revision = f"{parts[0]}/{parts[1]}", (parts[3] if len(parts) > 3 else None)
        else:
            s = "/".join(parts[:2])
    elif _SCHEME.match(s) or s.lower().startswith("www."):
        return None  # a link elsewhere (GitHub, arXiv, ...)
    elif "@" in s:
        s, revision = s.rsplit("@", 1)
    s = s.strip("/").rstrip(".,;:")
    if not s or not is_model_id(s) or ("/" in s and _PLACEHOLDER_OWNER.match(s.split("/", 1)[0])) or \
            s.lower() in _NOT_APPLICABLE or _FILE_PATH.search(s) or _DOC_OR_SCHEME.search(s):
        return None
    return s, revision or None


class Resolver:
    """Resolve references against a catalog of model ids (case-insensitive, legacy-aware)."""

    def __init__(self, catalog_ids: Iterable[str] = ()) -> None:
        self._by_key: dict[str, str] = {}
        self._by_name: dict[str, str | None] | None = None
        legacy = LEGACY_IDS
        for model_id in catalog_ids:
            low = model_id.lower()
            moved = legacy.get(low)
            self._by_key.setdefault(moved.lower() if moved else low, model_id)

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, model_id: str) -> bool:
        return self.lookup(model_id) is not None

    def lookup(self, model_id: str) -> str | None:
        """The catalog id a clean id refers to, if any."""
        return self._by_key.get(canonical(model_id).lower())

    def plausible(self, model_id: str) -> bool:
        """Could name a real model when found in free text: catalog, legacy table, or owner/name -- but not two
        capitalised words joined by a slash (`JAX/Flax`, `CMU/Google`, `PyTorch/XLA`), which prose is full of."""
        if self.lookup(model_id) is not None or model_id.lower() in WELL_KNOWN:
            return True
        return "/" in model_id and not _PROSE_PAIR.match(model_id)

    def resolve(self, raw: str, *, loose: bool = False) -> Ref | None:
        """A reference as a `Ref`, or None. `loose` (card metadata) also accepts un-namespaced ids. A local path
        is never a Hub id: it resolves only through a known model it names (`from_local_path`)."""
        simple = raw[len(_HUB_PREFIX):] if raw.startswith(_HUB_PREFIX) else raw
        hit = self._by_key.get(simple.lower())  # fast path: a catalog id, bare or as its Hub URL
        if hit is not None:
            return Ref(hit, None, True)
        local = _HOST.sub("", raw.strip(" \t\n`'\"<>*[]()"), count=1) if _HOST.match(raw.strip()) else raw.strip()
        if _LOCAL_PATH.search(local):
            return self.from_local_path(local)
        cleaned = clean_reference(raw)
        if cleaned is None:
            return None
        model_id, revision = cleaned
        hit = self.lookup(model_id)
        if hit is not None:
            return Ref(hit, revision, True)
        if not loose and not self.plausible(model_id):
            return None
        return Ref(canonical(model_id), revision, False)

    def from_local_path(self, path: str) -> Ref | None:
        """The known model a local folder names: an owner/name pair of the catalog inside the path
        (`../ChatGLM2/THUDM/chatglm2-6b`), else its last folder as a catalog name or a well-known base."""
        parts = [p for p in re.split(r"[\\/]+", path.strip().rstrip("/\\")) if p and p not in (".", "..")]
        for part in parts:  # the Hugging Face cache: .../hub/models--owner--name/snapshots/<sha>/...
            cached = _CACHE_DIR.match(part)
            if cached and is_model_id(f"{cached['owner']}/{cached['name']}"):
                model_id = f"{cached['owner']}/{cached['name']}"
                hit = self.lookup(model_id)
                return Ref(hit or model_id, None, hit is not None)
        for owner, name in zip(parts[-3:], parts[-2:], strict=False):
            hit = self.lookup(f"{owner}/{name}")
            if hit is None and WELL_KNOWN.get(name.lower(), "").lower() == f"{owner}/{name}".lower():
                hit = WELL_KNOWN[name.lower()]
            if hit:
                return Ref(hit, None, self.lookup(hit) is not None)
        if not parts:
            return None
        last = parts[-1]
        hit = self.by_name(last) if self._by_key else None
        if hit:
            return Ref(hit, None, True)
        known = WELL_KNOWN.get(last.lower()) or WELL_KNOWN.get(_LOCAL_SUFFIX.sub("", last.lower())) or \
            official_by_prefix(last)
        return Ref(known, None, self.lookup(known) is not None) if known else None

    def by_name(self, name: str) -> str | None:
        """The catalog model whose name part (after the owner) is `name`, when exactly one is."""
        if self._by_name is None:
            index: dict[str, str | None] = {}
            for model_id in self._by_key.values():
                part = model_id.rsplit("/", 1)[-1].lower()
                index[part] = None if part in index and index[part] != model_id else model_id
            self._by_name = index
        return self._by_name.get(name.lower())
