"""Unmasking policies: the MDP, heuristic rules, exact evaluation, a learned policy.

The MDP and the learned policy follow Jazbec et al. (2025, "Learning unmasking
policies for diffusion language models"); the sampler is the paper's §1.
Submodules:

* :mod:`~mdmtheory.policies.mdp` -- the environment over any conditional oracle
  (an exact law or, through :mod:`~mdmtheory.policies.neural`, a torch denoiser);
* :mod:`~mdmtheory.policies.heuristics` -- random-k, top-k confidence / margin /
  entropy (LLaDA's per-block counts), Fast-dLLM threshold and factor rules,
  EB-sampler;
* :mod:`~mdmtheory.policies.dream` -- Dream ``origin``, ``maskgit_plus`` /
  ``topk_margin`` / ``entropy`` with ``alg_temp``, Fast-dLLM's Dream threshold;
* :mod:`~mdmtheory.policies.more_rules` -- KLASS, DUS, PC-Sampler;
* :mod:`~mdmtheory.policies.exact` -- exact output law, KL, NFE distribution and
  Pareto fronts of any policy on a small dense ``mu``;
* :mod:`~mdmtheory.policies.adaptive_optimal` -- the exactly optimal *adaptive*
  policy of a small dense ``mu`` by dynamic programming over the MDP's states,
  its reward-vs-NFE fronts;
* :mod:`~mdmtheory.policies.gaps` -- the gaps between heuristic rules, the optimal
  oblivious schedule and the optimal adaptive policy;
* :mod:`~mdmtheory.policies.learned` -- a small DiT-style policy trained by GRPO;
* :mod:`~mdmtheory.policies.grpo` -- GRPO on a prompted environment (a trained
  denoiser or an exact law), expert steering, checkpoints;
* :mod:`~mdmtheory.policies.neural` -- a torch denoiser as the environment.

The last three need torch and are *not* imported here, so
``import mdmtheory.policies`` never imports torch.
"""

from .exact import (
    FrontPoint,
    PolicyLaw,
    evaluate_policy,
    expected_selection_kl,
    kl_divergence,
    make_mdp,
    optimal_schedule_points,
    pareto_front,
    policy_front,
    selection_laws,
)
from .adaptive_optimal import (
    REWARDS,
    TIE_RTOL,
    AdaptiveFront,
    AdaptiveSolution,
    OptimalAdaptivePolicy,
    adaptive_front,
    budget_envelope,
    budget_front,
    solve_adaptive,
)
from .gaps import (
    GAIN_ATOL,
    GapReport,
    RuleFront,
    gap_report,
    gaps_from_points,
    law_reward,
    summarize_gaps,
)
from .dream import DreamOrigin, DreamThreshold, DreamTopK
from .more_rules import DUS, KLASS, PCSampler
from .heuristics import (
    ConfidenceThreshold,
    EBSampler,
    FactorRule,
    RandomK,
    TopK,
    TopKConfidence,
    TopKEntropy,
    TopKMargin,
    eb_select,
    factor_select,
    threshold_select,
    topk_select,
)
from .mdp import (
    MASK,
    BernoulliPolicy,
    ExactOracle,
    Observation,
    Policy,
    UnmaskingMDP,
)

__all__ = [
    "MASK",
    "ExactOracle",
    "Observation",
    "Policy",
    "BernoulliPolicy",
    "UnmaskingMDP",
    "RandomK",
    "TopK",
    "TopKConfidence",
    "TopKMargin",
    "TopKEntropy",
    "ConfidenceThreshold",
    "FactorRule",
    "EBSampler",
    "DreamOrigin",
    "DreamTopK",
    "DreamThreshold",
    "KLASS",
    "DUS",
    "PCSampler",
    "topk_select",
    "threshold_select",
    "factor_select",
    "eb_select",
    "PolicyLaw",
    "evaluate_policy",
    "selection_laws",
    "expected_selection_kl",
    "kl_divergence",
    "make_mdp",
    "FrontPoint",
    "pareto_front",
    "optimal_schedule_points",
    "policy_front",
    "REWARDS",
    "TIE_RTOL",
    "AdaptiveSolution",
    "AdaptiveFront",
    "OptimalAdaptivePolicy",
    "solve_adaptive",
    "adaptive_front",
    "budget_front",
    "budget_envelope",
    "GAIN_ATOL",
    "RuleFront",
    "GapReport",
    "law_reward",
    "gap_report",
    "gaps_from_points",
    "summarize_gaps",
]
