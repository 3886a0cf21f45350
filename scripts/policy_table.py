"""Markdown table of the policy experiment: per task / environment / block length, the best
accuracy each policy family reaches within NFE budgets, and every learned policy.

    python scripts/policy_table.py [task] [budgets...] > table.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RES = Path(__file__).resolve().parent / "policy_results"


def fmt(r) -> str:
    return f"{100 * r['acc']:.0f} [{100 * r['acc_lo']:.0f}, {100 * r['acc_hi']:.0f}] @ {r['nfe']:.2f}"


def main(budgets=None, task: str | None = None) -> None:
    for p in sorted(RES.glob(f"{task}_*.json" if task else "*.json")):
        d = json.loads(p.read_text())
        n = d["length"]
        bud = budgets or sorted({2, 4, 8, 16, n})
        rows = d["rows"]
        fams = []
        for r in rows:
            if r["family"] not in fams:
                fams.append(r["family"])
        print(f"\n**{d['task']}, {d['env']} environment, BL={d['block_length']}** "
              f"({d['num_prompts']} held-out prompts; accuracy % [95 % Wilson CI] @ mean NFE; "
              f"best point of each family with mean NFE <= budget)\n")
        print("| family | " + " | ".join(f"NFE <= {b}" for b in bud) + " |")
        print("|---|" + "---|" * len(bud))
        for f in fams:
            cells = []
            for b in bud:
                ok = [r for r in rows if r["family"] == f and r["nfe"] <= b + 1e-9]
                cells.append(fmt(max(ok, key=lambda r: (r["acc"], -r["nfe"]))) if ok else "-")
            print(f"| {f} | " + " | ".join(cells) + " |")
        learned = [r for r in rows if r["family"].startswith("learned")]
        if learned:
            print("\n| learned policy | accuracy % [95 % CI] @ mean NFE [95 % CI] |")
            print("|---|---|")
            for r in learned:
                print(f"| {r['name']} | {fmt(r)} [{r['nfe_lo']:.2f}, {r['nfe_hi']:.2f}] |")


if __name__ == "__main__":
    args = sys.argv[1:]
    tsk = args.pop(0) if args and not args[0].isdigit() else None
    main([int(x) for x in args] or None, tsk)
