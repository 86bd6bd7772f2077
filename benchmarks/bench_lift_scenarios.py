"""Coverage and confident-wrong claims of the robust lift estimator on simulated organizations, many seeds each.

Run: .venv/bin/python benchmarks/bench_lift_scenarios.py [--seeds 20] [--first-seed 0] [--boot 400]
     [--scenario NAME ...] [--variance cr2|hc1] [--verbose]
Per scenario and estimate (a message, or a group of messages certified together): the truth is the mean true effect
on the deals behind the estimate (analytics.estimators.lift_world.truth_on). Printed: estimates with an interval, coverage
of the truth, confident-wrong (tier moderate or strong and the interval misses the truth) as a share of all estimates
and of the moderate/strong ones (with counts and Wilson 95 % intervals), the tiers, the mean error, the calibration of
the reported standard error (mean reported variance over the mean exact one, sum(w^2 p (1 - p)) from each deal's
weight w in the estimate and its true win probability p), and the process CPU and wall time (on a shared machine,
run it with `nice` and OPENBLAS_NUM_THREADS=1: idle BLAS threads spinning on busy cores only add CPU time).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.estimators import fixed_effects, lift_world  # noqa: E402
from analytics.intervals import wilson_interval  # noqa: E402
from analytics.estimators.robust_lift import RobustImputationLift  # noqa: E402


def outcomes(name: str, seed: int, n_boot: int = 400, **overrides) -> list[dict]:
    """One simulated organization's estimates: truth, estimate, interval and tier per message or joint group."""
    world = lift_world.simulate(name, seed, **overrides)
    est = RobustImputationLift(n_boot=n_boot, seed=seed, keep_weights=True).fit(
        world["deals"], world["pairs"], world["message_ids"], world["launch_dates"])
    p = world["p"]
    rows = est.tidy()
    out = []
    for unit in est.units_:
        m = unit[0]
        row = rows.iloc[m]
        joint = len(unit) > 1
        lift = row.joint_lift_pp if joint else row.lift_pp
        low, high = (row.joint_ci_low_pp, row.joint_ci_high_pp) if joint else (row.ci_low_pp, row.ci_high_pp)
        truth = lift_world.truth_on(world["effect"], est.covered_[m], unit)
        has_ci = bool(np.isfinite(low) and np.isfinite(high))
        covered = has_ci and low <= truth <= high
        confident = row.evidence in ("moderate", "strong")
        w = est.weights_[est.units_.index(unit)]
        exact_se = float(np.sqrt(np.sum(w ** 2 * p * (1 - p)))) if w is not None else np.nan
        out.append({"se": row.se_pp, "exact_se": exact_se, "scenario": name, "seed": seed,
                    "estimate": "+".join(world["message_ids"][k] for k in unit),
                    "truth": truth, "lift": lift, "low": low, "high": high, "evidence": row.evidence,
                    "has_ci": has_ci, "covered": covered, "confident_wrong": confident and not covered,
                    "confident": confident, "diagnostics": row.diagnostics})
    return out


def summary(rows: list[dict]) -> dict:
    """Coverage and confident-wrong shares of a scenario's estimates."""
    with_ci = [r for r in rows if r["has_ci"]]
    confident = [r for r in rows if r["confident"]]
    errors = [r["lift"] - r["truth"] for r in with_ci]
    se = np.array([[r["se"], r["exact_se"]] for r in with_ci]).reshape(-1, 2)
    se = se[np.isfinite(se).all(1)]
    return {"estimates": len(rows), "with_ci": len(with_ci),
            "covered": sum(r["covered"] for r in with_ci), "n_confident": len(confident),
            "n_wrong": sum(r["confident_wrong"] for r in rows),
            "variance_ratio": float(np.mean(se[:, 0] ** 2) / np.mean(se[:, 1] ** 2)) if len(se) else np.nan,
            "coverage": np.mean([r["covered"] for r in with_ci]) if with_ci else np.nan,
            "confident_wrong": np.mean([r["confident_wrong"] for r in rows]) if rows else np.nan,
            "wrong_of_confident": np.mean([r["confident_wrong"] for r in confident]) if confident else np.nan,
            "mean_error": float(np.mean(errors)) if errors else np.nan,
            "tiers": dict(Counter(r["evidence"] for r in rows))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--boot", type=int, default=400)
    parser.add_argument("--scenario", nargs="*", default=list(lift_world.SCENARIOS))
    parser.add_argument("--variance", choices=("cr2", "hc1"), default=fixed_effects.SMALL_SAMPLE,
                        help="small-sample correction of the rep-clustered variance (fixed_effects.SMALL_SAMPLE)")
    parser.add_argument("--verbose", action="store_true", help="print every estimate")
    args = parser.parse_args(argv)
    fixed_effects.SMALL_SAMPLE = args.variance
    print(f"{'scenario':<12} {'estimates':>9} {'with CI':>7} {'coverage':>8} {'conf.wrong':>10} "
          f"{'of m/s':>6} {'mean err':>8} {'var/exact':>9}  tiers   [variance: {args.variance}]")
    for name in args.scenario:
        t, cpu = time.perf_counter(), time.process_time()
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        rows = [r for seed in seeds for r in outcomes(name, seed, args.boot)]
        s = summary(rows)
        if args.verbose:
            for r in rows:
                print(f"  {r['seed']:>3} {r['estimate']:<20} truth {r['truth']:+6.2f} est {r['lift']:+6.2f} "
                      f"[{r['low']:+6.2f}, {r['high']:+6.2f}] se {r['se']:.2f} exact {r['exact_se']:.2f} "
                      f"{r['evidence']}")
        tiers = ", ".join(f"{k} {v}" for k, v in sorted(s["tiers"].items()))
        print(f"{name:<12} {s['estimates']:>9} {s['with_ci']:>7} {s['coverage']:>8.0%} {s['confident_wrong']:>10.1%} "
              f"{s['wrong_of_confident']:>6.0%} {s['mean_error']:>+8.2f} {s['variance_ratio']:>9.3f}  {tiers}  "
              f"(CPU {time.process_time() - cpu:.0f} s, wall {time.perf_counter() - t:.0f} s)", flush=True)
        (clo, chi), (wlo, whi) = (wilson_interval(s["covered"], s["with_ci"]),
                                  wilson_interval(s["n_wrong"], s["n_confident"]))
        print(f"{'':<12} coverage {s['covered']} of {s['with_ci']} [{float(clo):.1%}, {float(chi):.1%}]; "
              f"confident-wrong {s['n_wrong']} of {s['n_confident']} [{float(wlo):.1%}, {float(whi):.1%}]", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
