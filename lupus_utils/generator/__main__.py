"""``python -m lupus_utils.generator [--out DIR] [--targets FILE] [--iterations A,B,C,D]
[--stale-repairs drop] [--report]``: write the SYNTHETIC cohort (data/synthetic/README.md)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..paths import SYNTHETIC_DIR
from .assemble import ITERATIONS, generate, write_tables


def _iterations(text: str) -> tuple[int, int, int, int]:
    parts = tuple(int(x) for x in text.split(","))
    if len(parts) != 4 or min(parts) < 0:
        raise argparse.ArgumentTypeError("four non-negative counts, one per stage: a,b,c,d")
    return parts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lupus_utils.generator",
                                 description="Write the SYNTHETIC cohort (not real patients).")
    ap.add_argument("--out", type=Path, default=SYNTHETIC_DIR, help="folder of the three CSV files")
    ap.add_argument("--targets", type=Path, default=None,
                    help="targets file to aim at (default data/targets.csv), e.g. a copy with one target changed")
    ap.add_argument("--iterations", type=_iterations, default=ITERATIONS,
                    help="iterations of the four search stages, a,b,c,d (default %s)" % ",".join(map(str, ITERATIONS)))
    ap.add_argument("--stale-repairs", choices=("refuse", "drop"), default="refuse",
                    help="repairs that no longer fit the searched cohort: refuse (default) or leave out")
    ap.add_argument("--report", action="store_true",
                    help="after writing, list the scorecard verdicts that moved against the committed cohort")
    args = ap.parse_args(argv)
    try:
        tables, cal = generate(iterations=args.iterations, targets=args.targets, stale=args.stale_repairs)
    except AssertionError as err:
        print(f"the generator stopped: {err}", file=sys.stderr)
        return 1
    write_tables(tables, args.out)
    print(f"wrote SYNTHETIC cohort to {args.out}: " + ", ".join(f"{k} {len(v)} rows" for k, v in tables.items()))
    print(f"calibration losses (0 = on target): {cal}")
    if args.report:
        from .report import moved_text, moved_verdicts
        print(moved_text(moved_verdicts(args.out, args.targets)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
