"""python -m analytics.demo OUT_DIR [--reps N] [--seed S]: write the demo exports and time it."""

from __future__ import annotations

import argparse
import json
import time

from .exports import generate


def main(argv: list[str] | None = None) -> None:
    """python -m analytics.demo OUT_DIR [--reps N] [--seed S]: write the demo exports and time it."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("out_dir")
    ap.add_argument("--reps", type=int, default=150)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    truth = generate(args.out_dir, seed=args.seed, n_reps=args.reps)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"seconds": round(elapsed, 2), "files": truth["files"],
                      "n_certified": truth["n_certified"], "open_share": truth["open_share"]}, indent=1))


if __name__ == "__main__":
    main()
