"""The GRPO configs share one base (:class:`GRPOBaseConfig`) without any change of behaviour.

:class:`~mdmtheory.policies.learned.GRPOConfig` and
:class:`~mdmtheory.policies.grpo.EnvGRPOConfig` used to be two independent dataclasses
repeating most fields.  They are now subclasses of
:class:`~mdmtheory.policies.grpo_config.GRPOBaseConfig`.  The expected values below
(field names, defaults, error messages) are literals copied from the two classes
*before* the refactoring (main at commit 640b998), not read from the code under test,
so a changed default, a lost field or a reworded message fails here.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib

import pytest

from mdmtheory.policies.grpo_config import GRPOBaseConfig

REPO = pathlib.Path(__file__).resolve().parent.parent

#: GRPOConfig's fields and defaults before the refactoring (copied from main, 640b998).
OLD_GRPO_DEFAULTS = {
    "alpha": 1.0, "group_size": 8, "groups_per_batch": 16, "iterations": 150,
    "inner_steps": 2, "clip_eps": 0.5, "lr": 3e-3, "betas": (0.9, 0.99),
    "weight_decay": 0.1, "grad_clip": 1.0, "warmup": 10, "block_length": None,
    "token_mode": "sample", "reward": "support", "fallback": False, "seed": 0,
}
#: EnvGRPOConfig's fields and defaults before the refactoring (copied from main, 640b998).
OLD_ENV_DEFAULTS = {
    "alpha": 1.0, "group_size": 8, "prompts_per_batch": 4, "iterations": 100,
    "inner_steps": 2, "clip_eps": 0.5, "lr": 3e-4, "betas": (0.9, 0.99),
    "weight_decay": 0.1, "grad_clip": 1.0, "warmup": 10, "policy_temperature": 1.0,
    "fallback": False, "expert_rollouts": 0, "seed": 0,
}
#: The anchors' GRPO values (Jazbec et al. 2025): the base's defaults.
ANCHORS = {"group_size": 8, "inner_steps": 2, "clip_eps": 0.5, "lr": 3e-5,
           "betas": (0.9, 0.99), "weight_decay": 0.1, "grad_clip": 0.2, "warmup": 100,
           "fallback": False}
SHARED = {"alpha", "group_size", "iterations", "inner_steps", "clip_eps", "lr", "betas",
          "weight_decay", "grad_clip", "warmup", "fallback", "seed"}

#: (field, bad value, exact message) shared by both configs; messages from main, 640b998.
SHARED_BAD = [
    ("alpha", -1.0, "alpha must be >= 0.0, got -1.0"),
    ("alpha", "a", "alpha must be a real number, got str 'a'"),
    ("group_size", 0, "group_size must be >= 1, got 0"),
    ("group_size", 2.5, "group_size must be an integer, got 2.5"),
    ("iterations", 0, "iterations must be >= 1, got 0"),
    ("iterations", True, "iterations must be an integer, got the boolean True"),
    ("inner_steps", 0, "inner_steps must be >= 1, got 0"),
    ("clip_eps", 0.0, "clip_eps must be > 0.0, got 0.0"),
    ("lr", -1e-3, "lr must be > 0.0, got -0.001"),
    ("lr", math.nan, "lr must be a finite number, got nan"),
    ("betas", (0.9, 1.0), "betas must be two numbers in [0, 1), got [0.9, 1.0]"),
    ("betas", (0.9,), "betas must be two numbers in [0, 1), got [0.9]"),
    ("betas", (0.9, 0.99, 0.5), "betas must be two numbers in [0, 1), got [0.9, 0.99, 0.5]"),
    ("weight_decay", -0.1, "weight_decay must be >= 0.0, got -0.1"),
    ("grad_clip", 0.0, "grad_clip must be > 0.0, got 0.0"),
    ("warmup", -1, "warmup must be >= 0, got -1"),
    ("seed", -1, "seed must be >= 0, got -1"),
    ("seed", 1.5, "seed must be an integer, got 1.5"),
    ("fallback", "yes", "fallback must be True or False, got str 'yes'"),
]
GRPO_BAD = SHARED_BAD + [
    ("groups_per_batch", 0, "groups_per_batch must be >= 1, got 0"),
    ("block_length", 0, "block_length must be >= 1, got 0"),
    ("token_mode", "x", "token_mode must be one of 'sample', 'argmax'; got 'x'"),
    ("reward", "x", "reward must be one of 'support', 'likelihood'; got 'x'"),
]
ENV_BAD = SHARED_BAD + [
    ("prompts_per_batch", 0, "prompts_per_batch must be >= 1, got 0"),
    ("policy_temperature", 0.0, "policy_temperature must be > 0.0, got 0.0"),
    ("expert_rollouts", -1, "expert_rollouts must be >= 0, got -1"),
]


def _grpo():
    pytest.importorskip("torch")
    from mdmtheory.policies.learned import GRPOConfig

    return GRPOConfig


def _env():
    pytest.importorskip("torch")
    from mdmtheory.policies.grpo import EnvGRPOConfig

    return EnvGRPOConfig


CLASSES = {"GRPOConfig": (_grpo, OLD_GRPO_DEFAULTS, GRPO_BAD),
           "EnvGRPOConfig": (_env, OLD_ENV_DEFAULTS, ENV_BAD)}


# ----------------------------------------------------------------------------- the base
def test_base_defaults_are_the_anchors_values_and_iterations_is_required():
    cfg = GRPOBaseConfig(iterations=3)
    assert {k: getattr(cfg, k) for k in ANCHORS} == ANCHORS
    assert {f.name for f in dataclasses.fields(GRPOBaseConfig)} == SHARED
    with pytest.raises(TypeError, match="iterations"):
        GRPOBaseConfig()


@pytest.mark.parametrize("key, value, message", SHARED_BAD)
def test_base_refuses_bad_values_with_the_old_messages(key, value, message):
    kw = {"iterations": 3, key: value}
    with pytest.raises(ValueError) as info:
        GRPOBaseConfig(**kw)
    assert str(info.value) == message


def test_base_documents_every_shared_field():
    """Every field of the base has an entry in its numpy-style Attributes section."""
    doc = GRPOBaseConfig.__doc__
    section = doc[doc.index("Attributes\n    ----------"):]
    for name in SHARED:
        assert f"\n    {name} : " in section, name


# ----------------------------------------------------------------------------- subclasses
@pytest.mark.parametrize("name", sorted(CLASSES))
def test_defaults_and_field_names_are_the_old_ones(name):
    get, old, _ = CLASSES[name]
    cls = get()
    assert issubclass(cls, GRPOBaseConfig)
    assert dataclasses.asdict(cls()) == old
    # every field is still visible in the repr, with its old default
    text = repr(cls())
    for key, value in old.items():
        assert f"{key}={value!r}" in text, key


@pytest.mark.parametrize("name, key, value, message",
                         [(n, *case) for n in sorted(CLASSES) for case in CLASSES[n][2]])
def test_bad_values_raise_the_old_messages(name, key, value, message):
    cls = CLASSES[name][0]()
    with pytest.raises(ValueError) as info:
        cls(**{key: value})
    assert str(info.value) == message


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_fields_are_keyword_only(name):
    """The field order changed (shared fields first), so a positional call is refused
    instead of silently filling a different field."""
    cls = CLASSES[name][0]()
    with pytest.raises(TypeError):
        cls(1.0, 8)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_asdict_round_trips_and_keeps_the_class(name):
    get, old, _ = CLASSES[name]
    cls = get()
    changed = {"alpha": 3.0, "group_size": 4, "iterations": 7, "lr": 1e-2, "warmup": 0,
               "betas": (0.8, 0.9), "fallback": True, "seed": 5}
    cfg = cls(**changed)
    back = cls(**dataclasses.asdict(cfg))
    assert back == cfg and type(back) is cls
    assert dataclasses.asdict(back) == {**old, **changed}
    assert dataclasses.replace(cfg, alpha=0.3).alpha == 0.3


def test_the_two_configs_never_compare_equal():
    """Dataclass equality needs the same class, also after the shared base."""
    a, b = _grpo()(), _env()()
    assert a != b


# ----------------------------------------------------------------------------- stored configs
def _checkpoints() -> list[pathlib.Path]:
    folders = ("figures/policy_checkpoints", "scripts/policy_checkpoints",
               "scripts/adaptive_checkpoints")
    return sorted(p for f in folders for p in (REPO / f).glob("*.pt"))


def test_every_committed_checkpoint_config_loads():
    """Every stored config dict rebuilds its config class, field for field.

    ``groups_per_batch`` marks a :func:`train_grpo` run (``GRPOConfig``),
    ``prompts_per_batch`` a :func:`train_grpo_env` run (``EnvGRPOConfig``).
    """
    torch = pytest.importorskip("torch")
    grpo, env = _grpo(), _env()
    files = _checkpoints()
    assert len(files) >= 50, files  # 53 committed at 640b998: a vanished folder fails
    kinds = set()
    for path in files:
        stored = torch.load(path, map_location="cpu", weights_only=False)["config"]
        cls = grpo if "groups_per_batch" in stored else env
        kinds.add(cls.__name__)
        assert dataclasses.asdict(cls(**stored)) == stored, path
    assert kinds == {"GRPOConfig", "EnvGRPOConfig"}


def test_save_policy_round_trips_an_env_config(tmp_path):
    """A config written by :func:`save_policy` rebuilds the same config."""
    torch = pytest.importorskip("torch")
    from mdmtheory.policies.grpo import EnvTrainResult, load_policy, save_policy
    from mdmtheory.policies.learned import DiTPolicyNet, LearnedPolicy, PolicyConfig

    torch.manual_seed(0)
    pc = PolicyConfig(d_model=8, n_heads=1)
    env = _env()
    cfg = env(alpha=0.3, iterations=2, prompts_per_batch=3, policy_temperature=0.5,
              expert_rollouts=1, seed=4)
    save_policy(EnvTrainResult(LearnedPolicy(DiTPolicyNet(pc)), cfg, pc), tmp_path / "p.pt")
    pol, st = load_policy(tmp_path / "p.pt")
    assert env(**st["config"]) == cfg
    assert pol.temperature == 0.5 and pol.name == "learned(alpha=0.3)"
