"""The attack engine and its recipes (TextBugger, HotFlip, TextFooler, PWWS, SCPN, GAN), with their goals."""

from chainaudit.attacks.engine import AttackContext, BudgetExhausted, Recipe
from chainaudit.attacks.goal import UNTARGETED, FlipPrediction, Goal, Targeted, Untargeted, parse_goal
from chainaudit.attacks.outcome import AttackOutcome, AttackSummary, RepeatedSummary, summarize, summarize_repeats
from chainaudit.attacks.recipes import RECIPES, AttackResources, build_recipe
from chainaudit.attacks.runner import ADHOC_STUDY, AttackRun, attack_samples, save_examples

__all__ = ["ADHOC_STUDY", "RECIPES", "UNTARGETED", "AttackContext", "AttackOutcome", "AttackResources", "AttackRun",
           "AttackSummary", "BudgetExhausted", "FlipPrediction", "Goal", "Recipe", "RepeatedSummary", "Targeted",
           "Untargeted", "attack_samples", "build_recipe", "parse_goal", "save_examples", "summarize",
           "summarize_repeats"]
