"""The reproduction suite: run registered experiments and write a markdown report.

Experiments live in ``benchmarks/experiments/<topic>.py`` (auto-discovered: every module
there is imported and registers its experiments with :func:`register`). An experiment
has a name, a tier (``fast``: minutes on 2 cores; ``medium``, declared by the few
experiments whose fast setting needs a longer budget to show its effect: the fast
setting at tens of CPU minutes; ``full``: a user's machine or cluster), a ``run(ctx)`` function returning measured numbers (and optional plot
paths), and a list of checks: a reference target or ordering with its source and
tolerance. Checks marked ``context=True`` are shown beside ours but are not pass/fail
(e.g. published numbers from a different algorithm or budget).

    python benchmarks/reproduce.py --list
    python benchmarks/reproduce.py                       # every fast-tier experiment
    python benchmarks/reproduce.py --tier full --only ssd_harvest_ppo
    python benchmarks/reproduce.py --tier medium --only allelopathic_cnm
    python benchmarks/reproduce.py --out runs/repro --seed 1

Writes ``<out>/report.md`` (a target / measured / pass-fail table per experiment and
its plots) and ``<out>/results.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIERS = ("fast", "medium", "full")
HERE = Path(__file__).resolve().parent


@dataclass
class Check:
    """One reference claim about a measured metric.

    Kinds: ``target`` (|measured - value| <= tolerance), ``at_least`` (measured >= value
    - tolerance), ``at_most``, and ``greater`` (metric > other metric + tolerance; an
    ordering, e.g. trained > random).
    """

    metric: str
    kind: str = "target"
    value: float | None = None
    other: str | None = None
    tolerance: float = 0.0
    source: str = ""
    context: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("target", "at_least", "at_most", "greater"):
            raise ValueError(
                f"check kind={self.kind!r}; allowed: target, at_least, at_most, greater"
            )
        if self.kind == "greater" and not self.other:
            raise ValueError("a 'greater' check needs other=<metric>")

    def reference(self) -> str:
        tol = f" ± {self.tolerance:g}" if self.tolerance else ""
        if self.kind == "target":
            return f"{self.value:g}{tol}"
        if self.kind == "at_least":
            return f"≥ {self.value:g}{tol}"
        if self.kind == "at_most":
            return f"≤ {self.value:g}{tol}"
        return f"> {self.other}" + (f" + {self.tolerance:g}" if self.tolerance else "")

    def evaluate(self, measured: dict[str, float]) -> str:
        """``pass``, ``fail``, ``context`` or ``missing``."""
        if self.metric not in measured or (self.other and self.other not in measured):
            return "missing"
        if self.context:
            return "context"
        m = float(measured[self.metric])
        if self.kind == "target":
            ok = abs(m - self.value) <= self.tolerance
        elif self.kind == "at_least":
            ok = m >= self.value - self.tolerance
        elif self.kind == "at_most":
            ok = m <= self.value + self.tolerance
        else:
            ok = m > float(measured[self.other]) + self.tolerance
        return "pass" if ok else "fail"


@dataclass
class Context:
    """What an experiment's ``run`` receives."""

    out_dir: str
    tier: str
    seed: int


@dataclass
class Experiment:
    """A registered experiment (see the module docstring)."""

    name: str
    title: str
    run: Callable[[Context], dict[str, Any]]
    checks: list[Check] = field(default_factory=list)
    tiers: tuple[str, ...] = ("fast", "full")
    description: str = ""


REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add an experiment to the registry (names must be unique)."""
    if experiment.name in REGISTRY:
        raise ValueError(f"experiment {experiment.name!r} is registered twice")
    bad = [t for t in experiment.tiers if t not in TIERS]
    if bad:
        raise ValueError(f"experiment {experiment.name!r}: tiers {bad}; allowed {TIERS}")
    REGISTRY[experiment.name] = experiment
    return experiment


def discover() -> dict[str, Experiment]:
    """Import every ``benchmarks/experiments/*.py`` module (each registers its experiments)."""
    # Experiment modules do ``from reproduce import Check, Experiment, register``: make
    # that name resolve to this module even when it runs as ``__main__``.
    sys.modules.setdefault("reproduce", sys.modules[__name__])
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    folder = HERE / "experiments"
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"socialenvs_experiments_{path.stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return REGISTRY


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def run_selection(names: list[str], tier: str, out: str, seed: int) -> dict[str, Any]:
    os.makedirs(out, exist_ok=True)
    results: dict[str, Any] = {}
    lines = [
        f"# Reproduction report ({tier} tier, seed {seed})",
        "",
        "Checks marked *context* show a published number beside ours; they are not "
        "pass/fail (different algorithm, budget or episode length).",
        "",
    ]
    for name in names:
        exp = REGISTRY[name]
        ctx = Context(out_dir=os.path.join(out, name), tier=tier, seed=seed)
        os.makedirs(ctx.out_dir, exist_ok=True)
        t0, c0, load0 = time.perf_counter(), time.process_time(), os.getloadavg()[0]
        try:
            measured = exp.run(ctx)
            error = None
        except Exception:  # report, keep going with the other experiments
            measured, error = {}, traceback.format_exc()
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        load = (load0 + os.getloadavg()[0]) / 2
        plots = measured.pop("plots", []) if isinstance(measured, dict) else []
        rows = [(c, c.evaluate(measured)) for c in exp.checks]
        results[name] = {
            "measured": {k: v for k, v in measured.items() if isinstance(v, (int, float, str))},
            "checks": [
                {"metric": c.metric, "reference": c.reference(), "source": c.source, "result": r}
                for c, r in rows
            ],
            "seconds": elapsed,
            "cpu_seconds": cpu,
            "load_average": load,
            "error": error,
        }
        lines += [
            f"## {exp.title} (`{name}`)",
            "",
            exp.description,
            "",
            f"Run time: {elapsed:.0f} s wall-clock, {cpu:.0f} s CPU (load average "
            f"{load:.1f} on {os.cpu_count()} cores).",
            "",
        ]
        if error:
            lines += ["**Error:**", "", "```", error.strip(), "```", ""]
        lines += ["| metric | reference | measured | result | source |", "|---|---|---|---|---|"]
        for c, r in rows:
            m = _fmt(measured.get(c.metric, "n/a"))
            if c.kind == "greater" and c.other in measured:
                m += f" vs {_fmt(measured[c.other])}"
            lines.append(f"| {c.metric} | {c.reference()} | {m} | {r} | {c.source} |")
        other = [
            k
            for k in measured
            if k not in {c.metric for c in exp.checks} and isinstance(measured[k], (int, float))
        ]
        if other:
            lines += [
                "",
                "Other measurements: " + ", ".join(f"{k} = {_fmt(measured[k])}" for k in other),
            ]
        for p in plots:
            lines += ["", f"![{os.path.basename(p)}]({os.path.relpath(p, out)})"]
        lines.append("")
        print(
            f"[{name}] {elapsed:.0f}s " + ", ".join(f"{c.metric}: {r}" for c, r in rows), flush=True
        )
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    print(f"report: {os.path.join(out, 'report.md')}")
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Run the socialenvs reproduction suite.")
    p.add_argument("--tier", default="fast", choices=TIERS)
    p.add_argument("--only", default="", help="comma-separated experiment names")
    p.add_argument("--out", default="runs/reproduce")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    args = p.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    from training.perf import keep_freed_memory

    keep_freed_memory()  # our process: no page-fault churn in PPO updates (same results)
    discover()
    if args.list:
        for e in REGISTRY.values():
            print(f"{e.name:28s} tiers={','.join(e.tiers):10s} {e.title}")
        return 0
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            p.error(f"unknown experiments {unknown}; available: {sorted(REGISTRY)}")
        untiered = [n for n in names if args.tier not in REGISTRY[n].tiers]
        if untiered:
            p.error(
                f"experiments {untiered} have no {args.tier!r} tier; allowed: "
                + "; ".join(f"{n}: {', '.join(REGISTRY[n].tiers)}" for n in untiered)
            )
    else:
        names = [n for n, e in REGISTRY.items() if args.tier in e.tiers]
    run_selection(names, args.tier, args.out, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
