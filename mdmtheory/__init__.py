"""mdmtheory: exact theory of inference schedules and unmasking policies for masked
diffusion models.

Units: every entropy-valued function takes ``base`` (``None`` = nats, the default;
``2`` = bits), as in :func:`scipy.stats.entropy`.
"""

from ._validation import (
    SUM_ATOL,
    get_max_table_bytes,
    memory_budget,
    set_max_table_bytes,
)
from .distribution import Distribution
from . import (
    bounds,
    families,
    hardness,
    montecarlo,
    optimal,
    sampler,
    schedule,
    schedule_rules,
    structured,
)
from .information import (
    conditional_entropy,
    conditional_total_correlation,
    curve_from_profile,
    dual_total_correlation,
    entropy_increments,
    entropy_profile,
    extended_marginal_tensor,
    information_curve,
    information_summary,
    joint_entropy,
    kl_divergence,
    leave_one_out_total_correlations,
    marginal_entropies,
    mutual_information_sum,
    pairwise_mutual_information,
    subset_entropies,
    total_correlation,
)

from .montecarlo import CurveEstimate, estimate_information_curve
from .optimal import Frontier, OptimalSchedule, min_steps, optimal_frontier, optimal_schedule
from .schedule import Schedule, left_riemann_error, step_errors, weight_form_error

# ``mdmtheory.policies`` (pure numpy) and ``mdmtheory.bridge`` (torch) are
# imported on demand: ``import mdmtheory.policies``; the core never imports torch.

__version__ = "0.1.0"

__all__ = [
    "Distribution",
    "Schedule",
    "families",
    "schedule",
    "schedule_rules",
    "optimal",
    "sampler",
    "bounds",
    "hardness",
    "structured",
    "montecarlo",
    "left_riemann_error",
    "step_errors",
    "weight_form_error",
    "optimal_schedule",
    "optimal_frontier",
    "min_steps",
    "OptimalSchedule",
    "Frontier",
    "CurveEstimate",
    "estimate_information_curve",
    "SUM_ATOL",
    "get_max_table_bytes",
    "set_max_table_bytes",
    "memory_budget",
    "subset_entropies",
    "entropy_profile",
    "entropy_increments",
    "information_curve",
    "curve_from_profile",
    "information_summary",
    "joint_entropy",
    "marginal_entropies",
    "total_correlation",
    "dual_total_correlation",
    "mutual_information_sum",
    "conditional_entropy",
    "conditional_total_correlation",
    "pairwise_mutual_information",
    "leave_one_out_total_correlations",
    "extended_marginal_tensor",
    "kl_divergence",
]
