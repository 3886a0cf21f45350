"""Fuzz of the whole public API with bad input: a clear error, never a number, never a hang.

How it works
------------
* :data:`TABLE` has one entry for **every name in every ``__all__``** of the package
  (:func:`test_table_covers_every_public_name` fails when a name is missing, so a new
  callable cannot join the API without joining the suite).  An entry is either a
  :class:`Spec` (how to call it) or an :class:`Exempt` (why it takes no input to fuzz:
  a constant, a module, a type alias, a result record the package builds itself).
* A :class:`Spec` gives valid values for the arguments that the fuzz world
  (:data:`WORLD`: a 4-position binary Markov chain, its curve and profile, a 2-step
  schedule, ...) does not already provide by name, and the *kind* of each argument
  (inferred from its name by :data:`PARAM_KINDS`, or given).  The baseline call with
  valid values must succeed (:func:`test_baseline_call_succeeds`), so every fuzz case
  differs from a valid call in exactly one argument.
* :func:`test_canonical_bad_values` replaces one argument at a time by every canonical
  bad value of its kind (:data:`tests.strategies.BAD_VALUES`);
  :func:`test_random_bad_values` draws callable, argument and bad value with Hypothesis
  (:func:`tests.strategies.bad_values`): 300 examples by default, 5,000 under ``-m slow``.
* A case **passes** when the call raises ``ValueError``, ``TypeError`` or
  ``MemoryError`` within :data:`TIME_LIMIT` seconds; for a ``ValueError``/``TypeError``
  the message must also name the argument (or an alias of its kind).  It fails on a
  returned value (a wrong number), on any other exception, on an unclear message and on
  a timeout (a hang).
* Cases in modules that this suite's author does not own and that still fail are listed
  in :data:`XFAIL` (strict: a fixed case turns the xfail into a failure, so the table
  shrinks as the owners fix them).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import pkgutil
import signal
import types
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mdmtheory
from mdmtheory import Distribution, families

from tests.strategies import BAD_VALUES, bad_values

TIME_LIMIT = 5.0  # seconds per call; a valid small call takes milliseconds
OK_ERRORS = (ValueError, TypeError, MemoryError)


# ============================================================================ the fuzz world
def _world() -> dict[str, Any]:
    T = np.array([[0.8, 0.2], [0.3, 0.7]])
    E = np.array([[0.9, 0.1], [0.2, 0.8]])
    mu = families.markov_chain(4, T)
    Z = mdmtheory.information_curve(mu)
    H = mdmtheory.entropy_profile(mu)
    comps = np.array([[[0.9, 0.1]] * 4, [[0.2, 0.8]] * 4])
    rng = np.random.default_rng(0)
    perms = np.array([rng.permutation(4) for _ in range(6)])
    x = mu.sample(6, rng=rng)
    return dict(
        mu=mu, dist=mu, Z=Z, profile=H, H=H, transition=T, emission=E, initial=None,
        schedule=[2, 2], n=4, q=2, k=2, d=2, kmax=4, size=3, n_draws=20, num_samples=20,
        batch_size=8, seed=0, base=2, atol=1e-9, level=0.9, eps=0.1,
        weights=np.array([0.5, 0.5]), components=comps, perms=perms, x=x,
    )


WORLD = _world()


# ============================================================================ argument kinds
#: Kind of an argument, inferred from its name (a :class:`Spec` may override it).
PARAM_KINDS: dict[str, str] = {
    **{k: "size" for k in ("n", "k", "d", "kmax", "size", "n_draws", "num_samples",
                           "num", "length", "gen_length")},
    **{k: "count" for k in ("q", "p_field", "batch_size", "max_sequences", "max_cells",
                            "max_n", "max_subsets", "max_states", "m", "depth", "steps",
                            "masked", "block_length", "steps_per_block", "nthreads",
                            "group_size", "horizon", "q_layer", "min_states", "passes",
                            "positions_per_cell", "n_boot", "nx", "n_grid")},
    "max_terms": "positive",
    "base": "base",
    **{k: "tol" for k in ("atol", "mixing_tol", "tol")},
    "eps": "nonneg",
    **{k: "level" for k in ("level", "confidence")},
    **{k: "prob" for k in ("flip",)},
    **{k: "real" for k in ("coupling",)},
    **{k: "dist" for k in ("dist", "mu")},
    "Z": "curve",
    "profile": "profile",
    "schedule": "schedule",
    **{k: "stochastic" for k in ("transition", "emission")},
    **{k: "prob_vector" for k in ("initial", "weights")},
    **{k: "choice" for k in ("method", "form", "null_context", "token_mode", "tie_break",
                             "proxy", "score", "rule", "mode", "autocast")},
    **{k: "seed" for k in ("seed", "rng")},
    **{k: "positions" for k in ("A", "B", "positions")},
}
#: Counts for which 0 is invalid too (so 0 joins the bad values).
POSITIVE = {"n", "q", "k", "kmax", "n_draws", "num_samples", "batch_size",
            "max_sequences", "nthreads", "steps", "block_length", "steps_per_block",
            "gen_length", "group_size", "q_layer", "n_boot", "max_cells", "max_terms"}
#: Words a clear message may use instead of the argument's own name, by kind.
ALIASES: dict[str, tuple[str, ...]] = {
    "dist": ("table", "distribution", "probabilit", "dist", "mu", "sum to 1", "NaN",
             "negative", "real-valued"),
    "schedule": ("schedule", "sizes", "step"),
    "weight_table": ("weights", "distribution", "table"),
    "nonneg_array": ("t",),
    "rows": ("marginals",),
    "schedule4": ("schedule", "sizes", "step"),
    "curve": ("Z", "curve"),
    "stochastic": ("row", "transition", "emission", "matrix"),
    "cond_probs": ("probs", "row", "probabilit", "sum to 1"),
    "prob_vector": ("initial", "weights", "probabilit", "sum to 1"),
    "seed": ("seed", "rng", "SeedSequence", "Generator", "entropy", "integer"),
}


@dataclass
class Spec:
    """How to call one public callable for the fuzz.

    Parameters
    ----------
    args : dict
        Valid values for arguments the world does not provide (or provides wrongly);
        a callable value is called with the world to build the argument.
    kinds : dict
        Kind overrides (``None`` = do not fuzz that argument).
    call : callable, optional
        ``call(**kwargs)`` instead of the object itself (for methods).
    extra_bad : dict
        Extra invalid values for one argument of this callable only.
    """

    args: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, str | None] = field(default_factory=dict)
    call: Callable | None = None
    extra_bad: dict[str, tuple] = field(default_factory=dict)
    needs: str | None = None  # an optional module the call imports (skip if absent)


@dataclass
class Exempt:
    """A public name with no input to fuzz; ``reason`` says why."""

    reason: str


CONST = Exempt("constant (not callable)")
MODULE = Exempt("module (its names are covered through its own __all__)")
ALIAS = Exempt("type alias / protocol used in annotations; not called")
RECORD = Exempt("result record: built by the package from validated results, not an entry "
                "point for user input")
EXC = Exempt("exception class")


def _code_G(w):
    return np.array([[1, 0, 1, 1], [0, 1, 1, 2]])


def _bound(make_obj: Callable[[], Any], cls: type, name: str) -> Callable:
    """``make_obj().name(**kw)`` with the method's signature (less ``self``), for the table."""
    def call(**kw):
        return getattr(make_obj(), name)(**kw)
    sig = inspect.signature(getattr(cls, name))
    call.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])
    return call


def _dist_method(name: str) -> Callable:
    return _bound(lambda: WORLD["mu"], Distribution, name)


def _classmethod(cls: type, name: str) -> Callable:
    fn = getattr(cls, name)

    def call(**kw):
        return fn(**kw)
    call.__signature__ = inspect.signature(fn)
    return call


def _markov_oracle():
    from mdmtheory.structured.markov import MarkovOracle

    return MarkovOracle(4, WORLD["transition"])


def _dist_oracle():
    return mdmtheory.oracle.DistributionOracle(WORLD["mu"])


def _listing(fn: Callable) -> Callable:
    """Consume a generator-returning function, keeping its signature."""
    def call(**kw):
        return list(fn(**kw))
    call.__signature__ = inspect.signature(fn)
    return call


def _set_threads_and_restore(n):
    """``mdmtheory.set_num_threads`` without changing the thread count of later tests."""
    import numba

    old = numba.get_num_threads()
    try:
        return mdmtheory.set_num_threads(n)
    finally:
        numba.set_num_threads(old)


# ============================================================================ the table
TABLE: dict[str, Spec | Exempt] = {
    # ---------------------------------------------------------------- mdmtheory (package)
    "mdmtheory.SUM_ATOL": CONST,
    "mdmtheory.get_max_table_bytes": Spec(),
    "mdmtheory.set_max_table_bytes": Spec(args={"nbytes": 2**32}, kinds={"nbytes": "bytes"}),
    "mdmtheory.memory_budget": Spec(args={"nbytes": 2**32}, kinds={"nbytes": "bytes"},
                                    call=lambda nbytes: mdmtheory.memory_budget(nbytes)
                                    .__enter__()),
    "mdmtheory._threads.num_threads": Spec(),
    "mdmtheory._threads.start_thread_pool": Spec(),
    "mdmtheory._threads.set_num_threads": Spec(args={"n": 1}, kinds={"n": "count"},
                                      call=lambda n: _set_threads_and_restore(n)),
    # ---------------------------------------------------------------- distribution
    "mdmtheory.distribution.Distribution": Spec(
        args={"table": lambda w: w["mu"].p.copy()}, kinds={"table": "dist"}),
    "mdmtheory.distribution.Distribution.from_weights": Spec(
        call=_classmethod(Distribution, "from_weights"),
        args={"weights": np.ones((2, 2))}, kinds={"weights": "weight_table"}),
    "mdmtheory.distribution.Distribution.from_samples": Spec(
        call=_classmethod(Distribution, "from_samples"),
        args={"samples": [[0, 1], [1, 1]], "q": 2}, kinds={"samples": "tokens"}),
    "mdmtheory.distribution.Distribution.prob": Spec(
        call=_dist_method("prob"), args={"x": [0, 1, 0, 1]}, kinds={"x": "tokens"}),
    "mdmtheory.distribution.Distribution.conditional": Spec(
        call=_dist_method("conditional"), args={"i": 0, "revealed": {1: 0}},
        kinds={"i": "count", "revealed": None}, extra_bad={"i": (4, -1, 10**30)}),
    "mdmtheory.distribution.Distribution.marginal": Spec(
        call=_dist_method("marginal"), args={"positions": [0, 2]}),
    "mdmtheory.distribution.Distribution.sample": Spec(
        call=_dist_method("sample"), args={"size": 3}),
    # ---------------------------------------------------------------- information
    **{f"mdmtheory.information.{f}": Spec() for f in (
        "subset_entropies", "entropy_profile", "information_curve", "joint_entropy",
        "marginal_entropies", "total_correlation", "dual_total_correlation",
        "mutual_information_sum", "pairwise_mutual_information",
        "leave_one_out_total_correlations", "information_summary",
        "extended_marginal_tensor")},
    "mdmtheory.information.entropy_increments": Spec(),
    "mdmtheory.information.curve_from_profile": Spec(),
    "mdmtheory.information.conditional_total_correlation": Spec(args={"A": [0, 1], "B": [2]}),
    "mdmtheory.information.conditional_entropy": Spec(args={"A": [0], "B": [1]}),
    "mdmtheory.information.InformationSummary": RECORD,
    "mdmtheory.information.kl_divergence": Spec(
        args={"p": lambda w: w["mu"].p.copy(), "q": lambda w: np.full((2,) * 4, 1 / 16)},
        kinds={"p": "dist", "q": "dist"}),
    # ---------------------------------------------------------------- schedule
    "mdmtheory.schedule.Schedule": Spec(args={"sizes": [2, 2]}, kinds={"sizes": "schedule"}),
    "mdmtheory.schedule.as_schedule": Spec(args={"n": 4}, kinds={"n": "size"}),
    "mdmtheory.schedule.compositions": Spec(call=_listing(mdmtheory.schedule.compositions)),
    "mdmtheory.schedule.validate_curve": Spec(),
    "mdmtheory.schedule.left_riemann_approximation": Spec(),
    "mdmtheory.schedule.left_riemann_error": Spec(),
    "mdmtheory.schedule.step_errors": Spec(),
    "mdmtheory.schedule.riemann_weights": Spec(),
    "mdmtheory.schedule.weight_form_error": Spec(),
    # ---------------------------------------------------------------- optimal
    "mdmtheory.optimal.OptimalSchedule": RECORD,
    "mdmtheory.optimal.Frontier": RECORD,
    "mdmtheory.optimal.optimal_schedule": Spec(kinds={"method": "choice"}),
    "mdmtheory.optimal.optimal_frontier": Spec(),
    "mdmtheory.optimal.min_steps": Spec(),
    "mdmtheory.optimal.rounded_curve": Spec(),
    "mdmtheory.optimal.METHODS": CONST,
    # ---------------------------------------------------------------- families
    "mdmtheory.families.product": Spec(args={"marginals": [[0.5, 0.5], [0.2, 0.8]]},
                                       kinds={"marginals": "rows"}),
    "mdmtheory.families.uniform": Spec(),
    "mdmtheory.families.random_dirichlet": Spec(kinds={"alpha": "positive"}),
    "mdmtheory.families.markov_chain": Spec(),
    "mdmtheory.families.binary_symmetric_chain": Spec(args={"flip": 0.1}),
    "mdmtheory.families.stationary_distribution": Spec(),
    "mdmtheory.families.markov_parameters": Spec(kinds={"min_states": "count"}),
    "mdmtheory.families.hidden_markov": Spec(),
    "mdmtheory.families.mixture": Spec(
        args={"components": lambda w: [families.uniform(2, 2), families.repetition(2, 2)],
              "weights": [0.5, 0.5]}, kinds={"components": None}),
    "mdmtheory.families.linear_code": Spec(args={"generator": _code_G, "p": 3},
                                           kinds={"p": "count"},
                                           extra_bad={"p": (4, 1, 0, 2**61 - 1)}),
    "mdmtheory.families.reed_solomon_generator": Spec(args={"p": 5}, kinds={"p": "count"},
                                                      extra_bad={"p": (4, 0)}),
    "mdmtheory.families.reed_solomon": Spec(args={"p": 5}, kinds={"p": "count"},
                                            extra_bad={"p": (4, 0)}),
    "mdmtheory.families.repetition": Spec(),
    "mdmtheory.families.parity": Spec(),
    "mdmtheory.families.ising_chain": Spec(args={"coupling": 0.5},
                                           kinds={"field": "real", "periodic": "bool"}),
    "mdmtheory.families.potts_chain": Spec(args={"coupling": 0.5}, kinds={"periodic": "bool"}),
    "mdmtheory.families.is_prime": Spec(args={"p": 7}, kinds={"p": "integer"}),
    # ---------------------------------------------------------------- sampler
    "mdmtheory.sampler.ConditionalOracle": ALIAS,
    "mdmtheory.sampler.as_oracle": Spec(args={"model": lambda w: w["mu"]},
                                        kinds={"model": "callable"}),
    "mdmtheory.sampler.position_set_sequences": Spec(
        call=_listing(mdmtheory.sampler.position_set_sequences)),
    "mdmtheory.sampler.number_of_position_set_sequences": Spec(),
    "mdmtheory.sampler.output_law": Spec(args={"position_sets": [[0, 1], [2, 3]]},
                                         kinds={"position_sets": None}),
    "mdmtheory.sampler.SamplerErrors": RECORD,
    "mdmtheory.sampler.exact_sampler_errors": Spec(kinds={"schedule": "schedule4"}),
    "mdmtheory.sampler.exact_expected_kl": Spec(kinds={"schedule": "schedule4"}),
    "mdmtheory.sampler.sampler_output_law": Spec(kinds={"schedule": "schedule4"}),
    "mdmtheory.sampler.sample": Spec(args={"model": lambda w: w["mu"]},
                                     kinds={"model": "callable", "schedule": "schedule4"}),
    "mdmtheory.sampler.random_orders": Spec(args={"rng": lambda w: np.random.default_rng(0)},
                                            kinds={"rng": None}),
    "mdmtheory.sampler.log_output_probability": Spec(
        args={"model": lambda w: w["mu"], "orders": lambda w: w["perms"]},
        kinds={"model": "callable", "x": "tokens", "schedule": "schedule4",
               "orders": "tokens"}),
    "mdmtheory.sampler.chain_rule_log_probability": Spec(
        args={"model": lambda w: w["mu"], "orders": lambda w: w["perms"]},
        kinds={"model": "callable", "x": "tokens", "orders": "tokens"}),
    "mdmtheory.sampler.MonteCarloEstimate": RECORD,
    "mdmtheory.sampler.monte_carlo_expected_kl": Spec(
        args={"model": lambda w: w["mu"]}, kinds={"model": "callable",
                                                   "schedule": "schedule4"}),
    # ---------------------------------------------------------------- montecarlo / oracle
    "mdmtheory.montecarlo.CurveEstimate": RECORD,
    "mdmtheory.montecarlo.Oracle": ALIAS,
    "mdmtheory.montecarlo.Sampler": ALIAS,
    "mdmtheory.montecarlo.curve_estimate_from_draws": Spec(
        args={"D": lambda w: np.random.default_rng(0).random((20, 4))},
        kinds={"D": "curve_draws"}),
    "mdmtheory.montecarlo.estimate_information_curve": Spec(
        args={"oracle": lambda w: w["mu"], "sampler_or_samples": None, "n_draws": 20,
              "js": [1, 2]},
        kinds={"oracle": "callable", "js": "positions"}),
    "mdmtheory.montecarlo.prefix_draws": Spec(
        args={"oracle": lambda w: mdmtheory.oracle.DistributionOracle(w["mu"])},
        kinds={"oracle": "callable", "x": "tokens", "perms": "tokens", "js": "positions"}),
    "mdmtheory.montecarlo.dense_prefix_draws": Spec(
        kinds={"x": "tokens", "perms": "tokens"}),
    "mdmtheory.montecarlo.isotonic_regression": Spec(
        args={"y": [0.0, 2.0, 1.0, 3.0]}, kinds={"y": "real_array", "weights": "weights"}),
    "mdmtheory.oracle.DistributionOracle": Spec(kinds={"max_cells": "count"}),
    "mdmtheory.oracle.DistributionOracle.__call__": Spec(
        call=_bound(_dist_oracle, mdmtheory.oracle.DistributionOracle, "__call__"),
        args={"x": lambda w: w["x"], "revealed_mask": np.zeros((6, 4), dtype=bool)},
        kinds={"x": "tokens", "revealed_mask": "mask"}),
    "mdmtheory.oracle.MASK": CONST,
    "mdmtheory.oracle.all_axis_marginals": Spec(args={"t": lambda w: w["mu"].p},
                                                kinds={"t": "nonneg_array"}),
    # ---------------------------------------------------------------- reference
    "mdmtheory.reference.naive_entropy": Spec(args={"table": lambda w: w["mu"].p},
                                              kinds={"table": "dist"}),
    **{f"mdmtheory.reference.{f}": Spec(args={"p": lambda w: w["mu"].p}, kinds={"p": "dist"})
       for f in ("naive_subset_entropies", "naive_information_curve", "naive_tc_dtc")},
    # ---------------------------------------------------------------- structured.markov
    "mdmtheory.structured.markov.MarkovSpec": Spec(),
    "mdmtheory.structured.markov.markov_spec": Spec(),
    "mdmtheory.structured.markov.markov_marginals": Spec(),
    "mdmtheory.structured.markov.gap_information_sums": Spec(),
    "mdmtheory.structured.markov.curve_from_gap_sums": Spec(
        args={"M": lambda w: mdmtheory.structured.markov.gap_information_sums(4, w["transition"])},
        kinds={"M": "gap_sums"}),
    "mdmtheory.structured.markov.profile_from_gap_sums": Spec(
        args={"M": lambda w: mdmtheory.structured.markov.gap_information_sums(4, w["transition"]),
              "marginal_entropies": lambda w: mdmtheory.marginal_entropies(w["mu"])},
        kinds={"M": "gap_sums", "marginal_entropies": "real_array"}),
    **{f"mdmtheory.structured.markov.{f}": Spec() for f in (
        "markov_information_curve", "markov_entropy_profile", "markov_information_summary",
        "markov_total_correlation", "markov_dual_total_correlation", "markov_sample",
        "MarkovOracle")},
    "mdmtheory.structured.markov.MarkovOracle.__call__": Spec(
        call=_bound(_markov_oracle, mdmtheory.structured.markov.MarkovOracle, "__call__"),
        args={"x": lambda w: w["x"], "revealed_mask": np.zeros((6, 4), dtype=bool)},
        kinds={"x": "tokens", "revealed_mask": "mask"}),
    "mdmtheory.structured.markov.forward_backward_conditionals": Spec(
        args={"x": lambda w: w["x"], "revealed_mask": np.zeros((6, 4), dtype=bool),
              "initial": np.array([0.5, 0.5]),
              "steps": lambda w: np.stack([w["transition"]] * 3),
              "emission": np.eye(2)},
        kinds={"x": "tokens", "revealed_mask": "mask", "steps": "stochastic",
               "initial": "prob_vector", "emission": "stochastic"}),
    # ---------------------------------------------------------------- structured.mixtures
    "mdmtheory.structured.mixtures.check_mixture": Spec(kinds={"components": "stochastic"}),
    "mdmtheory.structured.mixtures.mixture_of_products_table": Spec(
        kinds={"components": "stochastic"}),
    "mdmtheory.structured.mixtures.exchangeable_mixture_entropy_profile": Spec(
        args={"components": np.array([[0.9, 0.1], [0.2, 0.8]])},
        kinds={"components": "stochastic"}),
    "mdmtheory.structured.mixtures.exchangeable_mixture_information_curve": Spec(
        args={"components": np.array([[0.9, 0.1], [0.2, 0.8]])},
        kinds={"components": "stochastic"}),
    "mdmtheory.structured.mixtures.mixture_of_products_information_curve": Spec(
        kinds={"components": "stochastic"}),
    "mdmtheory.structured.mixtures.mixture_posterior_draws": Spec(
        kinds={"components": "stochastic", "x": "tokens", "perms": "tokens"}),
    "mdmtheory.structured.mixtures.mixture_posterior_curve_estimate": Spec(
        kinds={"components": "stochastic"}),
    "mdmtheory.structured.mixtures.ProductMixtureOracle": Spec(
        kinds={"components": "stochastic"}),
    "mdmtheory.structured.mixtures.hmm_information_curve": Spec(),
    "mdmtheory.structured.mixtures.HMMOracle": Spec(),
    "mdmtheory.structured.mixtures.hmm_curve_monte_carlo": Spec(),
    # ---------------------------------------------------------------- modules
    **{f"mdmtheory.{m}": MODULE for m in (
        "families", "schedule", "schedule_rules", "optimal", "sampler", "bounds", "hardness",
        "structured", "montecarlo")},
    **{f"mdmtheory.structured.{m}": MODULE for m in ("codes", "markov", "mixtures")},
}
# Names of other owners' modules are added by _other_modules_table() below.


def _other_modules_table() -> dict[str, Spec | Exempt]:
    """Entries for the modules of other owners (bounds, hardness, schedule_rules, codes,
    policies, bridge, cli, plotting)."""
    G = _code_G
    pol = "mdmtheory.policies"
    t: dict[str, Spec | Exempt] = {
        # bounds
        "mdmtheory.bounds.Rule": ALIAS,
        "mdmtheory.bounds.RULES": CONST,
        "mdmtheory.bounds.curve_totals": Spec(
            args={"mu_or_Z": lambda w: w["Z"], "curve": True}, kinds={"mu_or_Z": "curve"}),
        **{f"mdmtheory.bounds.{f}": Spec(args={"rule": "tc"}, kinds={"rule": "choice"})
           for f in ("rule_ratios", "certified_lambda", "extremal_code_dimension")},
        "mdmtheory.bounds.satisfies_rule": Spec(args={"rule": "tc", "lam": 1.0},
                                                kinds={"lam": "nonneg"}),
        **{f"mdmtheory.bounds.{f}": Spec(args={"mu_or_Z": lambda w: w["Z"], "curve": True},
                                         kinds={"mu_or_Z": "curve", "lam": "positive",
                                                "schedule": "schedule4"})
           for f in ("tc_rule_bound", "dtc_rule_bound", "min_rule_bound", "uniform_step_bound",
                     "li_cai_bound")},
        "mdmtheory.bounds.alphabet_step_bound": Spec(args={"mu_or_q": 2},
                                                     kinds={"mu_or_q": "count"}),
        "mdmtheory.bounds.is_balanced": Spec(),
        **{f"mdmtheory.bounds.{f}": Spec(
            args={"mu_or_Z": lambda w: w["Z"], "m": 1, "curve": True}, kinds={"mu_or_Z": "curve"})
           for f in ("residual_total_correlation", "pinning_bound")},
        "mdmtheory.bounds.ComparisonBounds": RECORD,
        "mdmtheory.bounds.tc_dtc_comparison": Spec(
            args={"mu_or_Z": lambda w: w["Z"], "curve": True}, kinds={"mu_or_Z": "curve"}),
        "mdmtheory.bounds.dtc_leave_one_out_identity": Spec(),
        # hardness
        "mdmtheory.hardness.code_family": Spec(args={"p": 5, "dims": [1, 2]},
                                               kinds={"p": "count", "dims": "positions"}),
        "mdmtheory.hardness.mds_generator": Spec(args={"p": 5}, kinds={"p": "count"}),
        "mdmtheory.hardness.mds_curve": Spec(),
        "mdmtheory.hardness.mds_error": Spec(),
        "mdmtheory.hardness.family_errors": Spec(args={"p": 5}, kinds={"p": "count"}),
        "mdmtheory.hardness.family_worst_error": Spec(),
        "mdmtheory.hardness.min_rounds_for_family": Spec(),
        "mdmtheory.hardness.good_for_family": Spec(),
        "mdmtheory.hardness.IndistinguishabilityReport": RECORD,
        "mdmtheory.hardness.indistinguishability_report": Spec(args={"depth": 1}),
        "mdmtheory.hardness.distinguishing_depth": Spec(),
        "mdmtheory.hardness.realize_step_curve": Spec(args={"levels": [0, 1, 1, 2], "p": 2},
                                                      kinds={"p": "count", "levels": None}),
        "mdmtheory.hardness.step_curve_levels": Spec(
            args={"Z": np.array([0.0, 1.0, 1.0, 2.0]) * math.log(2), "q_layer": 2}),
        # schedule_rules
        "mdmtheory.schedule_rules.uniform_schedule": Spec(),
        "mdmtheory.schedule_rules.llada_transfer_counts": Spec(args={"masked": 4, "steps": 2}),
        "mdmtheory.schedule_rules.semi_autoregressive_schedule": Spec(
            args={"block_length": 2, "steps_per_block": 1}),
        "mdmtheory.schedule_rules.llada_schedule": Spec(args={"gen_length": 4, "steps": 2}),
        "mdmtheory.schedule_rules.MASKING_SCHEDULES": CONST,
        "mdmtheory.schedule_rules.masked_fraction": Spec(
            args={"alpha": "linear", "tau": [0.0, 0.5, 1.0]},
            kinds={"alpha": "choice", "tau": "prob_array"}),
        "mdmtheory.schedule_rules.schedule_from_cumulative": Spec(
            args={"targets": [1.0, 2.5, 4.0]}, kinds={"targets": "real_array"}),
        "mdmtheory.schedule_rules.masking_schedule": Spec(kinds={"alpha": "choice"}),
        "mdmtheory.schedule_rules.dream_transfer_counts": Spec(args={"steps": 2},
                                                               kinds={"alpha": "choice"}),
        "mdmtheory.schedule_rules.geometric_schedule": Spec(args={"ratio": 2.0},
                                                            kinds={"ratio": "positive"}),
        **{f"mdmtheory.schedule_rules.{f}": Spec(args={"lam": 1.0}, kinds={"lam": "positive"})
           for f in ("tc_greedy_schedule", "dtc_greedy_schedule", "min_greedy_schedule")},
        "mdmtheory.schedule_rules.tc_rule_lambda": Spec(args={"tc": 1.0},
                                                        kinds={"tc": "nonneg"}),
        "mdmtheory.schedule_rules.dtc_rule_lambda": Spec(args={"dtc": 1.0},
                                                         kinds={"dtc": "nonneg"}),
        "mdmtheory.schedule_rules.min_rule_lambda": Spec(args={"tc": 1.0, "dtc": 1.0},
                                                         kinds={"tc": "nonneg",
                                                                "dtc": "nonneg"}),
        "mdmtheory.schedule_rules.tc_rule_ratio": Spec(),
        "mdmtheory.schedule_rules.dtc_rule_ratio": Spec(),
        # structured.codes
        **{f"mdmtheory.structured.codes.{f}": Spec(args={"generator": G, "p": 3},
                                                   kinds={"p": "count", "generator": "matrix"},
                                                   extra_bad={"p": (4, 1, 0)})
           for f in ("check_generator", "code_entropy_profile", "code_information_curve",
                     "code_tc_dtc", "is_mds", "code_curve_monte_carlo")},
        "mdmtheory.structured.codes.rank_mod_p": Spec(args={"matrix": G, "p": 3},
                                                      kinds={"p": "count", "matrix": "matrix"},
                                                      extra_bad={"p": (4, 1, 0, 2**61 - 1)}),
        "mdmtheory.structured.codes.code_subset_entropy": Spec(
            args={"generator": G, "p": 3, "positions": [0, 2]},
            kinds={"p": "count", "generator": "matrix"}, extra_bad={"p": (4,)}),
        "mdmtheory.structured.codes.code_prefix_draws": Spec(
            args={"generator": G, "p": 3}, kinds={"p": "count", "perms": "tokens",
                                                  "generator": "matrix"}),
        "mdmtheory.structured.codes.mds_entropy_profile": Spec(),
        "mdmtheory.structured.codes.mds_information_curve": Spec(),
        "mdmtheory.structured.codes.reed_solomon_information_curve": Spec(
            args={"p": 5}, kinds={"p": "count"}, extra_bad={"p": (4,)}),
        # cli (its fuzz is the CLI suite), plotting
        "mdmtheory.cli.main": Exempt("command-line entry point: fuzzed by the CLI suite"),
        "mdmtheory.cli.build_parser": Spec(kinds={"with_estimate": "bool"}),
        "mdmtheory.cli.CLIError": EXC,
        "mdmtheory.cli.FAMILIES": CONST,
        "mdmtheory.cli.NAMED_RULES": CONST,
        **{f"mdmtheory.plotting.{c}": CONST for c in (
            "FAMILY_COLORS", "SCHEDULE_COLORS", "SCHEDULE_LABELS", "SCHEDULE_MARKERS", "STYLE",
            "FIGURE_FORMATS")},
        "mdmtheory.plotting.color_for": Spec(args={"name": "tc"}, kinds={"name": None}),
        "mdmtheory.plotting.unit_label": Spec(),
        "mdmtheory.plotting.unit_scale": Spec(),
        "mdmtheory.plotting.style_context": Exempt("matplotlib rc context; takes a dict of "
                                                   "matplotlib settings validated by matplotlib"),
        "mdmtheory.plotting.new_figure": Spec(kinds={"nrows": "count", "ncols": "count",
                                                     "size": "choice", "width": "positive",
                                                     "height": "positive"},
                                              needs="matplotlib"),
        "mdmtheory.plotting.save_figure": Exempt("writes files; its inputs are a figure and a "
                                                 "path"),
        "mdmtheory.plotting.mark_zeros": Exempt("draws on a matplotlib axis; no numeric "
                                                "contract"),
        # policies (package re-exports resolve to these definitions)
        f"{pol}.exact.PolicyLaw": RECORD,
        f"{pol}.exact.FrontPoint": RECORD,
        f"{pol}.exact.evaluate_policy": Spec(
            args={"mdp_or_mu": lambda w: w["mu"], "policy": lambda w: _topk()},
            kinds={"mdp_or_mu": "dist", "policy": "callable", "max_states": "count"}),
        f"{pol}.exact.selection_laws": Spec(
            args={"mdp_or_mu": lambda w: w["mu"], "policy": lambda w: _topk()},
            kinds={"mdp_or_mu": "dist", "policy": "callable", "max_states": "count"}),
        f"{pol}.exact.expected_selection_kl": Spec(
            args={"mdp_or_mu": lambda w: w["mu"], "policy": lambda w: _topk()},
            kinds={"mdp_or_mu": "dist", "policy": "callable"}),
        f"{pol}.exact.make_mdp": Spec(kinds={"fallback": "bool"}),
        f"{pol}.exact.pareto_front": Spec(
            args={"points": np.array([1.0, 2.0, 3.0]), "err": np.array([0.3, 0.2, 0.1])},
            kinds={"points": "real_array", "err": "real_array"}),
        f"{pol}.exact.optimal_schedule_points": Spec(args={"ks": [1, 2]},
                                                     kinds={"ks": "positions"}),
        f"{pol}.exact.policy_front": Exempt("sweeps a grid of policies over a distribution "
                                            "(seconds per call); its parts are fuzzed"),
        f"{pol}.exact.default_policy_grid": Spec(),
        f"{pol}.exact.upper_concave_envelope": Spec(
            args={"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 1.5], "at": [0.5, 1.5]},
            kinds={"x": "real_array", "y": "real_array", "at": "real_array"}),
        f"{pol}.heuristics.ordered_positions": Spec(
            args={"scores": np.array([0.1, 0.5, 0.3, 0.2]), "active": np.ones(4, bool)},
            kinds={"scores": "real_array", "active": "mask"}),
        f"{pol}.heuristics.topk_select": Spec(
            args={"scores": np.array([0.1, 0.5, 0.3, 0.2]), "active": np.ones(4, bool)},
            kinds={"scores": "real_array", "active": "mask", "k": "count"}),
        f"{pol}.heuristics.threshold_select": Spec(
            args={"conf": np.array([0.1, 0.5, 0.3, 0.9]), "active": np.ones(4, bool),
                  "lam": 0.5},
            kinds={"conf": "prob_array", "active": "mask", "lam": "prob", "strict": "bool"}),
        f"{pol}.heuristics.factor_select": Spec(
            args={"conf": np.array([0.1, 0.5, 0.3, 0.9]), "active": np.ones(4, bool),
                  "factor": 1.0},
            kinds={"conf": "prob_array", "active": "mask", "factor": "nonneg"}),
        f"{pol}.heuristics.eb_select": Spec(
            args={"probs": lambda w: np.full((4, 2), 0.5), "active": np.ones(4, bool),
                  "gamma": 0.1},
            kinds={"probs": "cond_probs", "active": "mask", "gamma": "nonneg"}),
        **{f"{pol}.heuristics.{f}": Spec(args={"probs": np.full((1, 4, 2), 0.5)},
                                         kinds={"probs": "cond_probs"})
           for f in ("confidence_scores", "margin_scores", "neg_entropy_scores", "entropies")},
        **{f"{pol}.heuristics.{f}": Spec() for f in (
            "ScheduledPolicy", "RandomK", "TopK", "TopKConfidence", "TopKMargin",
            "TopKEntropy")},
        f"{pol}.heuristics.ConfidenceThreshold": Spec(kinds={"lam": "prob"}),
        f"{pol}.heuristics.FactorRule": Spec(kinds={"factor": "nonneg"}),
        f"{pol}.heuristics.EBSampler": Spec(kinds={"gamma": "nonneg"}),
        f"{pol}.mdp.MASK": CONST,
        f"{pol}.mdp.TIE_ATOL": CONST,
        f"{pol}.mdp.Oracle": ALIAS,
        f"{pol}.mdp.ExactOracle": Spec(),
        f"{pol}.mdp.Observation": RECORD,
        f"{pol}.mdp.Policy": Exempt("abstract base class of policies"),
        f"{pol}.mdp.BernoulliPolicy": Exempt("abstract base class of policies"),
        f"{pol}.mdp.UnmaskingMDP": Spec(
            args={"oracle": lambda w: __import__("mdmtheory.policies", fromlist=["x"])
                  .ExactOracle(w["mu"])},
            kinds={"oracle": "callable", "fallback": "bool"}),
        f"{pol}.mdp.MDPState": RECORD,
        f"{pol}.mdp.Rollout": RECORD,
        f"{pol}.mdp.argmax_with_ties": Spec(args={"values": np.array([[0.1, 0.5, 0.5]])},
                                            kinds={"values": "real_array", "axis": None}),
        f"{pol}.mdp.confidence": Spec(args={"probs": np.full((1, 4, 2), 0.5)},
                                      kinds={"probs": "cond_probs"}),
    }
    # torch-based modules: learned policies and the bridge
    learned = {
        "PolicyConfig": Spec(kinds={"d_model": "count", "n_heads": "count", "ffn_mult": "count",
                                    "smart_init": "real", "max_period": "positive",
                                    "rope_base": "positive"}, needs="torch"),
        "DiTPolicyNet": Exempt("torch module built from a validated PolicyConfig"),
        "LearnedPolicy": Exempt("wraps a trained torch network; temperature/beta fuzzed via "
                                "PolicyConfig-style checks in the owner's tests"),
        "GRPOConfig": Spec(kinds={"alpha": "nonneg", "group_size": "count",
                                  "groups_per_batch": "count", "iterations": "count",
                                  "inner_steps": "count", "clip_eps": "positive",
                                  "lr": "positive"}, needs="torch"),
        "TrainResult": RECORD,
        "train_grpo": Exempt("trains a network (minutes); its configuration is fuzzed through "
                             "GRPOConfig"),
        "support_reward": Spec(needs="torch"),
        "likelihood_reward": Spec(needs="torch"),
        "reward_fn": Spec(kinds={"kind": "choice"}, needs="torch"),
        "speed_reward": Spec(args={"correct": np.array([1.0, 0.0]), "nfe": np.array([2, 3]),
                                   "length": 4, "alpha": 1.0},
                             kinds={"correct": "prob_array", "nfe": "tokens",
                                    "alpha": "nonneg"}, needs="torch"),
        "grpo_advantages": Spec(args={"rewards": np.arange(4.0), "group_size": 2},
                                kinds={"rewards": "real_array"}, needs="torch"),
        "action_log_prob": Exempt("operates on torch tensors inside training"),
        "code_family": Spec(args={"p": 5}, kinds={"p": "count"}, needs="torch"),
        "train_code_family_policy": Exempt("trains a network (minutes)"),
    }
    t.update({f"{pol}.learned.{k}": v for k, v in learned.items()})
    torch_records = "result record of a torch-model estimate"
    br = "mdmtheory.bridge"
    bridge = {
        "antiberty.antiberty_dir": Spec(needs="antiberty"),  # the valid call needs the package
        "antiberty.load_antiberty": Exempt("loads a pretrained model from disk/network"),
        "antiberty.sample_antiberty_sequences": Exempt("needs the AntiBERTy model"),
        "antiberty.RESIDUES": CONST,
        "cli.add_arguments": Exempt("argparse plumbing of the CLI (fuzzed by the CLI suite)"),
        "cli.run": Exempt("CLI subcommand runner (fuzzed by the CLI suite)"),
        "cli.load_model": Exempt("CLI model loader (fuzzed by the CLI suite)"),
        "estimate.AutocastWarning": EXC,
        "estimate.ModelCurveEstimate": Exempt(torch_records),
        "estimate.ErrorEstimate": Exempt(torch_records),
        "estimate.ScheduleEstimate": Exempt(torch_records),
        "estimate.autocast_context": Spec(args={"device": "cpu", "autocast": None},
                                          kinds={"autocast": "choice", "device": "choice"},
                                          needs="torch"),
        "estimate.autocast_accuracy": Exempt("compares autocast modes of a torch model"),
        "estimate.estimate_model_curve": Spec(
            args={"model": lambda w: _oracle_model(w), "sequences": lambda w: w["x"],
                  "positions_per_cell": 1},
            kinds={"model": "callable", "sequences": "tokens"}, needs="torch"),
        "estimate.predicted_error": Spec(
            args={"est": lambda w: _model_estimate(w)}, kinds={"est": "callable",
                                                              "schedule": "schedule4"},
            needs="torch"),
        "estimate.schedule_from_estimate": Spec(
            args={"est": lambda w: _model_estimate(w), "n_boot": 20},
            kinds={"est": "callable"}, needs="torch"),
        "estimate.row_plan": Spec(args={"nx": 6, "n_grid": 4, "positions_per_cell": 1,
                                        "rng": lambda w: np.random.default_rng(0)},
                                  kinds={"rng": None}, needs="torch"),
        "kjv.KJVUnavailable": EXC,
        "kjv.default_cache_dir": Spec(needs="torch"),
        "kjv.fetch_kjv": Exempt("downloads a file"),
        "kjv.load_verses": Exempt("reads the downloaded KJV text"),
        "kjv.KJVCorpus": RECORD,
        "kjv.load_corpus": Exempt("reads the downloaded KJV text"),
        "kjv.heldout_windows": Exempt("needs the KJV text and a tokenizer model"),
        "kjv.HELDOUT_EVERY": CONST,
        "models.MaskedModel": ALIAS,
        "models.HFMaskedLM": Exempt("wraps a Hugging Face torch model"),
        "models.bert_masked_lm": Exempt("wraps a Hugging Face torch model"),
        "models.llada_style": Exempt("wraps a Hugging Face torch model"),
        "models.dream_style": Exempt("wraps a Hugging Face torch model"),
        "models.OracleModel": Spec(kinds={"device": "choice"}, needs="torch"),
        "prompted.PromptedModel": Exempt("wraps a conditional oracle and one prompt; its "
                                         "argument errors are tested in test_bridge_prompted"),
        "models.default_device": Spec(needs="torch"),
        "models.check_batch": Exempt("internal tensor check of the MaskedModel protocol"),
        "models.entropy_and_nll": Exempt("operates on torch tensors"),
        "models.sample_one_token_per_step": Spec(
            args={"model": lambda w: _oracle_model(w), "num": 3, "length": 4,
                  "progress": False},
            kinds={"model": "callable", "temperature": "positive"}, needs="torch"),
        "train_dlm.DLMConfig": Exempt("training configuration (validated by train)"),
        "train_dlm.CONFIGS": CONST,
        "train_dlm.TinyMDLM": Exempt("torch module"),
        "train_dlm.build_network": Exempt("builds a torch module from a DLMConfig"),
        "train_dlm.mdlm_loss": Exempt("operates on torch tensors inside training"),
        "train_dlm.train": Exempt("trains a network (minutes)"),
        "train_dlm.heldout_metrics": Exempt("needs a trained network"),
        "train_dlm.load_kjv_dlm": Exempt("loads a checkpoint from disk"),
        "train_dlm.DEFAULT_CHECKPOINT": CONST,
        "train_dlm.PAD_ID": CONST,
        "train_dlm.MASK_ID": CONST,
        "validate.SequentialPasses": Exempt(torch_records),
        "validate.sequential_passes": Spec(
            args={"model": lambda w: _oracle_model(w), "sequences": lambda w: w["x"],
                  "progress": False},
            kinds={"model": "callable", "sequences": "tokens"}, needs="torch"),
        "validate.DirectKL": Exempt(torch_records),
        "validate.direct_expected_kl": Spec(
            args={"passes": lambda w: _passes(w), "schedules": [[2, 2]]},
            kinds={"passes": "callable", "schedules": None}, needs="torch"),
        "validate.ValidationRow": Exempt(torch_records),
        "validate.validate_schedules": Spec(
            args={"est": lambda w: _model_estimate(w), "passes": lambda w: _passes(w),
                  "schedules": {"a": [2, 2]}},
            kinds={"est": "callable", "passes": "callable", "schedules": None},
            needs="torch"),
        "validate.validation_table": Spec(args={"rows": []}, kinds={"rows": "callable"},
                                          needs="torch"),
    }
    t.update({f"{br}.{k}": v for k, v in bridge.items()})
    return t


def _topk():
    from mdmtheory.policies import TopK

    return TopK([2, 2])


_CACHE: dict[str, Any] = {}


def _oracle_model(w):
    if "om" not in _CACHE:
        from mdmtheory.bridge import OracleModel

        _CACHE["om"] = OracleModel(w["mu"])
    return _CACHE["om"]


def _model_estimate(w):
    if "est" not in _CACHE:
        from mdmtheory.bridge import estimate_model_curve

        seqs = w["mu"].sample(40, rng=np.random.default_rng(1))
        _CACHE["est"] = estimate_model_curve(_oracle_model(w), seqs, progress=False)
    return _CACHE["est"]


def _passes(w):
    if "passes" not in _CACHE:
        from mdmtheory.bridge.validate import sequential_passes

        seqs = w["mu"].sample(40, rng=np.random.default_rng(2))
        _CACHE["passes"] = sequential_passes(_oracle_model(w), seqs, progress=False)
    return _CACHE["passes"]


TABLE.update(_other_modules_table())


def _new_modules_table() -> dict[str, Spec | Exempt]:
    """Entries for the modules added after the first fuzz table: adaptive policies (Sec. 5 of
    the paper), affine codes, paper constructions, certified schedules, random schedules,
    decoupling, lower bounds, the new bridge modules, dlm and tasks."""
    G = _code_G
    ad = "mdmtheory.adaptive"
    torch_only = "operates on torch tensors / modules (the bridge's own tests cover it)"
    needs_model = "needs a torch masked model or a trained network"
    files = "reads or writes files (paths are validated by the OS)"
    train = "trains a network (minutes); its configuration is a validated record"
    main = "command-line entry point (fuzzed through its argparse parser)"
    t: dict[str, Spec | Exempt] = {
        # ------------------------------------------------------------ adaptive (Sec. 5)
        f"{ad}.cost": Spec(
            args={"policy": lambda w: _adaptive_policy(), "budget": 8},
            kinds={"policy": "callable", "budget": "count", "kind": "choice"}),
        f"{ad}.oracle_answer": Spec(args={"positions": [0], "values": [1]},
                                    kinds={"values": "positions"}),
        f"{ad}.prior_cost": Spec(
            # the smallest Thm 24 prior (n = p = 2: 5 laws) keeps the call fast
            args={"policy": lambda w: __import__(ad, fromlist=["x"])
                  .random_unmasking_policy([1, 1], 2, 2),
                  "prior": lambda w: __import__(ad, fromlist=["x"]).thm24_prior(2, 2),
                  "budget": lambda w: (lambda mu: 8)},
            kinds={"policy": "callable", "prior": None, "budget": "callable",
                   "kind": "choice"}),
        f"{ad}.random_unmasking_policy": Spec(args={"sizes": [2, 2]},
                                              kinds={"sizes": "schedule4"}),
        f"{ad}.run_exactly": Spec(args={"policy": lambda w: _adaptive_policy()},
                                  kinds={"policy": "callable", "max_queries": "count"}),
        # a closed form in n: a huge n is a valid input
        f"{ad}.thm24_cost_bound": Spec(args={"queries_on_uniform": 4},
                                       kinds={"n": "count", "queries_on_uniform": "count"}),
        f"{ad}.thm24_prior": Spec(args={"p": 5}, kinds={"p": "count"}, extra_bad={"p": (4, 3)}),
        f"{ad}.tv_distance": Spec(
            args={"p": lambda w: w["mu"].p.copy(), "q": lambda w: np.full((2,) * 4, 1 / 16)},
            kinds={"p": "dist", "q": "dist"}),
        # ------------------------------------------------------------ affine codes
        "mdmtheory.affine_codes.affine_code": Spec(args={"generator": G, "p": 3},
                                                   kinds={"p": "count", "generator": "matrix",
                                                          "name": None}),
        **{f"mdmtheory.affine_codes.{f}": Spec(args={"generator": G, "p": 3},
                                               kinds={"p": "count", "generator": "matrix"})
           for f in ("balance_deviation", "unshifted_balance_deviation")},
        "mdmtheory.affine_codes.product_with_code": Spec(
            args={"mu_star": lambda w: families.uniform(2, 2),
                  "code": lambda w: families.repetition(2, 2)},
            kinds={"mu_star": "dist", "code": "dist"}),
        "mdmtheory.affine_codes.reed_solomon_affine": Spec(args={"p": 5},
                                                           kinds={"p": "count"}),
        "mdmtheory.affine_codes.up_shift_curve": Spec(),
        # ------------------------------------------------------------ bounds (new)
        # a closed form in n: a huge n is a valid input (no table, no loop)
        "mdmtheory.bounds.austin_lemma33_size": Spec(
            args={"n": 16, "dtc": 1.0, "delta_sq": 0.5},
            kinds={"n": "count", "dtc": "nonneg", "delta_sq": "positive"}),
        "mdmtheory.bounds.cor34_bound": Spec(args={"n": 16, "dtc": 1.0, "delta_sq": 0.5},
                                             kinds={"dtc": "nonneg", "delta_sq": "positive"}),
        "mdmtheory.bounds.conditional_tc_plus_dtc": Spec(
            args={"s": 1, "mu_or_Z": lambda w: w["mu"]},
            kinds={"s": "count", "mu_or_Z": "dist", "curve": "bool"}),
        "mdmtheory.bounds.li_cai_power_bound": Spec(
            args={"mu_or_Z": lambda w: w["mu"]},
            kinds={"mu_or_Z": "dist", "curve": "bool", "schedule": "schedule4"}),
        # ------------------------------------------------------------ certified schedules
        "mdmtheory.certified.CertifiedSchedule": RECORD,
        "mdmtheory.certified.CurveBand": RECORD,
        "mdmtheory.certified.simultaneous_band": Spec(
            args={"D": lambda w: _draws()}, kinds={"D": "curve_draws", "delta": "prob",
                                                   "kind": "choice"}),
        "mdmtheory.certified.certified_schedule": Spec(
            args={"band": lambda w: _band()}, kinds={"band": "callable"}),
        "mdmtheory.certified.worst_case_error": Spec(
            args={"band": lambda w: _band()}, kinds={"band": "callable",
                                                     "schedule": "schedule4"}),
        # ------------------------------------------------------------ cli helpers
        "mdmtheory.cli.discover_figures": Exempt(files),
        "mdmtheory.cli.find_figures_dir": Exempt(files),
        "mdmtheory.cli.run_figure": Exempt("runs a figure script (fuzzed by the CLI suite)"),
        "mdmtheory.cli.format_table": Spec(args={"headers": ["a", "b"], "rows": [[1, 2]]},
                                           kinds={"headers": None, "rows": None,
                                                  "align": None}),
        # ------------------------------------------------------------ decoupling (Thm 1)
        "mdmtheory.decoupling.exact_oracle": Spec(),
        "mdmtheory.decoupling.kl_table": Spec(
            args={"p": lambda w: w["mu"].p.copy(), "q": lambda w: np.full((2,) * 4, 1 / 16)},
            kinds={"p": "dist", "q": "dist"}),
        "mdmtheory.decoupling.learning_error_term": Spec(
            args={"oracle": lambda w: _decoupling_oracle(w), "position_sets": [[0, 1], [2, 3]]},
            kinds={"oracle": "callable", "position_sets": None}),
        "mdmtheory.decoupling.output_law_with_oracle": Spec(
            args={"oracle": lambda w: _decoupling_oracle(w), "position_sets": [[0, 1], [2, 3]]},
            kinds={"oracle": "callable", "position_sets": None}),
        "mdmtheory.decoupling.perturbed_oracle": Spec(args={"strength": 0.1},
                                                      kinds={"strength": "nonneg"}),
        # ------------------------------------------------------------ lower bound (Thm 30)
        **{f"mdmtheory.lower_bound.{f}": Spec(args={"n": 16, "eps": 0.25}) for f in (
            "geometric_block_curve", "geometric_block_function", "geometric_blocks",
            "lemma28_conditions")},
        "mdmtheory.lower_bound.thm30_optimal_errors": Spec(args={"n": 16, "eps": 0.25,
                                                                 "ks": [1, 2]},
                                                           kinds={"ks": "positions"}),
        "mdmtheory.lower_bound.count_pieces": Spec(args={"f": [0.0, 1.0, 2.0, 2.5]},
                                                   kinds={"f": "real_array"}),
        # ------------------------------------------------------------ paper schedules
        "mdmtheory.paper_schedules.PaperSchedule": RECORD,
        "mdmtheory.paper_schedules.Thm10ProofSchedule": RECORD,
        **{f"mdmtheory.paper_schedules.{f}": Spec(args={"n": 16}) for f in (
            "app_d_grid", "app_d_sweep", "app_d_sweep_queries")},
        "mdmtheory.paper_schedules.cor34_schedule": Spec(
            args={"n": 16, "dtc": 1.0, "delta_sq": 0.5},
            kinds={"dtc": "nonneg", "delta_sq": "positive"}),
        **{f"mdmtheory.paper_schedules.{f}": Spec(
            args={"n": 16, "dtc_estimate": 1.0}, kinds={"dtc_estimate": "nonneg"})
           for f in ("thm10_proof_schedule", "thm10_schedule", "thm9_dtc_schedule")},
        "mdmtheory.paper_schedules.thm9_tc_schedule": Spec(
            args={"n": 16, "tc_estimate": 1.0}, kinds={"tc_estimate": "nonneg"}),
        "mdmtheory.paper_schedules.rem32_uniform_schedule": Spec(
            args={"n": 16, "z_n": 1.0}, kinds={"z_n": "nonneg"}),
        "mdmtheory.paper_schedules.thm9_lambda": Spec(args={"n": 16, "zeta": 2},
                                                      kinds={"zeta": "count"}),
        "mdmtheory.paper_schedules.thm9_step_bound": Spec(
            args={"n": 16, "estimate": 1.0}, kinds={"estimate": "nonneg"}),
        "mdmtheory.paper_schedules.thm9_zeta": Spec(args={"estimate": 1.0},
                                                    kinds={"estimate": "nonneg"}),
        "mdmtheory.paper_schedules.schedule_weights": Spec(args={"sizes": [2, 2]},
                                                           kinds={"sizes": "sizes0"}),
        **{f"mdmtheory.paper_schedules.{f}": Spec(
            args={"sizes": [2, 2], "kind": "tc", "estimate": 1.0},
            kinds={"sizes": "sizes0", "kind": "choice", "estimate": "nonneg"})
           for f in ("worst_case_error",)},
        "mdmtheory.paper_schedules.guarantee_holds": Spec(
            args={"sizes": [2, 2], "kind": "tc", "estimate": 1.0},
            kinds={"sizes": "sizes0", "kind": "choice", "estimate": "nonneg"}),
        "mdmtheory.paper_schedules.worst_case_ratio": Spec(
            args={"sizes": [2, 2], "kind": "tc"}, kinds={"sizes": "sizes0",
                                                          "kind": "choice"}),
        # ------------------------------------------------------------ plotting (new)
        **{f"mdmtheory.plotting.{f}": Exempt("draws on a matplotlib axis; its numeric inputs "
                                             "are validated by the functions that built them")
           for f in ("plot_curve", "plot_curve_estimate", "plot_frontier", "plot_fronts",
                     "zero_strip")},
        "mdmtheory.plotting.smallest_font_pt": Exempt("reads a matplotlib figure"),
        # ------------------------------------------------------------ adaptive optimal policies
        "mdmtheory.policies.adaptive_optimal.AdaptiveFront": RECORD,
        "mdmtheory.policies.adaptive_optimal.AdaptiveSolution": RECORD,
        "mdmtheory.policies.adaptive_optimal.OptimalAdaptivePolicy": Spec(
            args={"solution": lambda w: _adaptive_solution(w)}, kinds={"solution": "callable"}),
        "mdmtheory.policies.adaptive_optimal.solve_adaptive": Spec(
            kinds={"reward": "choice", "lam": "nonneg", "budget": "count", "alpha": "nonneg",
                   "length": "count"}),
        "mdmtheory.policies.adaptive_optimal.adaptive_front": Spec(
            kinds={"reward": "choice", "alpha": "nonneg", "length": "count",
                   "lam_max": "positive"}),
        "mdmtheory.policies.adaptive_optimal.budget_front": Spec(
            args={"budgets": [1, 2]},
            kinds={"reward": "choice", "budgets": "positions", "alpha": "nonneg",
                   "length": "count"}),
        "mdmtheory.policies.adaptive_optimal.budget_envelope": Spec(
            args={"nfe": [1.0, 2.0, 3.0], "reward": [0.2, 0.5, 0.6], "at": [1.5, 2.5]},
            kinds={"nfe": "real_array", "reward": "real_array", "at": "real_array"}),
        "mdmtheory.policies.gaps.GapReport": RECORD,
        "mdmtheory.policies.gaps.RuleFront": RECORD,
        "mdmtheory.policies.gaps.gap_report": Exempt(
            "sweeps adaptive and rule fronts over a distribution (seconds per call); its "
            "parts (solve_adaptive, evaluate_policy) are fuzzed"),
        "mdmtheory.policies.gaps.gaps_from_points": Exempt(
            "combines fronts built by gap_report (records), not user input"),
        "mdmtheory.policies.gaps.summarize_gaps": Exempt(
            "summarises the arrays built by gap_report, not user input"),
        "mdmtheory.policies.gaps.law_reward": Spec(
            args={"law": lambda w: _policy_law(w), "reward": "correct"},
            kinds={"law": "callable", "reward": "choice", "alpha": "nonneg"}),
        # ------------------------------------------------------------ random schedules
        "mdmtheory.random_schedules.CountProcess": Spec(
            args={"kernels": lambda w: _process().kernels}, kinds={"kernels": None,
                                                                    "name": None}),
        "mdmtheory.random_schedules.NoiseScheduleResult": RECORD,
        "mdmtheory.random_schedules.bernoulli_process": Spec(
            args={"unmask_probs": [0.5, 1.0]}, kinds={"unmask_probs": "prob_array",
                                                      "name": None}),
        "mdmtheory.random_schedules.count_process": Spec(
            args={"steps": 4, "size_pmf": lambda w: _size_pmf},
            kinds={"size_pmf": "callable", "name": None}),
        "mdmtheory.random_schedules.dream_origin_process": Spec(args={"steps": 2},
                                                                kinds={"eps": "prob"}),
        "mdmtheory.random_schedules.expected_kl": Spec(args={"process": lambda w: _process()},
                                                       kinds={"process": "callable"}),
        **{f"mdmtheory.random_schedules.{f}": Spec(args={"process": lambda w: _process()},
                                                   kinds={"process": "callable"})
           for f in ("expected_weights", "jump_probabilities")},
        "mdmtheory.random_schedules.worst_case_ratio": Spec(
            args={"process": lambda w: _process()}, kinds={"process": "callable",
                                                           "kind": "choice"}),
        **{f"mdmtheory.random_schedules.{f}": Spec(kinds={"kind": "choice"})
           for f in ("minimax_ratio_fixed", "minimax_ratio_random")},
        "mdmtheory.random_schedules.noise_schedule_process": Spec(
            args={"alpha": [0.0, 0.5, 1.0]}, kinds={"alpha": "prob_array", "steps": "count",
                                                    "name": None}),
        "mdmtheory.random_schedules.opt_hull": Spec(args={"at": [1.5, 2.5]},
                                                    kinds={"at": "real_array"}),
        "mdmtheory.random_schedules.optimal_noise_schedule": Spec(
            args={"starts": 1}, kinds={"starts": "count"}),
        # ------------------------------------------------------------ structured.codes (new)
        **{f"mdmtheory.structured.codes.{f}": Spec(args={"generator": G, "p": 3},
                                                   kinds={"p": "count", "generator": "matrix"},
                                                   extra_bad={"p": (4, 1, 0)})
           for f in ("example1_counts", "example1_tc_dtc")},
        # ------------------------------------------------------------ tasks
        "mdmtheory.tasks.base.Task": Exempt("abstract base class of tasks"),
        "mdmtheory.tasks.base.SupportOracle": Spec(
            args={"support": np.array([[0, 1], [1, 0]]), "q": 2},
            kinds={"support": "tokens", "null_context": "choice"}),
        "mdmtheory.tasks.base.prompt_hash": Spec(
            args={"x": np.array([[0, 1, 1, 0]]), "clue": np.array([[True, False, True, False]])},
            kinds={"x": "count_array", "clue": "mask"}),
        "mdmtheory.tasks.code.LinearCodeTask": Spec(
            args={"generator": G, "p": 3, "num_clues": 1},
            kinds={"generator": "matrix", "p": "count", "num_clues": "count", "name": None,
                   "shift": None, "shift_seed": "seed", "max_codewords": "count"}),
        "mdmtheory.tasks.code.default_code_generator": Spec(
            args={"n": 6, "d": 2, "p": 3}, kinds={"column_weight": "count"}),
        "mdmtheory.tasks.markov.MarkovTask": Spec(
            args={"transition": lambda w: w["transition"], "n": 4, "num_clues": 1},
            kinds={"num_clues": "count", "name": None}),
        "mdmtheory.tasks.markov.sparse_transition": Spec(args={"q": 4, "k": 2}),
        "mdmtheory.tasks.kjv.KJVTask": Exempt("needs the downloaded KJV text"),
        **{f"mdmtheory.tasks.sudoku.{c}": Spec(kinds={"clues": None, "name": None})
           for c in ("Sudoku4Task",)},
        "mdmtheory.tasks.sudoku.Sudoku9Task": Exempt(
            "builds a 9x9 puzzle generator (its clue range is validated like Sudoku4Task's)"),
        "mdmtheory.tasks.sudoku.all_grids": Spec(args={"box": 2}, kinds={"box": None}),
        "mdmtheory.tasks.sudoku.is_valid_grid": Spec(
            args={"x": lambda w: __import__("mdmtheory.tasks", fromlist=["x"])
                  .all_grids(2)[:2], "box": 2},
            kinds={"x": "tokens", "box": "count"}),
        "mdmtheory.tasks.get_task": Spec(args={"name": "sudoku4"}, kinds={"name": "choice"}),
        # ------------------------------------------------------------ dlm (torch training)
        "mdmtheory.dlm.model.ArchConfig": Exempt("training configuration record (torch)"),
        "mdmtheory.dlm.config.DLMConfig": Exempt("training configuration record (torch)"),
        "mdmtheory.dlm.model.Denoiser": Exempt("torch module"),
        "mdmtheory.dlm.oracle.OracleDenoiser": Exempt("torch module wrapping a task's oracle"),
        "mdmtheory.dlm.train.build_denoiser": Exempt("builds a torch module from a DLMConfig"),
        "mdmtheory.dlm.train.masked_diffusion_loss": Exempt(torch_only),
        "mdmtheory.dlm.train.train": Exempt(train),
        "mdmtheory.dlm.train.main": Exempt(main),
        "mdmtheory.dlm.checkpoint.checkpoint_path": Exempt(files),
        "mdmtheory.dlm.checkpoint.load_checkpoint": Exempt(files),
        "mdmtheory.dlm.checkpoint.save_checkpoint": Exempt(files),
        "mdmtheory.dlm.evaluate.greedy_decode": Exempt(needs_model),
        "mdmtheory.dlm.evaluate.masked_nll": Exempt(needs_model),
        "mdmtheory.dlm.evaluate.masked_nll_rows": Exempt(needs_model),
        "mdmtheory.dlm.evaluate.ratio_se": Spec(
            args={"num": [1.0, 2.0, 4.0], "den": [1.0, 2.0, 3.0]},
            kinds={"num": "real_array", "den": "real_array"}),
        "mdmtheory.dlm.kjv_model.load_kjv_dlm": Exempt(files),
        "mdmtheory.dlm.kjv_text.KJVCorpus": RECORD,
        "mdmtheory.dlm.kjv_text.KJVUnavailable": EXC,
        "mdmtheory.dlm.kjv_text.default_cache_dir": Spec(),
        "mdmtheory.dlm.kjv_text.fetch_kjv": Exempt("downloads a file"),
        "mdmtheory.dlm.kjv_text.heldout_windows": Exempt("needs the KJV text and a model"),
        "mdmtheory.dlm.kjv_text.load_corpus": Exempt("reads the downloaded KJV text"),
        "mdmtheory.dlm.kjv_text.load_verses": Exempt("reads the downloaded KJV text"),
        # ------------------------------------------------------------ bridge (new modules)
        "mdmtheory.bridge.batching.as_rows": Spec(args={"seqs": lambda w: w["x"], "name": "seqs"},
                                                  kinds={"seqs": "tokens", "name": None}),
        "mdmtheory.bridge.batching.pad_batch": Spec(
            args={"rows": [np.array([0, 1]), np.array([1])],
                  "masks": [np.array([True, False]), np.array([True])]},
            kinds={"rows": None, "masks": None}),
        "mdmtheory.bridge.cli.add_schedule_arguments": Exempt(
            "argparse plumbing of the CLI (fuzzed by the CLI suite)"),
        "mdmtheory.bridge.cli.run_schedule": Exempt("CLI subcommand runner (fuzzed by the CLI "
                                                    "suite)"),
        "mdmtheory.bridge.crossfit.CrossFitError": RECORD,
        "mdmtheory.bridge.crossfit.ScheduleLine": RECORD,
        "mdmtheory.bridge.crossfit.FormsDisagreeWarning": EXC,
        "mdmtheory.bridge.crossfit.WideIntervalWarning": EXC,
        "mdmtheory.bridge.crossfit.crossfit_schedule": Spec(
            args={"D": lambda w: _draws()},
            kinds={"D": "curve_draws", "n_splits": "count", "combine": "choice"}),
        # per-row errors: a single row is valid input here
        "mdmtheory.bridge.crossfit.error_rows": Spec(args={"D": lambda w: _draws()},
                                                     kinds={"D": "draw_rows",
                                                            "schedule": "schedule4"}),
        "mdmtheory.bridge.crossfit.isotonic_curve": Spec(
            args={"Z": [0.0, 1.0, 0.8, 2.0]}, kinds={"Z": "real_array", "se": None}),
        "mdmtheory.bridge.crossfit.optimal_on_draws": Spec(args={"D": lambda w: _draws()},
                                                           kinds={"D": "curve_draws"}),
        "mdmtheory.bridge.crossfit.schedule_report": Spec(
            args={"est": lambda w: _model_estimate(w), "ks": [1, 2]},
            kinds={"est": "callable", "ks": "positions", "form": "choice",
                   "usual_steps": "count", "n_splits": "count", "rows": None,
                   "warn": "bool"}, needs="torch"),
        "mdmtheory.bridge.crossfit.simultaneous_band": Spec(
            args={"D": lambda w: _draws(), "n_boot": 50}, kinds={"D": "curve_draws"}),
        "mdmtheory.bridge.distributed.estimate_distributed": Exempt(
            "multi-process torch run over a masked model (its parts are fuzzed)"),
        "mdmtheory.bridge.distributed.init_from_env": Exempt(
            "reads torch.distributed environment variables"),
        "mdmtheory.bridge.distributed.rows_of_rank": Spec(
            args={"num": 10, "rank": 0, "size": 2},
            kinds={"num": "count", "rank": "count", "size": "count"}, needs="torch"),
        "mdmtheory.bridge.distributed.world": Spec(needs="torch"),
        "mdmtheory.bridge.estimate.estimate_from_draws": Exempt(
            "assembles a record from draws computed by estimate_from_rows"),
        "mdmtheory.bridge.estimate.estimate_from_rows": Spec(
            args={"model": lambda w: _oracle_model(w), "rows": lambda w: _rows(w),
                  "progress": False},
            kinds={"model": "callable", "rows": None, "fused": "bool", "js": None,
                   "autocast": "choice"}, needs="torch"),
        "mdmtheory.bridge.estimate.predicted_error_rows": Spec(
            args={"est": lambda w: _model_estimate(w)},
            kinds={"est": "callable", "schedule": "schedule4", "form": "choice"},
            needs="torch"),
        "mdmtheory.bridge.estimate.tail_draws": Exempt(
            "inner loop of estimate_from_rows over torch batches (fuzzed through it)"),
        "mdmtheory.bridge.heads.NetworkSplit": Exempt(torch_only),
        "mdmtheory.bridge.heads.fused_entropy_nll": Exempt(torch_only),
        "mdmtheory.bridge.heads.split_network": Exempt(torch_only),
        "mdmtheory.bridge.kjv.encode": Spec(args={"text": "abba", "alphabet": "ab"},
                                            kinds={"text": None, "alphabet": None},
                                            needs="torch"),
        "mdmtheory.bridge.loading.load": Exempt(files),
        "mdmtheory.bridge.loading.load_estimate": Exempt(files),
        "mdmtheory.bridge.loading.save_estimate": Exempt(files),
        "mdmtheory.bridge.measured.ComparisonRow": RECORD,
        "mdmtheory.bridge.measured.SampledRows": RECORD,
        "mdmtheory.bridge.measured.compare_schedules": Exempt(
            "compares schedules on rows sampled from a torch model (seconds per call); "
            "its parts (sample_rows, t_interval) are fuzzed"),
        "mdmtheory.bridge.measured.comparison_table": Exempt(
            "formats ComparisonRow records built by compare_schedules"),
        "mdmtheory.bridge.measured.confidence_nll": Spec(
            args={"model": lambda w: _oracle_model(w), "x": lambda w: w["x"],
                  "schedule": [2, 2]},
            kinds={"model": "callable", "x": "tokens", "schedule": "schedule4",
                   "autocast": "choice"}, needs="torch"),
        "mdmtheory.bridge.measured.row_rng": Spec(args={"row_id": 3},
                                                  kinds={"row_id": "count"}, needs="torch"),
        "mdmtheory.bridge.measured.sample_rows": Spec(
            args={"model": lambda w: _oracle_model(w), "num": 3, "length": 4,
                  "progress": False},
            kinds={"model": "callable", "row_offset": "count", "row_ids": None,
                   "autocast": "choice", "store_bytes": "count", "temperature": "positive"},
            needs="torch"),
        "mdmtheory.bridge.measured.t_interval": Spec(args={"v": np.arange(5.0)},
                                                     kinds={"v": "real_array"},
                                                     needs="torch"),
        "mdmtheory.bridge.models.masked_entropy_nll": Exempt(torch_only),
        "mdmtheory.bridge.models.masked_log_probs": Exempt(torch_only),
        "mdmtheory.bridge.precision.AutocastWarning": EXC,
        "mdmtheory.bridge.precision.as_dtype": Spec(args={"dtype": "fp32"},
                                                    kinds={"dtype": "choice", "name": None},
                                                    needs="torch"),
        "mdmtheory.bridge.precision.autocast_context": Spec(
            args={"device": "cpu", "autocast": None},
            kinds={"autocast": "choice", "device": "choice"}, needs="torch"),
        "mdmtheory.bridge.precision.dtype_name": Exempt(torch_only),
        "mdmtheory.bridge.precision.float32_reference": Exempt(torch_only),
        "mdmtheory.bridge.precision.weights_dtype": Exempt(torch_only),
        "mdmtheory.bridge.train_dlm.main": Exempt(main),
        "mdmtheory.bridge.validate.plumbing_identity_check": Spec(
            args={"est": lambda w: _model_estimate(w), "passes": lambda w: _passes(w),
                  "schedules": {"a": [2, 2]}},
            kinds={"est": "callable", "passes": "callable", "schedules": None},
            needs="torch"),
        "mdmtheory.bridge.validate.plumbing_identity_kl": Spec(
            args={"passes": lambda w: _passes(w), "schedules": [[2, 2]]},
            kinds={"passes": "callable", "schedules": None}, needs="torch"),
    }
    return t


def _rows(w):
    from mdmtheory.bridge import sample_rows

    if "rows" not in _CACHE:
        _CACHE["rows"] = sample_rows(_oracle_model(w), 6, 4, progress=False)
    return _CACHE["rows"]


def _adaptive_policy():
    from mdmtheory.adaptive import random_unmasking_policy

    return random_unmasking_policy([2, 2], 4, 2)


def _draws():
    if "draws" not in _CACHE:
        from mdmtheory.montecarlo import dense_prefix_draws

        w = WORLD
        rng = np.random.default_rng(3)
        x = w["mu"].sample(40, rng=rng)
        perms = np.array([rng.permutation(4) for _ in range(40)])
        _CACHE["draws"] = np.asarray(dense_prefix_draws(w["mu"], x, perms), dtype=float)
    return _CACHE["draws"]


def _band():
    from mdmtheory.certified import simultaneous_band

    return simultaneous_band(_draws())


def _decoupling_oracle(w):
    from mdmtheory.decoupling import exact_oracle

    return exact_oracle(w["mu"])


def _adaptive_solution(w):
    from mdmtheory.policies.adaptive_optimal import solve_adaptive

    return solve_adaptive(w["mu"])


def _policy_law(w):
    from mdmtheory.policies.exact import evaluate_policy

    return evaluate_policy(w["mu"], _topk())


def _size_pmf(t, R):
    return [0.0, 1.0] + [0.0] * (R - 1)


def _process():
    from mdmtheory.random_schedules import bernoulli_process

    return bernoulli_process(4, [0.5, 1.0])


TABLE.update(_new_modules_table())


def _rule_modules_table() -> dict[str, Spec | Exempt]:
    """Entries for the Dream / KLASS / DUS / PC-Sampler rules, the neural environment and
    GRPO on a prompted environment (:mod:`mdmtheory.policies.dream`, ``more_rules``,
    ``neural``, ``grpo``)."""
    pol = "mdmtheory.policies"

    def _log_pi(w):
        import torch

        return torch.log(torch.tensor([0.5, 0.25]))

    return {
        f"{pol}.dream.DreamOrigin": Spec(args={"steps": 4}),
        f"{pol}.dream.DreamThreshold": Spec(kinds={"lam": "prob"}),
        f"{pol}.dream.DreamTopK": Spec(args={"steps": 4}, kinds={"alg_temp": "nonneg"}),
        f"{pol}.dream.dream_ratio": Spec(args={"step": np.array([0, 1]), "steps": 4},
                                         kinds={"step": None}),
        f"{pol}.dream.gumbel_topk_mask": Spec(
            args={"scores": np.array([[0.1, 0.5, 0.3]]),
                  "active": np.array([[True, True, True]]), "k": np.array([2]),
                  "temperature": 1.0, "rng": lambda w: np.random.default_rng(0)},
            kinds={"scores": None, "active": None, "k": None, "temperature": "positive",
                   "rng": None}),
        f"{pol}.dream.plackett_luce_set_law": Spec(
            args={"weights": np.array([0.2, 0.3, 0.5]), "k": 2}, kinds={"weights": None}),
        f"{pol}.grpo.EnvGRPOConfig": Spec(
            kinds={"alpha": "nonneg", "group_size": "count", "prompts_per_batch": "count",
                   "iterations": "count", "inner_steps": "count", "clip_eps": "positive",
                   "lr": "positive", "betas": None, "weight_decay": "nonneg",
                   "grad_clip": "positive", "warmup": "count",
                   "policy_temperature": "positive", "fallback": "bool",
                   "expert_rollouts": "count", "seed": "seed"},
            needs="torch"),
        f"{pol}.grpo.EnvTrainResult": RECORD,
        f"{pol}.grpo_config.GRPOBaseConfig": Spec(
            args={"iterations": 2},
            kinds={"alpha": "nonneg", "group_size": "count", "iterations": "count",
                   "inner_steps": "count", "clip_eps": "positive", "lr": "positive",
                   "betas": None, "weight_decay": "nonneg", "grad_clip": "positive",
                   "warmup": "count", "fallback": "bool", "seed": "seed"}),
        f"{pol}.grpo.load_policy": Exempt("file reader: loads a saved policy checkpoint"),
        f"{pol}.grpo.save_policy": Exempt("file writer for a trained result record"),
        f"{pol}.grpo.rollout_record": Exempt(
            "records one rollout for the trainer from an MDP, a policy and prompts that "
            "their own constructors validate"),
        f"{pol}.grpo.train_grpo_env": Exempt(
            "torch training entry point (minutes); its hyper-parameters are fuzzed through "
            "EnvGRPOConfig"),
        f"{pol}.learned.expert_mixture_log_prob": Spec(
            args={"log_pi": _log_pi, "weight": 0.5},
            kinds={"log_pi": None, "weight": "prob"}, needs="torch"),
        f"{pol}.more_rules.DUS": Spec(),
        f"{pol}.more_rules.KLASS": Spec(
            args={"steps": 4},
            kinds={"conf_threshold": "prob", "kl_threshold": "nonneg", "history": "count"}),
        f"{pol}.more_rules.PCSampler": Spec(
            args={"steps": 4}, kinds={"lam": "nonneg", "alpha": "positive",
                                      "background": None}),
        f"{pol}.more_rules.dus_rounds": Spec(args={"block_size": 8},
                                             kinds={"block_size": "size"}),
        f"{pol}.more_rules.klass_kl": Spec(
            args={"p": np.full((1, 4, 2), 0.5), "p_prev": np.full((1, 4, 2), 0.5)},
            kinds={"p": None, "p_prev": None}),
        f"{pol}.more_rules.pc_scores": Spec(
            args={"probs": np.full((1, 4, 2), 0.5), "offsets": np.arange(4)[None, :],
                  "background": np.array([0.5, 0.5]), "lam": 0.25, "alpha": 10.0},
            kinds={"probs": None, "offsets": None, "background": None, "lam": "nonneg",
                   "alpha": "positive"}),
        "mdmtheory.bridge.estimate.estimate_information_curve": Exempt(
            "deprecated alias of estimate_model_curve (fuzzed under that name)"),
        f"{pol}.neural.DenoiserOracle": Exempt(
            "wraps a torch module as an oracle; the MDP validates its outputs' shapes"),
        f"{pol}.neural.TableDenoiser": Spec(
            args={"support": np.array([[0, 1, 1, 0], [1, 0, 0, 1]]), "q": 2},
            kinds={"support": None, "weights": None},  # unnormalised weights are valid
            needs="torch"),
    }


TABLE.update(_rule_modules_table())

# Extra kinds used only by the table above.
EXTRA_BAD: dict[str, tuple] = {
    # a count whose negative values are meaningful (is_prime(-1) is False, not an error)
    "integer": (2.5, np.nan, np.inf, True, "3", 1 + 0j, [2], np.float64(1.5)),
    # a byte count: an integer or a string with a unit ("1 GiB"); never bool or float junk
    "bytes": (-1, 0, 2.5, np.nan, np.inf, True, 1 + 0j, [2], "lots", "1 XB"),
    # unnormalised non-negative weights of shape (q,)*n
    "rows": ([[0.5, 0.6], [0.5, 0.5]], [[1.5, -0.5], [0.5, 0.5]], [[np.nan, 0.5], [0.5, 0.5]],
             np.eye(2, dtype=complex) * 0.5 + 0.25, "T", [[1.0], [1.0]]),
    "nonneg_array": (np.array([[0.5, np.nan], [0.25, 0.25]]), np.array([[1.5, -0.5], [0, 0]]),
                     np.ones((2, 2)) + 0j, "uniform", np.ones((2, 3))),
    "gap_sums": ([np.nan, 0.1, 0.1], [-0.1, 0.1, 0.1], [np.inf, 0.1, 0.1], np.zeros(3) + 1j,
                 "abc", [[0.1, 0.1]]),
    "weight_table": (np.array([[0.5, np.nan], [0.25, 0.25]]), np.array([[1.5, -0.5], [0, 0]]),
                     np.zeros((2, 2)), np.ones((2, 2)) + 0j, "uniform", 3),
    "curve_draws": (np.full((20, 4), np.nan), np.ones((1, 4)), np.ones(4), np.ones((20, 4)) + 0j,
                    np.ones((20, 0))),
    "real_array": ([np.nan, 1.0, 2.0, 3.0], [np.inf, 1.0, 2.0, 3.0], np.zeros(4) + 1j, "abc",
                   []),
    "prob_array": ([-0.1, 0.5, 0.3, 0.2], [1.5, 0.5, 0.3, 0.2], [np.nan, 0.5, 0.3, 0.2],
                   np.full(4, 0.5) + 0j),
    "weights": ([np.nan, 1.0, 1.0, 1.0], [-1.0, 1.0, 1.0, 1.0], np.ones(4) + 1j),
    "mask": ("mask", np.full(4, 0.5), np.full((6, 4), 2), np.zeros((7, 5), bool)),
    # non-negative integer arrays (no alphabet: any token value >= 0 is valid)
    "count_array": ([[0, 1, 0, -1]], [[0, 0.5, 0, 1]], [[0, np.nan, 0, 1]], "abc",
                    np.ones((1, 4)) + 1j),
    # rows of draws where one row is enough (per-row quantities)
    "draw_rows": (np.full((20, 4), np.nan), np.ones(4), np.ones((20, 4)) + 0j,
                  np.ones((20, 0))),
    # step sizes where empty steps (0) are allowed (the paper's constructions)
    "sizes0": ([1.5, 2.5], [-1, 5], [], [True, 3], "22", [np.nan, 2], [0, 0]),
    "matrix": (np.array([[0.5, 1, 1, 1]]), np.array([[np.nan, 1, 1, 1]]), np.ones(4),
               np.ones((1, 4)) + 1j, [["a", "b", "c", "d"]]),
}
ALL_BAD = {**BAD_VALUES, **EXTRA_BAD}


# ============================================================================ XFAIL table
#: The one table of known failures: cases (``qualified name`` -> ``{argument: reason}``)
#: that still return a number, raise an unclear error or hang on bad input.  It is empty:
#: every public callable passes; a new failure must be fixed, not listed.  Regenerate it with ``python benchmarks/fuzz_counts.py
#: --xfail``.  Each reason counts the canonical bad values that fail, by class
#: ("returned" = a number for invalid input, "unclear" = a ValueError/TypeError that names
#: neither the argument nor its kind, "raised" = another exception type, "hang" = over
#: the time limit), with one example.  Strict: a fixed case turns into a failure, so its
#: entry must then be removed.  The random (Hypothesis) test skips these cases.
XFAIL: dict[str, dict[str, str]] = {
}


# ============================================================================ machinery
class Hang(Exception):
    """Raised by the alarm: the call ran past :data:`TIME_LIMIT`."""


def _alarm(signum, frame):
    raise Hang(f"call ran past {TIME_LIMIT} s")


def _public_names() -> dict[str, Any]:
    """Every ``module.name`` in every ``__all__`` of the package, resolved to its object."""
    out: dict[str, Any] = {}
    mods = ["mdmtheory"] + [m.name for m in pkgutil.walk_packages(mdmtheory.__path__,
                                                                   "mdmtheory.")
                            if not m.name.endswith(".__main__")]
    for name in mods:
        try:
            mod = importlib.import_module(name)
        except ImportError:  # optional dependency (torch) absent
            continue
        for attr in getattr(mod, "__all__", ()):
            out[f"{name}.{attr}"] = getattr(mod, attr)
    return out


def _canonical(qualname: str, obj: Any) -> str:
    """The table key of an exported object: where it is defined, else where exported."""
    if isinstance(obj, types.ModuleType):
        return qualname
    mod, qn = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if (inspect.isfunction(obj) or inspect.isclass(obj)) and mod and qn \
            and mod.startswith("mdmtheory") and f"{mod}.{qn}" in TABLE:
        return f"{mod}.{qn}"
    return qualname


def _target(key: str):
    spec = TABLE[key]
    if spec.call is not None:
        return spec.call
    modname, _, attr = key.rpartition(".")
    return getattr(importlib.import_module(modname), attr)


def _params(key: str) -> list[inspect.Parameter]:
    fn = _target(key)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _kind(key: str, p: inspect.Parameter) -> str | None:
    spec = TABLE[key]
    if p.name in spec.kinds:
        return spec.kinds[p.name]
    kind = PARAM_KINDS.get(p.name)
    if kind == "schedule" and any(q.name in ("Z", "dist", "mu", "n", "model")
                                  for q in _params(key)):
        return "schedule4"
    return kind


def _baseline(key: str) -> dict[str, Any]:
    spec = TABLE[key]
    kw: dict[str, Any] = {}
    for p in _params(key):
        if p.name in spec.args:
            v = spec.args[p.name]
            kw[p.name] = v(WORLD) if callable(v) and not isinstance(v, (type, np.ndarray)) \
                else v
        elif p.default is p.empty:
            if p.name not in WORLD:
                raise KeyError(f"{key}: no valid value for required argument {p.name!r}; "
                               "add it to the Spec's args")
            kw[p.name] = WORLD[p.name]
    return kw


def _bad_list(key: str, p: inspect.Parameter, kind: str) -> list:
    vals = list(ALL_BAD[kind])
    if p.name in POSITIVE and kind in ("count", "size"):
        vals.append(0)
    vals.extend(TABLE[key].extra_bad.get(p.name, ()))
    return vals


def _fuzz_keys() -> list[str]:
    return sorted(k for k, v in TABLE.items() if isinstance(v, Spec))


@functools.lru_cache(maxsize=None)
def _cases() -> list[tuple[str, str]]:
    out = []
    for key in _fuzz_keys():
        try:
            params = _params(key)
        except (ImportError, AttributeError):
            continue
        for p in params:
            if _kind(key, p) is not None:
                out.append((key, p.name))
    return out


def _check_needs(key: str) -> None:
    spec = TABLE[key]
    if spec.needs:
        pytest.importorskip(spec.needs)
    modname = key.split(".")
    for i in range(len(modname) - 1, 0, -1):
        try:
            importlib.import_module(".".join(modname[:i]))
            break
        except ImportError as exc:
            if "torch" in str(exc):
                pytest.skip("torch not installed")
            continue


def run_case(key: str, pname: str, bad) -> str | None:
    """Call ``key`` with argument ``pname`` replaced by ``bad``; return a failure, or None.

    A failure is ``"returned <value>"``, ``"raised <Type>: <msg>"`` (wrong type),
    ``"unclear: <msg>"`` (the message names neither the argument nor its kind) or
    ``"hang"``.
    """
    fn = _target(key)
    kw = _baseline(key)
    p = next(q for q in _params(key) if q.name == pname)
    kind = _kind(key, p)
    if bad is None and p.default is None:
        return None
    kw[pname] = bad
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(**kw)
            if inspect.isgenerator(out):
                out = list(out)
    except Hang:
        return "hang"
    except OK_ERRORS as exc:
        if isinstance(exc, MemoryError):
            return None
        msg = str(exc)
        names = (pname,) + ALIASES.get(kind, ())
        if not msg or not any(nm.lower() in msg.lower() for nm in names):
            return f"unclear: {type(exc).__name__}: {msg[:120]}"
        return None
    except Exception as exc:  # noqa: BLE001 - the point of the test
        return f"raised {type(exc).__name__}: {str(exc)[:120]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return f"returned {type(out).__name__}: {str(out)[:80]}"


def _xfail_reason(key: str, pname: str) -> str | None:
    entry = XFAIL.get(key, {})
    return entry.get(pname) or entry.get("*")


# ============================================================================ tests
def test_table_covers_every_public_name():
    """Every callable (and module) in every ``__all__`` has an entry (a Spec or a reasoned
    Exempt); plain data constants need none."""
    missing = sorted(q for q, obj in _public_names().items()
                     if (callable(obj) or isinstance(obj, types.ModuleType))
                     and _canonical(q, obj) not in TABLE)
    assert not missing, ("public names missing from the fuzz TABLE of tests/test_fuzz_api.py "
                         f"(add a Spec or an Exempt): {missing}")


def test_exempt_entries_are_not_plain_functions():
    """An Exempt must say why; a plain data constant must not hide a callable."""
    for key, spec in TABLE.items():
        if spec is CONST:
            modname, _, attr = key.rpartition(".")
            try:
                obj = getattr(importlib.import_module(modname), attr)
            except ImportError:
                continue
            assert not callable(obj) or isinstance(obj, type), key


@pytest.mark.parametrize("key", _fuzz_keys())
def test_baseline_call_succeeds(key):
    """The valid call each fuzz case perturbs works (so the fuzz tests bad input only)."""
    _check_needs(key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = _target(key)(**_baseline(key))
        if inspect.isgenerator(out):
            list(out)


@pytest.mark.parametrize("key,pname", _cases(), ids=[f"{k}-{p}" for k, p in _cases()])
def test_canonical_bad_values(key, pname, request):
    """Every canonical bad value of the argument's kind raises a clear error, fast."""
    _check_needs(key)
    reason = _xfail_reason(key, pname)
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    p = next(q for q in _params(key) if q.name == pname)
    failures = []
    for bad in _bad_list(key, p, _kind(key, p)):
        res = run_case(key, pname, bad)
        if res is not None:
            failures.append(f"{pname}={bad!r}: {res}")
    assert not failures, f"{key}: " + "; ".join(failures)


def _random_case(data):
    cases = [c for c in _cases() if not _xfail_reason(*c)]
    key, pname = data.draw(st.sampled_from(cases), label="case")
    p = next(q for q in _params(key) if q.name == pname)
    kind = _kind(key, p)
    strat = bad_values(kind) if kind in BAD_VALUES else st.sampled_from(EXTRA_BAD[kind])
    bad = data.draw(strat, label="bad value")
    return key, pname, bad


def _check_random(data):
    key, pname, bad = _random_case(data)
    spec = TABLE[key]
    if spec.needs:
        try:
            importlib.import_module(spec.needs)
        except ImportError:
            return
    res = run_case(key, pname, bad)
    assert res is None, f"{key}({pname}={bad!r}): {res}"


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_bad_values(data):
    """Random bad values (Hypothesis) for random arguments of random callables."""
    _check_random(data)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_bad_values_thorough(data):
    """The same with 5,000 examples (``-m slow``)."""
    _check_random(data)
