"""SCPN (Iyyer et al., NAACL 2018): syntactically controlled paraphrase networks, their files and the input parse.

`load_paraphraser(folder)` finds, verifies (sha256) and safely loads the published files; `Paraphraser`
paraphrases a sentence under each template of `TEMPLATES`.
"""

from chainaudit.attacks.scpn.paraphrase import Paraphrase, Paraphraser
from chainaudit.attacks.scpn.templates import TEMPLATES, TEMPLATES_SOURCE
from chainaudit.attacks.scpn.weights import default_dir, how_to_get, load_paraphraser, locate

__all__ = ["TEMPLATES", "TEMPLATES_SOURCE", "Paraphrase", "Paraphraser", "default_dir", "how_to_get",
           "load_paraphraser", "locate"]
