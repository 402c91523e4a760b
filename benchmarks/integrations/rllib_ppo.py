"""Train RLlib PPO (new API stack) on a socialenvs env with one shared policy.

Needs the ``rllib`` extra in its own environment (Ray pins an exact Gymnasium version):

    python -m venv .venv-rllib && .venv-rllib/bin/pip install -e ".[rllib]" -c constraints.txt
    .venv-rllib/bin/python benchmarks/integrations/rllib_ppo.py matrix_game_v0 --iterations 2

Prints one line per training iteration (env steps, mean episode return, seconds).
"""

from __future__ import annotations

import argparse
import json
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_id", nargs="?", default="matrix_game_v0")
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--policies", choices=["shared", "independent"], default="shared")
    parser.add_argument("--train-batch-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--env-kwargs",
        type=json.loads,
        default={},
        help="JSON config fields, e.g. '{\"max_cycles\": 50}'",
    )
    args = parser.parse_args(argv)

    import ray

    from socialenvs.wrappers.rllib import rllib_ppo_config

    start = time.time()
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
    config = rllib_ppo_config(
        args.env_id,
        policies=args.policies,
        train_batch_size=args.train_batch_size,
        minibatch_size=max(args.train_batch_size // 4, 1),
        seed=args.seed,
        **args.env_kwargs,
    )
    algo = config.build_algo()
    print(f"setup {time.time() - start:.1f}s")
    for i in range(args.iterations):
        t = time.time()
        result = algo.train()
        runners = result["env_runners"]
        print(
            f"iteration {i + 1}: env steps {runners['num_env_steps_sampled_lifetime']}, "
            f"episode return mean {runners.get('episode_return_mean', float('nan')):.2f}, "
            f"{time.time() - t:.1f}s"
        )
    algo.stop()
    ray.shutdown()


if __name__ == "__main__":
    main()
