"""OpenAttack 2.1.1's recipes (Zeng et al., ACL 2021 demo), reproduced with their defaults and quirks."""

from __future__ import annotations

from collections.abc import Callable

from chainaudit.attacks.engine import Recipe
from chainaudit.attacks.recipes import AttackResources, hotflip_blackbox

RECIPES: dict[str, Callable[[AttackResources], Recipe]] = {
    "hotflip-blackbox": hotflip_blackbox,  # the paper flavour already is OpenAttack's black-box HotFlip
}
