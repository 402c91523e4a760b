"""Learning tests: the learners learn (CPU, seeded, each well under a minute)."""

import numpy as np

from agents.scripted import RandomPolicy
from training.config import make_config
from training.evaluate import evaluate
from training.trainer import Trainer


def _train(tmp_path, env=None, **sets):
    cfg = make_config(env=env, sets=[f"out={tmp_path}"] + [f"{k}={v}" for k, v in sets.items()])
    return Trainer(cfg, progress=False, tensorboard=False).train()


def _random_baseline(trainer):
    n = int(trainer.venv.single_action_space.n)
    return [
        RandomPolicy(n) if k in trainer.learner_idx else p for k, p in enumerate(trainer.policies)
    ]


def test_ppo_learns_to_cooperate_with_tit_for_tat(tmp_path):
    # Default experiment (repeated PD vs tit-for-tat), shortened.
    tr = _train(tmp_path, steps=60_000, **{"ppo.lr": 1e-3})
    cfg = tr.config
    res = evaluate(cfg.env, cfg.env_kwargs, tr.policies, tr.matchmaker, episodes=32, seed=99)
    # cooperations counts both players' cooperative moves; tit-for-tat mirrors the learner
    coop_rate = res["cooperations"].mean() / (2 * cfg.env_kwargs["max_cycles"])
    assert coop_rate > 0.9, coop_rate


def test_ppo_beats_random_on_harvest(tmp_path):
    tr = _train(
        tmp_path,
        env="harvest_v0",
        steps=24_000,
        num_envs=8,
        **{
            "env_kwargs.max_cycles": 100,
            "env_kwargs.obs_type": "symbolic",
            "env_kwargs.view_radius": 3,
            "ppo.num_steps": 64,
            "ppo.lr": 1e-3,
            "network.feature_size": 64,
        },
    )
    cfg = tr.config
    trained = evaluate(cfg.env, cfg.env_kwargs, tr.policies, tr.matchmaker, episodes=8, seed=7)
    rand = evaluate(
        cfg.env, cfg.env_kwargs, _random_baseline(tr), tr.matchmaker, episodes=8, seed=7
    )
    # a clear margin on collective return, and more apples eaten (not only fewer fines)
    assert trained["collective_return"].mean() > rand["collective_return"].mean() + 100
    assert trained["apples_eaten"].mean() > 1.5 * rand["apples_eaten"].mean()


def test_dqn_finds_one_shot_best_responses(tmp_path):
    # One-shot stag hunt (R=4, S=0, T=3, P=2): the best response to a stag hunter is to
    # hunt stag (0), to a hare hunter to hunt hare (1).
    for co_player, best in (("always_cooperate", 0), ("always_defect", 1)):
        tr = _train(
            tmp_path / co_player,
            agent="dqn",
            steps=3_000,
            num_envs=8,
            **{
                "env_kwargs.game": "stag_hunt",
                "env_kwargs.max_cycles": 1,
                "co_players.player_1": co_player,
                "dqn.gamma": 0.0,
                "dqn.learning_starts": 200,
                "dqn.eps_fraction": 0.3,
                "dqn.lr": 1e-2,
                "dqn.batch_size": 32,
            },
        )
        q = tr.policies[0].net
        import torch

        first = np.zeros((1, 5), np.float32)
        first[0, 4] = 1.0  # no round played yet
        assert int(q(torch.from_numpy(first)).argmax()) == best, co_player
