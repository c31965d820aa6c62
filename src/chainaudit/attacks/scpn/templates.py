"""The target-parse templates of SCPN and the PTB label vocabulary of its parse networks.

`TEMPLATES` are the ten frequent top-level parses that Iyyer et al. (NAACL 2018) paraphrase with, as listed
in the authors' `generate_paraphrases.py` (github.com/miyyer/scpn) and used unchanged as OpenAttack's
`SCPNAttacker` defaults. A template is a linearised tree without words, ended by `EOP`; the parse generator
expands it into a full parse, which then conditions the paraphrase network.

`PTB_TAGSET` is the label vocabulary (`data/ptb_tagset.txt` of the authors' repository: line i is id i),
used when the weights folder has neither `ptb_tagset.txt` nor OpenAttack's `ptb_tagset.pkl`. `EOP` must be
the last id: the paraphrase network's parse vocabulary is the same list without it.
"""

from __future__ import annotations

TEMPLATES: tuple[str, ...] = (
    "( ROOT ( S ( NP ) ( VP ) ( . ) ) ) EOP",
    "( ROOT ( S ( VP ) ( . ) ) ) EOP",
    "( ROOT ( NP ( NP ) ( . ) ) ) EOP",
    "( ROOT ( FRAG ( SBAR ) ( . ) ) ) EOP",
    "( ROOT ( S ( S ) ( , ) ( CC ) ( S ) ( . ) ) ) EOP",
    "( ROOT ( S ( LST ) ( VP ) ( . ) ) ) EOP",
    "( ROOT ( SBARQ ( WHADVP ) ( SQ ) ( . ) ) ) EOP",
    "( ROOT ( S ( PP ) ( , ) ( NP ) ( VP ) ( . ) ) ) EOP",
    "( ROOT ( S ( ADVP ) ( NP ) ( VP ) ( . ) ) ) EOP",
    "( ROOT ( S ( SBAR ) ( , ) ( NP ) ( VP ) ( . ) ) ) EOP",
)

TEMPLATES_SOURCE = "Iyyer et al. 2018, github.com/miyyer/scpn generate_paraphrases.py (= OpenAttack DEFAULT_TEMPLATES)"

EOP = "EOP"

PTB_TAGSET: tuple[str, ...] = (
    "PAD", "ROOT", "ADJP", "-ADV", "ADVP", "-BNF", "CC", "CD", "-CLF", "-CLR", "CONJP", "-DIR", "DT", "-DTV", "EX",
    "-EXT", "FRAG", "FW", "-HLN", "IN", "INTJ", "JJ", "JJR", "JJS", "-LGS", "-LOC", "LS", "LST", "MD", "-MNR", "NAC",
    "NN", "NNS", "NNP", "NNPS", "-NOM", "NP", "NX", "PDT", "POS", "PP", "-PRD", "PRN", "PRP", "-PRP", "PRP$",
    "PRP-S", "PRT", "-PUT", "QP", "RB", "RBR", "RBS", "RP", "RRC", "S", "SBAR", "SBARQ", "-SBJ", "SINV", "SQ", "SYM",
    "-TMP", "TO", "-TPC", "-TTL", "UCP", "UH", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "-VOC", "VP", "WDT",
    "WHADJP", "WHADVP", "WHNP", "WHPP", "WP", "WP$", "WP-S", "WRB", "X", "#", "``", "''", ".", ",", ":", "$", "-LRB-",
    "-RRB-", "-NONE-", "*", "0", "T", "NUL", ">", "(", ")", EOP,
)


def template_tokens(template: str) -> list[str]:
    """A template's tokens, `EOP` appended when missing."""
    tokens = template.split()
    return tokens if tokens and tokens[-1] == EOP else [*tokens, EOP]
