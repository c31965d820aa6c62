"""The attacks' own trained models as resources (SCPN's published weights, a trained GAN), described in the spec
type of `chainaudit.resources.inventory`; `all_status` lists every resource, the shared ones and these, for
`chainaudit resources status`. Both are optional: missing, they make only their attack's outcomes `error`s."""

from __future__ import annotations

import functools
from pathlib import Path

from chainaudit import settings
from chainaudit.attacks.gan import store as gan_store
from chainaudit.attacks.scpn import weights
from chainaudit.errors import ResourceMissingError
from chainaudit.files import sha256_file
from chainaudit.resources.cache import sha256_files
from chainaudit.resources.inventory import Found, ResourceSpec, ResourceStatus, resource_specs, status_of


def _gan(gan_dir: Path | None, checksums: bool) -> Found:
    found = gan_store.list_gans(gan_dir)
    if not found:
        raise ResourceMissingError(f"no GAN trained yet (looked in {gan_store.gan_root()} and "
                                   f"${settings.GAN_DIR_ENV}); run `{gan_store.how_to_get('sst2')}` (any dataset name)")
    notes = []
    for folder, config in found:
        final = config.get("final", {})
        notes.append(f"{config.get('dataset')}: {folder}, {config.get('steps')} steps in {config.get('seconds')} s, "
                     f"reconstruction accuracy {final.get('rec_acc', float('nan')):.3f} "
                     f"(through G(I(c)) {final.get('inv_rec_acc', float('nan')):.3f}), training data sha256 "
                     f"{str(config.get('data_sha256'))[:16]}")
    first = found[0][0]
    return Found(str(first), "ARAE + inverter (Zhao et al. 2018); " + "; ".join(notes),
                 sha256_file(first / gan_store.WEIGHTS) if checksums else None)


def _scpn(folder: Path | None, checksums: bool) -> Found:
    from chainaudit.attacks.scpn.parse import get_parser

    files = weights.locate(folder or weights.default_dir())
    paths = [*files.paths.values(), *([files.tagset] if files.tagset else [])]
    pins = weights.pinned(files.folder)
    check = ("checked against SHA256SUMS" if (files.folder / weights.SUMS_NAME).is_file() else
             "sha256s pinned on first use" if pins else "not loaded yet: sha256s are pinned on first use")
    return Found(str(files.folder), f"SCPN + parse generator (Iyyer et al. 2018), {check}; input parse: "
                 f"{get_parser().name}", sha256_files(paths) if checksums else None)


def model_specs(*, scpn_dir: Path | None = None, gan_dir: Path | None = None) -> list[ResourceSpec]:
    """The attacks' trained models; `scpn_dir` is `--scpn-dir`, `gan_dir` is `--gan` (defaults: their
    environment variables, else the cache)."""
    return [
        ResourceSpec("gan", gan_store.how_to_get("DATASET"), functools.partial(_gan, gan_dir), optional=True),
        ResourceSpec("scpn weights", weights.how_to_get(scpn_dir), functools.partial(_scpn, scpn_dir),
                     optional=True),
    ]


def all_status(word_vectors: Path | None = None, *, checksums: bool = True, scpn_dir: Path | None = None,
               gan_dir: Path | None = None) -> list[ResourceStatus]:
    """The status of every resource: the shared ones (`resources.inventory.resource_specs`), then the attacks'
    models."""
    specs = [*resource_specs(word_vectors), *model_specs(scpn_dir=scpn_dir, gan_dir=gan_dir)]
    return status_of(specs, checksums=checksums)
