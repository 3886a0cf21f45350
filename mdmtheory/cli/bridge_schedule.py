"""``mdmtheory bridge-schedule``: the schedule report of a stored bridge estimate.

Reads an estimate file written by ``mdmtheory estimate ... --out FILE.npz`` and
prints, without running the model again, the optimal ``k``-step schedules of the
estimated curve (the DP of Thm 4 on the estimate), their predicted error (Thm 4,
with the optimal schedule's interval cross-fitted) and the same for uniform
schedules, as ``mdmtheory estimate`` does.  The options are those of
:func:`mdmtheory.bridge.cli.add_schedule_arguments`, made strict as in
:mod:`mdmtheory.cli.estimate`.  It needs the ``torch`` extra (the estimate file
is read by :mod:`mdmtheory.bridge.loading`); the rest of the command line never
imports torch.
"""

from __future__ import annotations

from . import estimate as _estimate

COMMAND = "bridge-schedule"


def cmd_bridge_schedule(args) -> int:
    """Run :func:`mdmtheory.bridge.cli.run_schedule`; returns the exit status."""
    return int(args._bridge.run_schedule(args) or 0)


def add_parser(sub, common, *, with_bridge: bool) -> None:
    """Add ``bridge-schedule``; its options only when ``with_bridge`` (that imports torch)."""
    help_ = "schedule report of a stored estimate (estimate --out); needs the torch extra"
    if not with_bridge:
        sub.add_parser(COMMAND, help=help_, add_help=False)
        return
    mod = _estimate.bridge_cli(COMMAND)
    p = sub.add_parser(COMMAND, help=help_,
                       description="The optimal k-step schedules of a stored estimate of Z "
                                   "(written by 'mdmtheory estimate --out'), with their "
                                   "predicted error (Thm 4) and confidence intervals.")
    mod.add_schedule_arguments(p)
    _estimate.make_strict(p)
    for action in p._actions:  # noqa: SLF001 - the positional estimate file
        if action.dest == "estimate":
            action.type = _estimate._existing_file
    p.set_defaults(func=cmd_bridge_schedule, _bridge=mod)
