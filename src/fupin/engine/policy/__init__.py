"""Policy files: schema, loading, the expression language and its compiler to SQL."""

from fupin.engine.policy.expressions import PolicyError, Scope, check_expression
from fupin.engine.policy.loading import Criterion, Parameter, Policy, Source, load_policy

__all__ = [
    "Criterion",
    "Parameter",
    "Policy",
    "PolicyError",
    "Scope",
    "Source",
    "check_expression",
    "load_policy",
]
