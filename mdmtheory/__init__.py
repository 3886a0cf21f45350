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

# Everything else is imported on first access (PEP 562 module ``__getattr__``):
# ``import mdmtheory`` then loads only NumPy, not Numba or SciPy (about 1 s on a
# quiet machine otherwise), while ``mdmtheory.optimal_frontier``,
# ``mdmtheory.optimal`` and ``from mdmtheory import information_curve`` work as
# before.  ``mdmtheory.policies`` (pure numpy) and ``mdmtheory.bridge`` (torch)
# are subpackages imported on demand; the core never imports torch.
_SUBMODULES = frozenset({
    "bounds", "families", "hardness", "information", "montecarlo", "optimal", "sampler",
    "schedule", "schedule_rules", "structured", "policies", "bridge", "oracle", "reference",
    "plotting", "cli",
})
_LAZY = {
    **{name: "information" for name in (
        "conditional_entropy", "conditional_total_correlation", "curve_from_profile",
        "dual_total_correlation", "entropy_increments", "entropy_profile",
        "extended_marginal_tensor", "information_curve", "information_summary",
        "joint_entropy", "kl_divergence", "leave_one_out_total_correlations",
        "marginal_entropies", "mutual_information_sum", "pairwise_mutual_information",
        "subset_entropies", "total_correlation")},
    "CurveEstimate": "montecarlo",
    "estimate_information_curve": "montecarlo",
    **{name: "optimal" for name in (
        "Frontier", "OptimalSchedule", "min_steps", "optimal_frontier", "optimal_schedule")},
    "set_num_threads": "_threads",
    **{name: "schedule" for name in (
        "Schedule", "left_riemann_error", "step_errors", "weight_form_error")},
}


def __getattr__(name: str):
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value  # later accesses skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
    "set_num_threads",
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
