"""``socialenvs train | eval | play``.

``socialenvs train`` with no arguments runs the default experiment: PPO (one learner,
feed-forward) plays the repeated prisoner's dilemma (``matrix_game_v0``, 20 rounds,
observing the last joint action) against tit-for-tat for 150k steps, which takes well
under a minute on a laptop core. Against tit-for-tat, defecting wins 4 once and then 1
per round instead of 3, so a learner that sees the last joint action should learn to
cooperate (Axelrod & Hamilton 1981); the final table compares the trained policy with a
random one in the same seat.

Examples::

    socialenvs train
    socialenvs train harvest_v0 --agent ppo --steps 200000 --num-envs 16 --seed 1 --out runs/h
    socialenvs train matrix_game_v0 --agent dqn --set env_kwargs.max_cycles=1 --set dqn.gamma=0
    socialenvs train --config cfg.yaml --set ppo.lr=1e-3 --set network.core=gru
    socialenvs train --resume runs/h            # continue a killed run exactly
    socialenvs eval runs/h
    socialenvs play harvest_v0 --policy greedy_harvester --out harvest.gif
    socialenvs play --run runs/h --out trained.gif
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from agents.scripted import RandomPolicy, make_scripted, scripted_names
from training.config import AGENTS, SHARING, make_config
from training.evaluate import evaluate, metrics_table, plot_learning_curve, record_gif, summary
from training.perf import keep_freed_memory
from training.trainer import CHECKPOINT, Trainer


def _train_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="socialenvs train",
        description="Train reference agents; with no arguments runs the default experiment "
        "(PPO vs tit-for-tat in the repeated prisoner's dilemma).",
    )
    p.add_argument("env", nargs="?", help="environment id (socialenvs list)")
    p.add_argument("--agent", choices=AGENTS, help="learner (default ppo)")
    p.add_argument("--steps", type=int, help="environment steps to train for")
    p.add_argument("--num-envs", type=int, dest="num_envs", help="env copies stepped together")
    p.add_argument("--seed", type=int)
    p.add_argument("--out", help="run directory")
    p.add_argument("--sharing", choices=SHARING, help="one shared policy or one per seat")
    p.add_argument(
        "--co-player",
        action="append",
        default=[],
        metavar="AGENT=POLICY",
        help=f"scripted co-player for a seat; policies: {scripted_names()}",
    )
    p.add_argument("--config", help="YAML file with config keys")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. ppo.lr=1e-3 or env_kwargs.max_cycles=50",
    )
    p.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its checkpoint")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--no-eval", action="store_true", help="skip the final evaluation")
    return p


def _co_players(items: list[str]) -> dict[str, str] | None:
    if not items:
        return None
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--co-player {item!r} must look like player_1=tit_for_tat")
        seat, name = item.split("=", 1)
        out[seat] = name
    return out


def final_evaluation(
    trainer: Trainer, episodes: int | None = None, gif: bool | None = None, seed: int | None = None
) -> dict:
    """Evaluate the trained policies and a random baseline; write eval.json, PNG and GIF."""
    cfg = trainer.config
    episodes = episodes or cfg.eval_episodes
    seed = cfg.seed + 10_000 if seed is None else seed
    n_actions = int(trainer.venv.single_action_space.n)
    baseline = [
        RandomPolicy(n_actions) if k in trainer.learner_idx else p
        for k, p in enumerate(trainer.policies)
    ]
    results = {
        "trained": evaluate(
            cfg.env,
            cfg.env_kwargs,
            trainer.policies,
            trainer.matchmaker,
            episodes,
            seed,
            cfg.eval_deterministic,
        ),
        "random": evaluate(cfg.env, cfg.env_kwargs, baseline, trainer.matchmaker, episodes, seed),
    }
    co = ", ".join(f"{a}={n}" for a, n in cfg.co_players.items()) or "none"
    title = (
        f"Social outcomes of {cfg.env} over {episodes} episodes "
        f"(learner seats: trained vs random; co-players: {co})"
    )
    table = metrics_table(results, title)
    print(table)
    run = trainer.run_dir
    with open(os.path.join(run, "eval.json"), "w") as f:
        json.dump({k: summary(v) for k, v in results.items()}, f, indent=2)
    with open(os.path.join(run, "eval.md"), "w") as f:
        f.write(table + "\n")
    png = plot_learning_curve(
        os.path.join(run, "progress.csv"),
        os.path.join(run, "learning_curve.png"),
        f"{cfg.agent} on {cfg.env}",
    )
    if png:
        print(f"learning curve: {png}")
    if cfg.gif if gif is None else gif:
        path = record_gif(
            cfg.env,
            cfg.env_kwargs,
            trainer.policies,
            trainer.matchmaker,
            os.path.join(run, "episode.gif"),
            seed=seed,
        )
        print(f"episode GIF: {path}")
    return results


def train_main(argv: list[str]) -> int:
    args = _train_parser().parse_args(argv)
    progress = not args.no_progress
    keep_freed_memory()  # this process is ours: no page-fault churn in PPO updates
    if args.resume:
        extra = [
            k
            for k in ("env", "agent", "num_envs", "seed", "out", "sharing", "config")
            if getattr(args, k) is not None
        ] + (["--set"] if args.set else [])
        if extra:
            raise ValueError(
                f"--resume continues a run with its saved config; drop {extra} "
                "(only --steps may extend it)"
            )
        trainer = Trainer.resume(args.resume, steps=args.steps, progress=progress)
        print(f"resuming {args.resume} at {trainer.env_steps} env steps")
    else:
        config = make_config(
            yaml_path=args.config,
            sets=args.set,
            env=args.env,
            agent=args.agent,
            steps=args.steps,
            num_envs=args.num_envs,
            seed=args.seed,
            out=args.out,
            sharing=args.sharing,
            co_players=_co_players(args.co_player),
        )
        trainer = Trainer(config, progress=progress)
    trainer.train()
    print(
        f"trained {trainer.env_steps} env steps ({trainer.steps_per_second:.0f} steps/s); "
        f"run directory: {trainer.run_dir}"
    )
    if not args.no_eval:
        final_evaluation(trainer)
    return 0


def eval_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="socialenvs eval", description="Evaluate a trained run's final checkpoint."
    )
    p.add_argument("run", help="run directory (holds checkpoint.pt)")
    p.add_argument("--episodes", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--gif", action="store_true", help="also record an episode GIF")
    args = p.parse_args(argv)
    trainer = Trainer.resume(args.run, progress=False, tensorboard=False)
    final_evaluation(trainer, episodes=args.episodes, gif=args.gif, seed=args.seed)
    return 0


def play_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="socialenvs play", description="Render one episode of a policy to a GIF."
    )
    p.add_argument("env", nargs="?", help="environment id (not needed with --run)")
    p.add_argument("--run", help="play the trained policies of this run directory")
    p.add_argument(
        "--policy",
        default="random",
        help=f"scripted policy for every seat without --run; one of {scripted_names()}",
    )
    p.add_argument("--out", help="GIF path (default <env>.gif or <run>/play.gif)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment argument, e.g. max_cycles=100",
    )
    p.add_argument("--max-frames", type=int, default=300, dest="max_frames")
    args = p.parse_args(argv)
    from socialenvs.core.registry import make_vec, normalize_id
    from training.config import parse_assignment
    from training.rollout import Matchmaker

    if args.run:
        trainer = Trainer.resume(args.run, progress=False, tensorboard=False)
        cfg = trainer.config
        if args.env and normalize_id(args.env) != cfg.env:
            raise ValueError(f"--run {args.run} was trained on {cfg.env}, not {args.env}")
        env, kwargs = cfg.env, cfg.env_kwargs
        policies, mm = trainer.policies, trainer.matchmaker
        out = args.out or os.path.join(args.run, "play.gif")
    else:
        if not args.env:
            raise ValueError("give an environment id or --run DIR")
        env = normalize_id(args.env)
        kwargs = {}
        for s in args.set:
            path, v = parse_assignment(s)
            kwargs[".".join(path)] = v
        venv = make_vec(env, num_envs=1, **kwargs)
        policies, mm = [make_scripted(args.policy, venv)], Matchmaker([0] * venv.num_agents)
        out = args.out or f"{env}.gif"
    path = record_gif(env, kwargs, policies, mm, out, seed=args.seed, max_frames=args.max_frames)
    print(f"wrote {path}")
    return 0


COMMANDS = {"train": train_main, "eval": eval_main, "play": play_main}


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``argv[0]`` is ``train``, ``eval`` or ``play``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: socialenvs {{{'|'.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    try:
        return int(COMMANDS[argv[0]](argv[1:]) or 0)
    except ValueError as exc:
        print(f"socialenvs {argv[0]}: error: {exc}", file=sys.stderr)
        return 2


__all__ = ["main", "final_evaluation", "CHECKPOINT"]
