"""``socialenvs run`` and ``socialenvs list``: play an environment without torch.

    socialenvs run harvest_v0 --policy random --episodes 2 --gif harvest.gif
    socialenvs run coin_game_v0 --num-envs 64 --episodes 100 --set grid_size=5
    socialenvs list

``run`` plays ``--episodes`` episodes of an environment's :class:`~socialenvs.VectorEnv`
(``--num-envs`` copies at once, copy ``i`` seeded with ``--seed + i``) under a scripted
policy, prints the social-outcome metrics (efficiency, equality, sustainability, peace,
collective return; Perolat et al. 2017) and the env's event counts as mean ± std over
episodes, and optionally writes a GIF of the first episode (needs the ``viz`` extra,
``pip install "socialenvs[viz]"``). Without an env it plays a short built-in demo.
Errors in the command line (unknown env, unknown ``--set`` key, bad value) print the
message and exit with status 2.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import socialenvs
from socialenvs.core.registry import get_module, get_sim_class, normalize_id

POLICIES = ("random", "action:K")
DEMO_MAX_CYCLES = 200
GIF_MIN_SIDE = 256  # frames are scaled up by an integer factor to at least this size


def default_env() -> str:
    """The env ``socialenvs run`` plays when none is named."""
    envs = socialenvs.list_envs()
    return "harvest_v0" if "harvest_v0" in envs else "matrix_game_v0"


def describe(env_id: str) -> str:
    """First line of an env's documentation page."""
    doc = (get_module(env_id).__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def parse_value(text: str) -> Any:
    """A ``--set`` value: a Python literal (int, float, tuple, list, ...), ``true``/
    ``false``/``none`` in any case, or else the string itself."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``["key=value", ...]`` -> kwargs; raise ``ValueError`` on an item without ``=``."""
    kwargs: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {item!r}: expected key=value, e.g. --set max_cycles=100")
        kwargs[key.strip()] = parse_value(value)
    return kwargs


def make_policy(spec: str, action_space: Any, seed: int) -> Callable[[tuple[int, int]], np.ndarray]:
    """A policy ``shape -> int actions[shape]`` from ``--policy``: ``random`` (uniform over
    the actions) or ``action:K`` (every agent always plays action ``K``)."""
    n = getattr(action_space, "n", None)
    if n is None:
        raise ValueError(f"--policy needs a Discrete action space, got {action_space}")
    n = int(n)
    if spec == "random":
        rng = np.random.default_rng(seed)
        return lambda shape: rng.integers(n, size=shape)
    if spec.startswith("action:"):
        try:
            k = int(spec.split(":", 1)[1])
        except ValueError:
            k = -1
        if not 0 <= k < n:
            raise ValueError(f"--policy {spec!r}: action must be an integer in 0..{n - 1}")
        return lambda shape: np.full(shape, k, dtype=np.int64)
    raise ValueError(f"--policy {spec!r} is not allowed; choose one of {list(POLICIES)}")


def _progress(total: int, enabled: bool):
    """A tqdm bar over episodes when tqdm is installed; a silent stand-in otherwise."""
    if enabled:
        try:
            from tqdm import tqdm

            return tqdm(total=total, unit="episode", leave=False, file=sys.stderr)
        except ImportError:
            pass

    class _Plain:
        def __init__(self) -> None:
            self.n = 0

        def update(self, k: int) -> None:
            self.n += k
            if enabled and k:
                print(f"episodes: {self.n}/{total}", file=sys.stderr)

        def close(self) -> None:
            pass

    return _Plain()


def play(
    env_id: str,
    episodes: int = 2,
    seed: int = 0,
    num_envs: int | None = None,
    policy: str = "random",
    progress: bool = False,
    **kwargs: Any,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Play ``episodes`` episodes; return their metrics and copy 0's first-episode actions.

    Returns:
        metrics: ``{name: array[episodes, ...]}`` from the VectorEnv's episode statistics
            (finished episodes in order of completion, copies in index order within a step).
        actions: ``int[T, N]`` the joint actions copy 0 played in its first episode (to
            replay it for a GIF).
    """
    if episodes < 1:
        raise ValueError(f"--episodes {episodes}: must be >= 1")
    num_envs = min(episodes, 64) if num_envs is None else num_envs
    venv = socialenvs.make_vec(env_id, num_envs=num_envs, **kwargs)
    act = make_policy(policy, venv.single_action_space, seed)
    venv.reset(seed=seed)
    shape = (venv.num_envs, venv.num_agents)
    collected: list[dict[str, np.ndarray]] = []
    first_actions: list[np.ndarray] = []
    first_done = False
    done_count = 0
    bar = _progress(episodes, progress)
    try:
        while done_count < episodes:
            actions = act(shape)
            if not first_done:
                first_actions.append(actions[0].copy())
            _, _, _, _, infos = venv.step(actions)
            if infos["done_envs"][0]:
                first_done = True
            if "episode" in infos:
                k = min(len(infos["episode_envs"]), episodes - done_count)
                collected.append({name: v[:k] for name, v in infos["episode"].items()})
                done_count += k
                bar.update(k)
    finally:
        bar.close()
    metrics = {name: np.concatenate([c[name] for c in collected]) for name in collected[0]}
    return metrics, np.asarray(first_actions)


def format_table(metrics: dict[str, np.ndarray], agent_names: list[str]) -> str:
    """Markdown table ``metric | mean ± std`` over episodes (per-agent returns last)."""
    rows = []
    for name, values in metrics.items():
        if name == "returns":
            continue
        rows.append((name, values))
    returns = metrics.get("returns")
    if returns is not None and returns.ndim == 2 and returns.shape[1] <= 16:
        for j, agent in enumerate(agent_names):
            rows.append((f"return {agent}", returns[:, j]))
    n = len(next(iter(metrics.values())))
    cells = []
    for _, values in rows:
        v = np.asarray(values, dtype=np.float64)
        finite = v[np.isfinite(v)]  # sustainability is nan for episodes without reward
        cells.append("nan" if finite.size == 0 else f"{finite.mean():.4g} ± {finite.std():.3g}")
    head = f"mean ± std over {n} episode(s)"
    width = max(len(r[0]) for r in rows)
    cw = max(len(head), *(len(c) for c in cells))
    lines = [
        f"| {'metric'.ljust(width)} | {head.ljust(cw)} |",
        f"|{'-' * (width + 2)}|{'-' * (cw + 2)}|",
    ]
    for (name, _), cell in zip(rows, cells):
        lines.append(f"| {name.ljust(width)} | {cell.ljust(cw)} |")
    return "\n".join(lines)


def write_gif(path: str, env_id: str, seed: int, actions: np.ndarray, **kwargs: Any) -> int:
    """Replay copy 0's first episode in a ParallelEnv (copy 0 of the VectorEnv is that
    env seeded with ``seed``) and save every frame, the final one included, as a GIF.

    Returns the number of frames written.
    """
    try:
        import imageio.v3 as iio
    except ImportError as exc:
        raise ImportError(f"--gif needs imageio: pip install 'socialenvs[viz]' ({exc})") from exc
    env = socialenvs.make(env_id, render_mode="rgb_array", **kwargs)
    env.reset(seed=seed)
    frames = [env.render()]
    agents = list(env.possible_agents)
    for joint in actions:
        env.step({a: int(joint[j]) for j, a in enumerate(agents)})
        frames.append(env.render())
    h, w = frames[0].shape[:2]
    scale = max(1, -(-GIF_MIN_SIDE // max(1, min(h, w))))
    if scale > 1:
        frames = [np.repeat(np.repeat(f, scale, axis=0), scale, axis=1) for f in frames]
    fps = env.metadata.get("render_fps", 8)
    iio.imwrite(path, np.stack(frames), duration=1000.0 / fps, loop=0)
    return len(frames)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="socialenvs",
        description="Play socialenvs environments without torch (train with `socialenvs train`).",
    )
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="play an env with a scripted policy and print its metrics")
    run.add_argument(
        "env",
        nargs="?",
        default=None,
        help=f"env id (see `socialenvs list`); default: a {DEMO_MAX_CYCLES}-step demo "
        "of harvest_v0 (matrix_game_v0 where harvest is absent)",
    )
    run.add_argument(
        "--policy",
        default="random",
        help="'random' (uniform actions) or 'action:K' (always action K)",
    )
    run.add_argument("--episodes", type=int, default=2, help="episodes to play (default 2)")
    run.add_argument("--seed", type=int, default=0, help="copy i is seeded with seed + i")
    run.add_argument(
        "--num-envs",
        type=int,
        default=None,
        help="copies played at once (default: min(episodes, 64))",
    )
    run.add_argument("--max-cycles", type=int, default=None, help="steps per episode")
    run.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="env argument, repeatable (e.g. --set preset=lase --set obs_type=rgb)",
    )
    run.add_argument("--gif", default=None, help="write a GIF of episode 1 (needs imageio)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_parser("list", help="list the environments")
    return parser


def _list() -> int:
    envs = socialenvs.list_envs()
    width = max(len(e) for e in envs)
    for e in envs:
        print(f"{e.ljust(width)}  {describe(e)}")
    return 0


def _run(args: argparse.Namespace) -> int:
    kwargs = parse_sets(args.sets)
    env_id = args.env
    if env_id is None:
        env_id = default_env()
        kwargs.setdefault("max_cycles", DEMO_MAX_CYCLES)
        print(
            f"no env given: playing {env_id} ({kwargs['max_cycles']} steps per episode); "
            "`socialenvs list` shows all envs"
        )
    env_id = normalize_id(env_id)
    if args.max_cycles is not None:
        kwargs["max_cycles"] = args.max_cycles
    agents = get_sim_class(env_id)(num_envs=1, **kwargs).agent_names  # validates kwargs
    if args.num_envs is not None and args.num_envs < 1:
        raise ValueError(f"--num-envs {args.num_envs}: must be >= 1")
    metrics, first_actions = play(
        env_id,
        episodes=args.episodes,
        seed=args.seed,
        num_envs=args.num_envs,
        policy=args.policy,
        progress=not args.quiet,
        **kwargs,
    )
    settings = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    print(f"{env_id} ({settings or 'defaults'}), policy {args.policy}, seed {args.seed}")
    print(format_table(metrics, agents))
    if args.gif:
        frames = write_gif(args.gif, env_id, args.seed, first_actions, **kwargs)
        print(f"wrote {args.gif} ({frames} frames of episode 1)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _list() if args.command == "list" else _run(args)
    except (ValueError, ImportError) as exc:
        print(f"socialenvs: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
