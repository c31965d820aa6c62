"""The constituency parse of the input sentence, which the SCPN parse generator conditions on.

The authors (and OpenAttack) parse with the Stanford CoreNLP parser (Java). Two `Parser`s:

- `CoreNLPParser`: a running CoreNLP server (`$CHAINAUDIT_CORENLP_URL`, e.g. `http://localhost:9000`); the
  real thing. Start one with `java -mx4g -cp "*" edu.stanford.nlp.pipeline.StanfordCoreNLPServer`.
- `ChunkParser` (offline default): an approximation. Penn tags from the offline tagger
  (`chainaudit.resources.pos.penn_tag`), then a cascaded chunk grammar (`GRAMMAR`, nltk's `RegexpParser`):
  NP (determiners, modifiers, nominal head; or a pronoun), ADJP, ADVP, PP (preposition + NP), VP (verb group
  with its NP/PP/ADJP/ADVP complements) and S (NP + VP). The top node under ROOT is S when a VP was found,
  else NP when there is one, else FRAG; a single inner S is merged into it. Words outside chunks stay as
  pre-terminals. Trees are flat (no relative clauses, no nested VPs, no SBAR); the paraphrase network itself
  does not read the input parse (the published model has `use_input_parse=0`), only the parse generator does,
  so the approximation shows in how templates are expanded, not in the words.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from chainaudit import settings
from chainaudit.attacks.scpn.templates import EOP

if TYPE_CHECKING:  # NLTK takes ~3 s to import: only the parsers themselves load it
    from nltk import Tree
from chainaudit.errors import ChainauditError

# PTB-style tokens: clitics split off ("do n't", "it 's"), punctuation on its own, "..." kept whole.
_TOKEN = re.compile(r"\w+(?=n't\b)|n't\b|'(?:s|re|ve|ll|m|d)\b|\w+(?:[-.]\w+)*|\.\.\.|--|``|''|\S", re.IGNORECASE)


def tokenize(text: str) -> list[str]:
    """Penn-Treebank-like tokens of `text` (the SCPN training data was tokenised this way)."""
    return _TOKEN.findall(text)


class Parser(Protocol):
    """Tokens in, a full constituency tree (words as leaves, rooted at ROOT) out."""

    name: str

    def __call__(self, tokens: list[str]) -> Tree: ...


GRAMMAR = r"""
NP: {<DT|PDT|PRP\$|WP\$|POS>*<JJ.*|VBN|VBG|NN.*|CD|CC|RB>*<NN.*|CD>}
    {<PRP|EX|WP|WDT>}
    {<DT>}
ADJP: {<RB.*>*<JJ.*>+}
ADVP: {<RB.*>+}
PP: {<IN|TO><NP>}
VP: {<MD|TO>?<ADVP>?<VB.*>+<RP>?<NP|PP|ADJP|ADVP>*}
S: {<NP><VP>}
"""


class ChunkParser:
    """Offline approximation of a constituency parse: Penn tags + the chunk grammar `GRAMMAR`."""

    name = "offline chunk grammar (approximate; set CHAINAUDIT_CORENLP_URL for CoreNLP)"

    def __init__(self, tagset: frozenset[str] | None = None) -> None:
        from nltk import RegexpParser

        self._chunker = RegexpParser(GRAMMAR)
        self._tagset = tagset

    def __call__(self, tokens: list[str]) -> Tree:
        from nltk import Tree

        from chainaudit.resources.pos import penn_tag

        if not tokens:
            return Tree("ROOT", [Tree("FRAG", [])])
        tags = [t if self._tagset is None or t in self._tagset else "X" for t in penn_tag(tokens)]
        chunked = self._chunker.parse(list(zip(tokens, tags, strict=True)))
        children = [_as_tree(node) for node in chunked]
        inner = [c for c in children if c.label() == "S"]
        if len(inner) == 1:
            at = children.index(inner[0])
            children[at:at + 1] = list(inner[0])
        labels = {c.label() for c in children}
        top = "S" if "VP" in labels or inner else "NP" if "NP" in labels else "FRAG"
        return Tree("ROOT", [Tree(top, children)])


def _as_tree(node: Tree | tuple[str, str]) -> Tree:
    from nltk import Tree

    if isinstance(node, Tree):
        return Tree(node.label(), [_as_tree(child) for child in node])
    word, tag = node
    return Tree(tag, [word])


class CoreNLPParser:
    """A Stanford CoreNLP server's parse of the whitespace-joined tokens, as one sentence."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.name = f"Stanford CoreNLP at {self.url}"

    def __call__(self, tokens: list[str]) -> Tree:
        from nltk import Tree

        props = {"annotators": "tokenize,ssplit,pos,parse", "outputFormat": "json",
                 "tokenize.whitespace": "true", "ssplit.isOneSentence": "true"}
        query = urllib.parse.urlencode({"properties": json.dumps(props)})
        request = urllib.request.Request(f"{self.url}/?{query}", data=" ".join(tokens).encode("utf-8"),
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = json.loads(response.read().decode("utf-8"))
            return Tree.fromstring(data["sentences"][0]["parse"])
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise ChainauditError(f"CoreNLP server at {self.url} ({settings.CORENLP_URL_ENV}) did not parse the "
                                  f"sentence: {exc}") from exc


@lru_cache(maxsize=4)
def get_parser(url: str | None = None, tagset: frozenset[str] | None = None) -> Parser:
    """CoreNLP when `url` (default `$CHAINAUDIT_CORENLP_URL`) is set, else the offline `ChunkParser`."""
    url = url or settings.corenlp_url()
    return CoreNLPParser(url) if url else ChunkParser(tagset)


def deleaf(tree: Tree) -> list[str]:
    """The linearised parse without words, as the parse networks read it: `( ROOT ( S ( NP ( DT ) ...`
    then `EOP`."""
    from nltk import Tree

    out: list[str] = []

    def walk(node: Tree) -> None:
        out.extend(("(", node.label()))
        for child in node:
            if isinstance(child, Tree):
                walk(child)
        out.append(")")

    walk(tree)
    return [*out, EOP]
