"""The attack engine and its recipes (TextBugger, HotFlip, TextFooler, PWWS)."""

from chainaudit.attacks.engine import AttackContext, BudgetExhausted, Recipe
from chainaudit.attacks.outcome import AttackOutcome, AttackSummary, summarize
from chainaudit.attacks.recipes import RECIPES, AttackResources, build_recipe
from chainaudit.attacks.runner import ADHOC_STUDY, AttackRun, run_attack, save_examples

__all__ = ["ADHOC_STUDY", "RECIPES", "AttackContext", "AttackOutcome", "AttackResources", "AttackRun",
           "AttackSummary", "BudgetExhausted", "Recipe", "build_recipe", "run_attack", "save_examples", "summarize"]
