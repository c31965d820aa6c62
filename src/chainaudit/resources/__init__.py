"""Resources the attacks need, found offline or built from what is installed, never silently absent.

* `wordnet` — WordNet 3.0 via NLTK (nltk_data, or the Debian files + a generated `lexnames`): `get_wordnet`,
  `synonyms`, `antonyms`;
* `stopwords` — `STOP_WORDS`, TextFooler's list;
* `encoder` — `SentenceEncoder` / `get_encoder` (all-MiniLM-L6-v2 in place of USE) and `CALIBRATION`;
* `word_vectors` — `load_word_vectors`: counter-fitted vectors from a file, else `fallback_vectors`;
* `pos` — `tag`: offline universal POS tags;
* `status()` — each resource, where it was found, its sha256 and how to get it when missing, each described once
  as a `ResourceSpec` (the attacks' trained models, SCPN and GAN, are described in `chainaudit.attacks.inventory`).

A missing resource raises `ResourceMissingError` naming the command or package that gets it. Heavy
libraries (NLTK, torch, sentence-transformers) load on first use, not on import.
"""

from chainaudit.resources import encoder, fallback_vectors, pos, stopwords, word_vectors, wordnet
from chainaudit.resources.cache import cache_dir
from chainaudit.resources.encoder import CALIBRATION, SentenceEncoder, get_encoder
from chainaudit.resources.inventory import ResourceSpec, ResourceStatus, resource_specs, status, status_of
from chainaudit.resources.pos import tag
from chainaudit.resources.stopwords import STOP_WORDS
from chainaudit.resources.word_vectors import WordVectors, load_word_vectors
from chainaudit.resources.wordnet import antonyms, get_wordnet, synonyms

__all__ = [
    "CALIBRATION",
    "STOP_WORDS",
    "ResourceSpec",
    "ResourceStatus",
    "SentenceEncoder",
    "WordVectors",
    "antonyms",
    "cache_dir",
    "encoder",
    "fallback_vectors",
    "get_encoder",
    "get_wordnet",
    "load_word_vectors",
    "pos",
    "resource_specs",
    "status",
    "status_of",
    "stopwords",
    "synonyms",
    "tag",
    "word_vectors",
    "wordnet",
]
