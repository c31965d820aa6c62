"""TextAttack 0.3.11's recipes (Morris et al., EMNLP 2020 demo), reproduced with their defaults and quirks."""

from __future__ import annotations

from collections.abc import Callable

from chainaudit.attacks.engine import Recipe
from chainaudit.attacks.recipes import AttackResources

RECIPES: dict[str, Callable[[AttackResources], Recipe]] = {}
