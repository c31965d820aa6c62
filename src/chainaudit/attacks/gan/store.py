"""A trained GAN on disk: `model.safetensors` + `gan.json` (sizes, vocabulary, dataset, training data sha256,
steps, losses, seconds), in `cache_dir("gan", <dataset>)` by default, and how the attack finds one."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from chainaudit import settings
from chainaudit.attacks.gan.model import Arae, GanDims
from chainaudit.attacks.gan.vocab import Vocab, batch, tokenize
from chainaudit.errors import ResourceMissingError
from chainaudit.resources.cache import sha256_file

WEIGHTS, CONFIG = "model.safetensors", "gan.json"
FORMAT = 1


def how_to_get(dataset: str = "DATASET") -> str:
    return f"chainaudit resources train-gan --dataset {dataset}"


@dataclass
class TrainedGan:
    """The networks, their vocabulary and what they were trained on; `path` once saved or loaded."""

    model: Arae
    vocab: Vocab
    meta: dict[str, Any]
    path: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dataset(self) -> str:
        return str(self.meta.get("dataset", "?"))

    def normalize(self, text: str) -> str:
        """`text` as this GAN would write it (lowercased tokens, space-joined), for comparisons."""
        return " ".join(tokenize(text))

    @torch.no_grad()
    def codes(self, texts: Sequence[str]) -> torch.Tensor:
        """Unit-norm codes `E(x)` (texts cut to the vocabulary's `max_len` tokens)."""
        ids, lengths = batch([self.vocab.encode(t) for t in texts])
        return self.model.autoencoder.encode(ids, lengths)

    @torch.no_grad()
    def noise_of(self, texts: Sequence[str]) -> torch.Tensor:
        """`z* = I(E(x))`, the noise vectors the search perturbs."""
        return self.model.inverter(self.codes(texts))

    @torch.no_grad()
    def write(self, z: torch.Tensor) -> list[str]:
        """Greedy decodes of `G(z)` for a batch of noise vectors."""
        ids = self.model.autoencoder.generate(self.model.generator(z), self.vocab.max_len)
        return [self.vocab.decode(row) for row in ids]

    @torch.no_grad()
    def autoencode(self, texts: Sequence[str]) -> list[str]:
        """Greedy decodes of `E(x)` (the autoencoder alone, without generator and inverter)."""
        ids = self.model.autoencoder.generate(self.codes(texts), self.vocab.max_len)
        return [self.vocab.decode(row) for row in ids]

    def reconstruct(self, texts: Sequence[str]) -> list[str]:
        """Greedy decodes of `G(I(E(x)))`: what the search starts from."""
        return self.write(self.noise_of(texts))


def default_dir(dataset: str) -> Path:
    from chainaudit.resources.cache import cache_dir

    return cache_dir("gan", dataset)


def save_gan(gan: TrainedGan, out: Path) -> Path:
    """Write the weights (safetensors) and `gan.json` into `out`; returns `out`."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in gan.model.state_dict().items()}
    save_file(state, str(out / WEIGHTS))
    config = {"format": FORMAT, "dims": gan.model.dims.as_dict(), "max_len": gan.vocab.max_len,
              "weights_sha256": sha256_file(out / WEIGHTS), **gan.meta, "vocab": list(gan.vocab.tokens)}
    (out / CONFIG).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    gan.path = out
    gan.meta["weights_sha256"] = config["weights_sha256"]
    return out


def read_config(folder: Path) -> dict[str, Any] | None:
    """The folder's `gan.json`, or None if there is no GAN there; an unreadable one is an error that says so
    (a corrupt GAN must not pass for a missing one, nor be skipped for another dataset's)."""
    path = folder / CONFIG
    if not path.is_file() or not (folder / WEIGHTS).is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ResourceMissingError(f"the GAN config {path} is unreadable ({exc}); train it again with "
                                   f"`{how_to_get()} --out {folder}`") from exc


def load_gan(folder: Path) -> TrainedGan:
    """Load a saved GAN; a missing or unreadable one raises `ResourceMissingError`."""
    from safetensors.torch import load_file

    config = read_config(folder)
    if config is None:
        raise ResourceMissingError(f"no GAN in {folder} (it needs {CONFIG} and {WEIGHTS}); run "
                                   f"`{how_to_get()}`")
    model = Arae(GanDims(**config["dims"]))
    model.load_state_dict(load_file(str(folder / WEIGHTS)))
    model.eval()
    meta = {k: v for k, v in config.items() if k not in {"vocab", "dims", "format", "max_len"}}
    return TrainedGan(model, Vocab(tuple(config["vocab"]), int(config["max_len"])), meta, folder)


def gan_root() -> Path:
    """`$CHAINAUDIT_CACHE/gan` (not created)."""
    return settings.cache_root() / "gan"


def list_gans(extra: Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """Every saved GAN under the cache (and `extra` / `$CHAINAUDIT_GAN_DIR`), with its config."""
    folders: list[Path] = []
    for explicit in (extra, settings.gan_dir()):
        if explicit is not None:
            folders.append(explicit.expanduser())
    root = gan_root()
    if root.is_dir():
        folders.extend(sorted(p for p in root.iterdir() if p.is_dir()))
    found, seen = [], set()
    for folder in folders:
        key = folder.resolve()
        config = read_config(folder)
        if config is not None and key not in seen:
            seen.add(key)
            found.append((folder, config))
    return found


def find_gan(dataset: str, gan_dir: Path | None = None) -> Path:
    """The GAN to use for `dataset`: `gan_dir` (or `$CHAINAUDIT_GAN_DIR`) if given, else the dataset's cache
    folder, else any other dataset's cached GAN (the search warns of the mismatch)."""
    explicit = gan_dir or settings.gan_dir()
    if explicit is not None:
        explicit = explicit.expanduser()
        for folder in (explicit, explicit / dataset):  # a GAN folder, or a folder of them by dataset
            if read_config(folder) is not None:
                return folder
        raise ResourceMissingError(f"no GAN in {explicit} (--gan / ${settings.GAN_DIR_ENV}); run "
                                   f"`{how_to_get(dataset)} --out {explicit}`")
    own = gan_root() / dataset
    if read_config(own) is not None:
        return own
    others = [folder for folder, _ in list_gans()]
    if others:
        return others[0]
    raise ResourceMissingError(f"no GAN trained for dataset {dataset!r} (looked in {gan_root()}); run "
                               f"`{how_to_get(dataset)}`")


class GanLoader:
    """`loader(dataset) -> TrainedGan`, loading each folder once (thread-safe); raises `ResourceMissingError`
    only when called, so building the recipe never fails."""

    def __init__(self, gan_dir: Path | None = None) -> None:
        self.gan_dir = gan_dir
        self._loaded: dict[Path, TrainedGan] = {}
        self._lock = threading.Lock()

    def __call__(self, dataset: str) -> TrainedGan:
        folder = find_gan(dataset, self.gan_dir)
        with self._lock:
            if folder not in self._loaded:
                self._loaded[folder] = load_gan(folder)
            return self._loaded[folder]
