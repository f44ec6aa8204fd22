"""Lifecycle policies: model, validation, offline evaluation, AWS's remote preview, a builder."""

from ecrctl.core.lifecycle.evaluate import Decision, Evaluation, evaluate
from ecrctl.core.lifecycle.model import ImageRecord, InvalidPolicy, Policy, Problem, Rule
from ecrctl.core.lifecycle.validate import check_policy, parse_policy

__all__ = [
    "Decision",
    "Evaluation",
    "ImageRecord",
    "InvalidPolicy",
    "Policy",
    "Problem",
    "Rule",
    "check_policy",
    "evaluate",
    "parse_policy",
]
