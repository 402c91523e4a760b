"""Cultural accumulation (Cook et al. 2024, NeurIPS) reproductions in the suite.

The experiments call the runners of ``benchmarks/culture.py`` (runnable on its own, with
several seeds at once: ``culture.py --tier fast --seeds 0 1``) with that script's tier
budgets. Checks are the paper's orderings (spec culture §11), not its absolute numbers:
the budgets are far below the paper's (see ``culture.py``'s docstring). The fast tier
runs the three Memory Sequence experiments and TSP in-context; Goal Sequence in-weights
is in the full tier only.
"""

from __future__ import annotations

from reproduce import Check, Context, Experiment, register

SOURCE = "Cook et al. 2024"
_CACHE: dict[tuple[str, int], dict] = {}


def _run(name: str, ctx: Context) -> dict:
    import culture

    tier = culture.TIERS[ctx.tier]
    cache = {n: r for (n, seed), r in _CACHE.items() if seed == ctx.seed}
    r = culture.run(name, tier, ctx.seed, ctx.out_dir, cache)
    _CACHE[(name, ctx.seed)] = r
    out = {"plots": [r[k] for k in ("plot", "plot_curves") if r.get(k)]}
    out.update(culture.metrics(name, r))
    return out


def _greater(metric: str, other: str, source: str) -> Check:
    return Check(metric, "greater", other=other, source=source)


IC_CHECKS = [
    _greater(
        "last_generation",
        "generation_0",
        f"{SOURCE} §5, in-context Memory Sequence figure (spec §11.1)",
    ),
    _greater(
        "last_generation",
        "rl2_all_generations",
        f"{SOURCE}, RL² on all generations' trials (spec §11.1)",
    ),
    _greater(
        "last_generation",
        "rl2_one_generation",
        f"{SOURCE}, RL² on one generation's trials (spec §11.1)",
    ),
    _greater("last_generation", "noisy_oracle", f"{SOURCE}, noisy oracle line (spec §11.1)"),
]

register(
    Experiment(
        name="culture_memseq_in_context",
        title="Memory Sequence: in-context accumulation beats RL² and its oracle",
        run=lambda ctx: _run("memseq_in_context", ctx),
        checks=IC_CHECKS,
        description="RL² + 3 noisy oracles (accuracy bound 0.67) meta-trained on 4-trial "
        "episodes; 8 generations of 3 members on held-out sequences, previous members "
        "reset to their saved state each trial; RL² on 4 and 32 trials with the same "
        "steps. Scores: correct digits before the first mistake, last generation's mean "
        "vs RL²-32's last 4 trials, RL²-4's mean and the best oracle's own proposals.",
    )
)

register(
    Experiment(
        name="culture_memseq_oracle_sweep",
        title="Memory Sequence: the oracle-accuracy sweep is non-monotonic",
        run=lambda ctx: _run("memseq_oracle_sweep", ctx),
        checks=[
            _greater(
                "plateau_0.67", "plateau_0.33", f"{SOURCE}, oracle-accuracy sweep (spec §11.2)"
            ),
            _greater(
                "plateau_0.33", "plateau_0.86", f"{SOURCE}, oracle-accuracy sweep (spec §11.2)"
            ),
        ],
        description="Plateau (mean of the last two generations) after meta-training with "
        "oracle accuracy bounds 0.33 / 0.67 / 0.86 (m = 0.5 / 2 / 6); too accurate "
        "oracles cause over-reliance on social learning.",
    )
)


def _in_weights_checks(env: str, section: str) -> list:
    """Generation 2 beats the single lifetime; the last generation beats generation 0."""
    source = f"{SOURCE}, in-weights {env} (spec §{section})"
    return [
        _greater("generation_2", "single_lifetime", source),
        _greater("last_generation", "generation_0", source),
    ]


register(
    Experiment(
        name="culture_memseq_in_weights",
        title="Memory Sequence: in-weights accumulation beats a single lifetime",
        run=lambda ctx: _run("memseq_in_weights", ctx),
        checks=_in_weights_checks("Memory Sequence", "11.5"),
        description="Each generation a fresh PPO population trained next to the previous "
        "one (all members, sorted), visibility annealed 1 -> 0; best member's return with "
        "demonstrators hidden, vs one agent trained for all generations' steps.",
    )
)

register(
    Experiment(
        name="culture_tsp_in_context",
        title="TSP: in-context accumulation beats RL² and the heuristic oracle",
        run=lambda ctx: _run("tsp_in_context", ctx),
        checks=IC_CHECKS,
        description="6 cities, 8 trials per generation, 8 generations; heuristic "
        "demonstrators during meta-training; per-trial sum of positive rewards.",
    )
)

register(
    Experiment(
        name="culture_goalseq_in_weights",
        title="Goal Sequence: in-weights accumulation beats a single lifetime",
        run=lambda ctx: _run("goalseq_in_weights", ctx),
        checks=_in_weights_checks("Goal Sequence", "11.6"),
        tiers=("full",),
        description="Two embodied agents in a 7x7 grid; the best member of the previous "
        "generation acts in the demonstrator seat, visibility annealed 1 -> 0.",
    )
)
