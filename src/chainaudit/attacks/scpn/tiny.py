"""Tiny random SCPN files in the published layout, for tests and smoke runs (seconds to build, meaningless
output). Same architecture and file formats as the real ones, so locating, verifying and loading are exercised."""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

from chainaudit.attacks.scpn.templates import PTB_TAGSET

TINY_WORDS = ("the", "movie", "was", "good", "bad", "great", "awful", "film", "plot", "story", "a", "it", "is", "not",
              "and", "of", "to", "i", "this", "charming", "journey", "fun", "acting", "wonderful", "dull", "boring",
              "terrible", ",", ".", "'", "s")
TINY_CODES = ["t h", "th e</w>", "g o", "go o", "goo d</w>", "m o", "mo v", "mov i", "movi e</w>", "i n", "in g</w>"]


def write_tiny_scpn(folder: Path, *, seed: int = 0, d_word: int = 12, d_hid: int = 16, d_nt: int = 8,
                    d_trans: int = 8, init_scale: float = 3.0, legacy_format: bool = True) -> Path:
    """Write scpn.pt, parse_generator.pt, parse_vocab.pkl, bpe.codes, vocab.txt, ptb_tagset.txt into `folder`.

    The random weights are multiplied by `init_scale`: at PyTorch's default initialisation a tiny untrained
    network says nearly the same thing whatever the target parse; scaled up, its output varies with it."""
    import torch

    from chainaudit.attacks.scpn.model import SCPN, ParseNet

    folder.mkdir(parents=True, exist_ok=True)
    pieces = ["PAD", "EOS", "th@@", "go@@", "mo@@", "in@@", "e", "d", "ing", *TINY_WORDS]
    words = list(dict.fromkeys(pieces))
    vocab = {w: i for i, w in enumerate(words)}
    with (folder / "parse_vocab.pkl").open("wb") as fh:
        pickle.dump([vocab, {i: w for w, i in vocab.items()}], fh, protocol=0)  # the published file's format
    (folder / "bpe.codes").write_text("#version: 0.2\n" + "\n".join(TINY_CODES) + "\n", encoding="utf-8")
    (folder / "vocab.txt").write_text("".join(f"{w} {1000 - i}\n" for i, w in enumerate(words[2:])),
                                      encoding="utf-8")
    (folder / "ptb_tagset.txt").write_text("\n".join(PTB_TAGSET), encoding="utf-8")
    torch.manual_seed(seed)
    scpn_args = argparse.Namespace(d_word=d_word, d_hid=d_hid, d_nt=d_nt, d_trans=d_trans, use_input_parse=0)
    parse_args = argparse.Namespace(d_nt=d_nt, d_hid=d_hid)
    nets = {"scpn.pt": (SCPN(d_word, d_hid, d_nt, d_trans, len(vocab), len(PTB_TAGSET) - 1), scpn_args),
            "parse_generator.pt": (ParseNet(d_nt, d_hid, len(PTB_TAGSET)), parse_args)}
    for name, (net, args) in nets.items():
        with torch.no_grad():
            for param in net.parameters():
                param.mul_(init_scale)
        torch.save({"state_dict": net.state_dict(), "config_args": args, "ep_loss": 0.0,
                    "train_minibatches": [(0, 64)], "dev_minibatches": [(64, 128)]}, folder / name,
                   _use_new_zipfile_serialization=not legacy_format)
    return folder
