"""Environment throughput: agent-steps per second, one process, one thread, random actions.

For every registered env (or ``--envs``) and each observation type it offers
(``obs_type="rgb"`` and ``"symbolic"`` where the env has that argument), this measures
the PettingZoo ``ParallelEnv`` (one copy) and the ``VectorEnv`` at each batch size
(default 1, 64, 256, 1024), and prints a markdown table of agent-steps/s with the ratio
VectorEnv(B) / ParallelEnv. Actions are drawn uniformly before timing; episodes run to
their end and reset inside the timed loop (auto-reset in the VectorEnv), so reset costs
are included. A second table checks the performance targets of the design document.

    python benchmarks/throughput.py                       # all envs, ~1 s per cell
    python benchmarks/throughput.py --envs coin_game_v0 --batch-sizes 1024 --seconds 3
    python benchmarks/throughput.py --out results.md --profile harvest_v0

If ``jaxmarl`` is importable, its ``coin_game`` is measured too (``jit(vmap(step))`` over
1024 copies inside ``lax.scan``, actions drawn in advance, compile time excluded) and the
ratio ours/theirs is printed.
"""

from __future__ import annotations

import os

# One thread for every numerical library, set before numpy is imported.
for _var in (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    os.environ[_var] = "1"
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import socialenvs  # noqa: E402
from socialenvs.core.registry import get_sim_class  # noqa: E402

ACTION_TABLE_LEN = 64  # pre-generated joint actions, cycled


def _timed(step, limit: float) -> tuple[int, float]:
    """Call ``step(i)`` for ``limit`` wall-clock seconds; return the call count and the
    CPU seconds this process spent. Rates use CPU time, so that other load on a shared
    machine does not count against us (one thread: CPU time = wall time when idle)."""
    calls = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < limit:
        step(calls)
        calls += 1
    return calls, time.process_time() - cpu0


@dataclass(frozen=True)
class Target:
    """A throughput target of the design document."""

    label: str
    env: str
    obs_type: str | None  # None: the env's default
    view: str | int  # "parallel" or a VectorEnv batch size
    agent_steps_per_s: float
    peer: str


TARGETS = [
    Target(
        "Harvest VectorEnv B=256, rgb",
        "harvest_v0",
        "rgb",
        256,
        500_000,
        "50x Melting Pot / SSD (10-17k agent-steps/s)",
    ),
    Target(
        "Cleanup VectorEnv B=256, rgb",
        "cleanup_v0",
        "rgb",
        256,
        500_000,
        "50x Melting Pot / SSD (10-17k agent-steps/s)",
    ),
    Target(
        "Harvest ParallelEnv, rgb", "harvest_v0", "rgb", "parallel", 30_000, "3x Melting Pot / SSD"
    ),
    Target(
        "Cleanup ParallelEnv, rgb", "cleanup_v0", "rgb", "parallel", 30_000, "3x Melting Pot / SSD"
    ),
    Target(
        "Coin game VectorEnv B=1024, symbolic",
        "coin_game_v0",
        "symbolic",
        1024,
        2_300_000,
        "1x JaxMARL coin_game vmapped 1024 on CPU",
    ),
]


def obs_variants(env_id: str, wanted: list[str]) -> list[str | None]:
    """Observation types to measure: those of ``wanted`` the env accepts, or [None] when
    the env has no ``obs_type`` argument."""
    cls = get_sim_class(env_id)
    fields = {f.name for f in dataclasses.fields(cls.config_class)}
    if "obs_type" not in fields:
        return [None]
    ok = []
    for obs_type in wanted:
        try:
            cls(num_envs=1, obs_type=obs_type)
        except ValueError:
            continue
        ok.append(obs_type)
    return ok


def _kwargs(obs_type: str | None) -> dict:
    return {} if obs_type is None else {"obs_type": obs_type}


def measure_parallel(env_id: str, obs_type: str | None, seconds: float, seed: int = 0) -> float:
    """Agent-steps/s of the PettingZoo ParallelEnv (resets included)."""
    env = socialenvs.make(env_id, **_kwargs(obs_type))
    env.reset(seed=seed)
    agents = list(env.possible_agents)
    n = env.action_space(agents[0]).n
    rows = np.random.default_rng(seed).integers(n, size=(ACTION_TABLE_LEN, len(agents)))
    table = [dict(zip(agents, map(int, row))) for row in rows]

    agent_steps = [0]

    def step(i: int) -> None:
        if not env.agents:
            env.reset()
        live = env.agents
        agent_steps[0] += len(live)
        env.step({a: table[i % ACTION_TABLE_LEN][a] for a in live})

    _timed(step, min(0.2, seconds / 5))  # warm-up
    agent_steps[0] = 0
    _, cpu = _timed(step, seconds)
    return agent_steps[0] / cpu


def measure_vector(
    env_id: str, obs_type: str | None, num_envs: int, seconds: float, seed: int = 0
) -> float:
    """Agent-steps/s of the VectorEnv with ``num_envs`` copies (auto-resets included)."""
    venv = socialenvs.make_vec(env_id, num_envs=num_envs, **_kwargs(obs_type))
    venv.reset(seed=seed)
    n = venv.single_action_space.n
    actions = np.random.default_rng(seed).integers(
        n, size=(ACTION_TABLE_LEN, num_envs, venv.num_agents)
    )
    per_step = num_envs * venv.num_agents

    def step(i: int) -> None:
        venv.step(actions[i % ACTION_TABLE_LEN])

    _timed(step, min(0.2, seconds / 5))  # warm-up
    steps, cpu = _timed(step, seconds)
    return steps * per_step / cpu


def measure_jaxmarl_coin_game(num_envs: int, seconds: float) -> float | None:
    """Agent-steps/s of JaxMARL's coin_game, ``jit(vmap(step))`` in a ``lax.scan`` of 100
    steps, actions drawn in advance (None when jaxmarl is not importable)."""
    try:
        import jax
        import jax.numpy as jnp
        import jaxmarl
    except ImportError:
        return None
    env = jaxmarl.make("coin_game")
    agents = list(env.agents)
    scan_len = 100
    key = jax.random.PRNGKey(0)
    keys = jax.random.split(key, num_envs)
    _, state = jax.vmap(env.reset)(keys)
    acts = jax.random.randint(key, (scan_len, len(agents), num_envs), 0, 5)

    def one_step(carry, a):
        k, s = carry
        k, sub = jax.random.split(k)
        step_keys = jax.random.split(sub, num_envs)
        actions = {agent: a[j] for j, agent in enumerate(agents)}
        _, s, rew, _, _ = jax.vmap(env.step)(step_keys, s, actions)
        return (k, s), rew[agents[0]].sum()

    @jax.jit
    def rollout(k, s):
        (k, s), r = jax.lax.scan(one_step, (k, s), acts)
        return k, s, r.sum()

    k, state, r = rollout(key, state)  # compile
    jnp.asarray(r).block_until_ready()
    carry = [k, state]

    def call(i: int) -> None:
        carry[0], carry[1], r = rollout(carry[0], carry[1])
        r.block_until_ready()

    calls, cpu = _timed(call, seconds)
    return calls * scan_len * num_envs * len(agents) / cpu


def fmt_rate(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def profile_vector(env_id: str, obs_type: str | None, num_envs: int, steps: int = 300) -> str:
    """cProfile of ``steps`` VectorEnv steps: the top functions by own time."""
    import cProfile
    import io
    import pstats

    venv = socialenvs.make_vec(env_id, num_envs=num_envs, **_kwargs(obs_type))
    venv.reset(seed=0)
    actions = np.random.default_rng(0).integers(
        venv.single_action_space.n, size=(ACTION_TABLE_LEN, num_envs, venv.num_agents)
    )
    prof = cProfile.Profile()
    prof.enable()
    for t in range(steps):
        venv.step(actions[t % ACTION_TABLE_LEN])
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--envs", default=None, help="comma-separated env ids (default: every registered env)"
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per cell")
    parser.add_argument(
        "--batch-sizes", default="1,64,256,1024", help="comma-separated VectorEnv batch sizes"
    )
    parser.add_argument(
        "--obs-types",
        default="rgb,symbolic",
        help="observation types to measure where the env has obs_type",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="measure each cell this many times and keep the best (steadier on a busy machine)",
    )
    parser.add_argument("--no-parallel", action="store_true", help="skip the ParallelEnv")
    parser.add_argument("--no-peers", action="store_true", help="skip JaxMARL even if present")
    parser.add_argument("--out", default=None, help="also write the report to this file")
    parser.add_argument(
        "--profile",
        default=None,
        metavar="ENV",
        help="append a cProfile of ENV's VectorEnv at B=256",
    )
    args = parser.parse_args(argv)

    envs = (
        socialenvs.list_envs()
        if args.envs is None
        else [
            socialenvs.core.registry.normalize_id(e.strip())
            for e in args.envs.split(",")
            if e.strip()
        ]
    )
    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    wanted_obs = [o.strip() for o in args.obs_types.split(",") if o.strip()]

    results: dict[tuple[str, str | None, str | int], float] = {}
    header = ["env", "obs", "ParallelEnv"] + [f"Vec B={b} (×Par)" for b in batch_sizes]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for env_id in envs:
        try:
            variants = obs_variants(env_id, wanted_obs)
        except Exception as exc:  # an env that cannot even be built: report, go on
            lines.append(f"| {env_id} | error: {exc} |")
            continue
        for obs_type in variants:
            label = obs_type or "—"
            print(f"measuring {env_id} [{label}] ...", file=sys.stderr, flush=True)
            try:
                par = None
                if not args.no_parallel:
                    par = max(
                        measure_parallel(env_id, obs_type, args.seconds)
                        for _ in range(args.repeats)
                    )
                    results[(env_id, obs_type, "parallel")] = par
                cells = [env_id, label, fmt_rate(par)]
                for b in batch_sizes:
                    vec = max(
                        measure_vector(env_id, obs_type, b, args.seconds)
                        for _ in range(args.repeats)
                    )
                    results[(env_id, obs_type, b)] = vec
                    ratio = f" ({vec / par:.0f}×)" if par else ""
                    cells.append(fmt_rate(vec) + ratio)
            except Exception as exc:  # keep measuring the other envs
                cells = [env_id, label, f"error: {type(exc).__name__}: {exc}"]
            lines.append("| " + " | ".join(cells) + " |")

    peer_lines = []
    if not args.no_peers and "coin_game_v0" in envs:
        theirs = measure_jaxmarl_coin_game(1024, max(args.seconds, 2.0))
        if theirs is None:
            peer_lines.append("JaxMARL not importable: peer comparison skipped.")
        else:
            ours = results.get(("coin_game_v0", "symbolic", 1024))
            if ours is None:
                ours = measure_vector("coin_game_v0", "symbolic", 1024, args.seconds)
            peer_lines += [
                "| coin game, B=1024, 1 thread | agent-steps/s |",
                "|---|---|",
                f"| socialenvs coin_game_v0 VectorEnv (symbolic) | {fmt_rate(ours)} |",
                f"| JaxMARL coin_game jit(vmap(step)) in lax.scan | {fmt_rate(theirs)} |",
                f"| ratio ours / theirs | {ours / theirs:.2f} |",
            ]

    target_lines = [
        "| target | measured | required | status | peer basis |",
        "|---|---|---|---|---|",
    ]
    for tg in TARGETS:
        got = results.get((tg.env, tg.obs_type, tg.view))
        if got is None and tg.obs_type is not None:
            got = results.get((tg.env, None, tg.view))  # env without obs_type
        if got is None:
            status = "not measured" + ("" if tg.env in socialenvs.list_envs() else " (env absent)")
        else:
            status = "**reached**" if got >= tg.agent_steps_per_s else "not reached"
        target_lines.append(
            f"| {tg.label} | {fmt_rate(got)} | ≥ {fmt_rate(tg.agent_steps_per_s)} | {status} "
            f"| {tg.peer} |"
        )

    info = (
        f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.machine()} ({os.cpu_count()} CPUs visible, "
        f"1 thread), {args.seconds:g} s per cell (best of {args.repeats}), random actions, "
        "resets included, "
        "rates per CPU-second of this process"
    )
    report = [
        "# socialenvs throughput (agent-steps/s)",
        "",
        info,
        "",
        *lines,
        "",
        "## Targets (DESIGN.md)",
        "",
        *target_lines,
    ]
    if peer_lines:
        report += ["", "## Peer comparison", "", *peer_lines]
    if args.profile:
        pid = socialenvs.core.registry.normalize_id(args.profile)
        obs = obs_variants(pid, wanted_obs)[0]
        report += [
            "",
            f"## Profile: {pid} VectorEnv B=256 ({obs or 'default obs'})",
            "",
            "```",
            profile_vector(pid, obs, 256).rstrip(),
            "```",
        ]
    text = "\n".join(report)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
