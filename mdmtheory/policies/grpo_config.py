"""The hyper-parameters shared by the two GRPO trainers of :mod:`mdmtheory.policies`.

:class:`GRPOBaseConfig` holds the fields, the validation and the documentation common to
:class:`~mdmtheory.policies.learned.GRPOConfig` (GRPO on exact environments, one
"prompt" per distribution of a family) and :class:`~mdmtheory.policies.grpo.EnvGRPOConfig`
(GRPO on a prompted environment, e.g. a trained denoiser).  Each of them adds its own
fields and sets its own defaults.

Its defaults are the anchors' values (Jazbec et al. 2025, the GRPO trainer of their
code): groups of 8 rollouts, clip ``eps = 0.5``, 2 optimiser steps per rollout batch,
AdamW with learning rate ``3e-5``, betas ``(0.9, 0.99)`` and weight decay 0.1, gradient
norm clipped at 0.2, 100 warm-up steps of a cosine schedule, and training in the
``bernoulli`` mode (no fallback).  The number of iterations has no default here: the
anchors do not publish their step count.

This module needs neither PyTorch nor any other optional extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .._validation import as_bool, as_float, as_int, as_real_array

__all__ = ["GRPOBaseConfig"]


@dataclass(frozen=True, kw_only=True)
class GRPOBaseConfig:
    """GRPO hyper-parameters common to both trainers (defaults: the anchors' values).

    The trainers draw groups of ``group_size`` rollouts from one start, score each
    rollout with ``R = correct * ((L - NFE + 1)/L)^alpha``, centre the rewards within
    the group (no std division) and take ``inner_steps`` clipped-ratio steps on each
    rollout batch, with no KL term (Jazbec et al. 2025, GRPO).  The fields are
    keyword-only.

    Attributes
    ----------
    alpha : float
        Speed exponent of the reward, ``>= 0``; 0 rewards correctness alone.  The
        anchors train with ``alpha`` in ``{0, 0.3, 1, 3, 10}``; default 1.
    group_size : int
        ``G``, rollouts per start (the group within which the advantage is centred),
        ``>= 1`` (the trainers also require ``>= 2``).  The anchors: 8.
    iterations : int
        Number of rollout batches, ``>= 1``; each is followed by ``inner_steps``
        optimiser steps.  Required here (the anchors' count is not published; their
        data size suggests about 1.9K optimiser steps).
    inner_steps : int
        Optimiser steps per rollout batch, ``>= 1`` (the old log-probabilities are
        stored at rollout time).  The anchors: 2.
    clip_eps : float
        ``eps`` of the clipped ratio ``clip(rho, 1 - eps, 1 + eps)``, ``> 0``.  The
        anchors: 0.5.
    lr : float
        Peak AdamW learning rate, ``> 0``.  The anchors: ``3e-5``.
    betas : tuple of float
        AdamW betas, two numbers in ``[0, 1)``.  The anchors: ``(0.9, 0.99)``.
    weight_decay : float
        AdamW weight decay, ``>= 0``.  The anchors: 0.1.
    grad_clip : float
        Gradient-norm clip, ``> 0``.  The anchors: 0.2.
    warmup : int
        Linear warm-up steps of the cosine learning-rate schedule, ``>= 0``.  The
        anchors: 100.
    fallback : bool
        Score the executed actions with the likelihood of the ``bernoulli-argmax``
        mode (a singleton at the arg-max logit also collects the probability of the
        empty draw).  ``False``, the anchors' training mode ``bernoulli``, scores the
        plain Bernoulli draw.
    seed : int
        Seed of the torch initialisation and of the rollout generator, ``>= 0``.
    """

    alpha: float = 1.0
    group_size: int = 8
    iterations: int
    inner_steps: int = 2
    clip_eps: float = 0.5
    lr: float = 3e-5
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 0.1
    grad_clip: float = 0.2
    warmup: int = 100
    fallback: bool = False
    seed: int = 0

    #: Fields checked to be integers ``>= 1``, in this order (a subclass may add its own).
    _counts: ClassVar[tuple[str, ...]] = ("group_size", "iterations", "inner_steps")
    #: Fields checked to be integers ``>= 0``.
    _non_negative_ints: ClassVar[tuple[str, ...]] = ("warmup", "seed")
    #: Fields checked to be finite reals ``> 0``.
    _positive: ClassVar[tuple[str, ...]] = ("clip_eps", "lr", "grad_clip")

    def __post_init__(self):
        as_float(self.alpha, "alpha", minimum=0.0)
        for key in self._counts:
            as_int(getattr(self, key), key, minimum=1)
        for key in self._non_negative_ints:
            as_int(getattr(self, key), key, minimum=0)
        for key in self._positive:
            as_float(getattr(self, key), key, minimum=0.0, strict_minimum=True)
        as_float(self.weight_decay, "weight_decay", minimum=0.0)
        betas = as_real_array(self.betas, "betas", ndim=1)
        if betas.size != 2 or (betas < 0).any() or (betas >= 1).any():
            raise ValueError(f"betas must be two numbers in [0, 1), got {list(self.betas)}")
        as_bool(self.fallback, "fallback")
