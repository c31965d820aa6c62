"""The attack engine and its recipes (TextBugger, HotFlip, TextFooler, PWWS, SCPN, GAN)."""

from chainaudit.attacks.engine import AttackContext, BudgetExhausted, Recipe
from chainaudit.attacks.outcome import AttackOutcome, AttackSummary, RepeatedSummary, summarize, summarize_repeats
from chainaudit.attacks.recipes import RECIPES, AttackResources, build_recipe
from chainaudit.attacks.runner import ADHOC_STUDY, AttackRun, run_attack, save_examples

__all__ = ["ADHOC_STUDY", "RECIPES", "AttackContext", "AttackOutcome", "AttackResources", "AttackRun",
           "AttackSummary", "BudgetExhausted", "Recipe", "RepeatedSummary", "build_recipe", "run_attack",
           "save_examples", "summarize", "summarize_repeats"]
