"""Count the outcomes of the API fuzz (tests/test_fuzz_api.py) by module and class.

Runs every canonical case of the fuzz table (one argument replaced by each canonical
bad value of its kind) and classifies each call: ``ok`` (a clear ValueError /
TypeError / MemoryError), ``returned`` (a number for invalid input), ``raised`` (another
exception), ``unclear`` (the message names neither the argument nor its kind), ``hang``
(over the time limit).  Usage, from the repository root::

    python benchmarks/fuzz_counts.py [--json out.json] [--xfail]

``--xfail`` prints the ``XFAIL`` table of ``tests/test_fuzz_api.py`` for the current
failures (to paste over the old one after a merge: cases fixed by their owners drop out,
a new failing case shows up).
"""

from __future__ import annotations

import collections
import json
import sys
import time
import warnings

sys.path.insert(0, ".")
warnings.simplefilter("ignore")

from tests import test_fuzz_api as F  # noqa: E402


def main() -> None:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures: list[tuple[str, str, str, str]] = []
    t0 = time.perf_counter()
    for key, pname in F._cases():
        spec = F.TABLE[key]
        if spec.needs:
            try:
                __import__(spec.needs)
            except ImportError:
                continue
        mod = key.rsplit(".", 1)[0]
        while mod.count(".") > 1 and not mod.split(".")[-1].islower():
            mod = mod.rsplit(".", 1)[0]
        p = next(q for q in F._params(key) if q.name == pname)
        for bad in F._bad_list(key, p, F._kind(key, p)):
            try:
                res = F.run_case(key, pname, bad)
            except Exception as exc:  # baseline broken in this version
                res = f"raised {type(exc).__name__}: {exc}"
            cls = "ok" if res is None else res.split(" ", 1)[0].rstrip(":")
            counts[mod][cls] += 1
            if res is not None:
                failures.append((key, pname, repr(bad)[:40], res[:160]))
    total = collections.Counter()
    for mod in sorted(counts):
        total.update(counts[mod])
        print(f"{mod:45s} " + "  ".join(f"{k}={v}" for k, v in sorted(counts[mod].items())))
    print(f"{'TOTAL':45s} " + "  ".join(f"{k}={v}" for k, v in sorted(total.items())))
    print(f"{time.perf_counter() - t0:.0f} s")
    if "--xfail" in sys.argv:
        by: dict = collections.defaultdict(lambda: collections.defaultdict(list))
        for key, pname, bad, res in failures:
            by[key][pname].append((res.split(" ", 1)[0].rstrip(":"), bad))
        print("XFAIL: dict[str, dict[str, str]] = {")
        for key in sorted(by):
            print(f"    {key!r}: {{")
            for pname in sorted(by[key]):
                items = by[key][pname]
                c = collections.Counter(cls for cls, _ in items)
                desc = ", ".join(f"{v} {k}" for k, v in sorted(c.items()))
                ex = items[0][1][:30].replace("\n", " ")
                print(f"        {pname!r}: {desc + f' (e.g. {pname}={ex})'!r},")
            print("    },")
        print("}")
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w") as fh:
            json.dump({"counts": {m: dict(c) for m, c in counts.items()},
                       "failures": failures}, fh, indent=1)


if __name__ == "__main__":
    main()
