"""The few published figures of Qin et al. (2024) the report shows beside ours, each with its source.

Qin, Li, Wang, Wang, "Adversarial Robustness of Open-source Text Classification Models and Fine-Tuning Chains",
arXiv:2408.02963. Only numbers we could check are here; a figure whose value we are unsure of is left out rather
than guessed. The page labels every one of them as the paper's, never as ours.
"""

from __future__ import annotations

from dataclasses import dataclass

CITATION = ("Qin, Li, Wang, Wang (2024), Adversarial Robustness of Open-source Text Classification Models and "
            "Fine-Tuning Chains, arXiv:2408.02963")
#: The paper's data release, where the repeated-run numbers below come from.
RELEASE = ("github.com/Xcasdfas/Adversarial-Robustness-of-Open-source-AI-Models-and-Fine-Tuning-Chains, commit "
           "30fea73123e3a94b333a89484f32875b0acbd3e6, internal_threats_experimental_results.json")


@dataclass(frozen=True)
class PaperRuns:
    """One attack repeated on one model: the ASR (%) of each run, as published (OpenAttack's convention)."""

    model: str
    dataset: str
    attack: str  # our recipe name
    asr_percent: tuple[int, ...]
    source: str

    @property
    def mean(self) -> float:
        return sum(self.asr_percent) / len(self.asr_percent) / 100

    @property
    def low(self) -> float:
        return min(self.asr_percent) / 100

    @property
    def high(self) -> float:
        return max(self.asr_percent) / 100


#: The paper's "internal threats" runs: ten repeated attacks on one model (the release's JSON, verbatim).
REPEATED_RUNS: tuple[PaperRuns, ...] = (
    PaperRuns("distilbert-base-uncased-finetuned-sst-2-english", "sst2", "gan",
              (56, 52, 54, 54, 55, 53, 52, 56, 54, 55), RELEASE),
    PaperRuns("distilbert-base-uncased-finetuned-sst-2-english", "sst2", "textbugger",
              (73, 74, 74, 70, 72, 71, 73, 75, 71, 74), RELEASE),
)

#: RQ3: the downstream ASR on samples whose upstream attack succeeded ("vulnerable") and failed ("ordinary").
VULNERABLE_ASR = 0.7857
ORDINARY_ASR = 0.5824
TRANSFER_SOURCE = f"{CITATION}, RQ3 (downstream ASR on vulnerable vs ordinary samples)"


def runs_for(attack: str) -> PaperRuns | None:
    """The paper's repeated runs of `attack` (our recipe name, any flavour: `gan@openattack` → gan), or None."""
    name = attack.partition("@")[0]
    return next((r for r in REPEATED_RUNS if r.attack == name), None)
