import numpy as np
import pytest
import torch

import socialenvs
from agents.lase import METHODS, LASEConfig, SocialLearner, lase_gift_weights
from training.lase import train_social
from training.rollout import Matchmaker, RolloutCollector


def test_gift_weights_from_sr():
    sr = torch.tensor([[[0.0, 0.6, -0.3], [1.0, 0.0, 1.0], [-1.0, -0.5, 0.0]]])
    w = lase_gift_weights(sr)[0]
    torch.testing.assert_close(w.sum(-1), torch.ones(3))
    assert (w >= 0).all()
    # row 0: gives 0.6/2 to agent 1, nothing to the unfriendly agent 2
    torch.testing.assert_close(w[0], torch.tensor([0.7, 0.3, 0.0]))
    # row 1: max gifts, keeps nothing; row 2: keeps everything
    torch.testing.assert_close(w[1], torch.tensor([0.5, 0.0, 0.5]))
    torch.testing.assert_close(w[2], torch.tensor([0.0, 0.0, 1.0]))


def _rollout(env_id, method, steps=12, **env_kwargs):
    venv = socialenvs.make_vec(env_id, num_envs=3, **env_kwargs)
    N = venv.num_agents
    learner = SocialLearner(
        venv.single_observation_space,
        int(venv.single_action_space.n),
        N,
        config=LASEConfig(method=method),
        seed=0,
    )
    col = RolloutCollector(
        venv, [learner.policies[i] for i in range(N)], Matchmaker(list(range(N))), seed=0
    )
    return learner, col.collect(steps)


@pytest.mark.parametrize("method", METHODS)
def test_update_runs_and_gifting_conserves_reward(method):
    learner, ro = _rollout("matrix_game_v0", method, max_cycles=5)
    stats = learner.update(ro)
    w = np.asarray(stats["gift_weights"])
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)
    assert (w >= -1e-7).all()
    if method in ("lase", "selfish", "fixed_gifting", "random_gifting"):
        # zero-sum: the post-gift rewards sum to the extrinsic ones
        assert np.isclose(
            np.sum(stats["train_reward"]), np.sum(stats["extrinsic_reward"]), atol=1e-4
        )
    if method == "selfish":
        np.testing.assert_allclose(w, np.eye(2))
    if method == "lase":
        sr = np.asarray(stats["social_relationship"])
        assert np.all(np.abs(sr) <= 1.0) and np.all(np.diag(sr) == 0)


def test_lase_on_a_grid_env_with_perspective_taking():
    learner, ro = _rollout("stag_hunt_v0", "lase", steps=6, max_cycles=6)
    stats = learner.update(ro)
    assert np.asarray(stats["gift_weights"]).shape == (4, 4)
    assert "pt_loss_0" in stats and "sr_critic_loss_3" in stats


def test_lase_without_perspective_taking_uses_true_observations():
    venv = socialenvs.make_vec("matrix_game_v0", num_envs=2)
    learner = SocialLearner(
        venv.single_observation_space, 2, 2, config=LASEConfig(perspective_taking=False), seed=0
    )
    assert not learner.pt
    obs, _ = venv.reset(seed=0)
    o = torch.from_numpy(obs).float()
    p = learner.predicted_policy(0, 1, o[:, 0], o[:, 1])
    lens = torch.softmax(learner.sr_critic[0].policy_logits(o[:, 1]), -1)
    torch.testing.assert_close(p, lens)


@pytest.mark.parametrize("lens", ["sr_policy", "policy"])
def test_perspective_taking_lens_and_what_each_update_trains(lens):
    """Co-players are inferred with the SR network's actor (own extrinsic reward) by
    default, with the acting policy for ``pt_lens="policy"``; the PT loss trains only the
    PT module, the SR update trains the SR critic and its actor."""
    learner, ro = _rollout("matrix_game_v0", "lase", max_cycles=5)
    learner.config.pt_lens = lens
    obs = torch.from_numpy(ro.obs[0]).float()
    imagined = learner.pt[0](obs[:, 0], 1)
    if lens == "sr_policy":
        expect = torch.softmax(learner.sr_critic[0].policy_logits(imagined), -1)
    else:
        expect = torch.softmax(learner.policies[0].inner.net.step(imagined, ())[0], -1)
    torch.testing.assert_close(learner.predicted_policy(0, 1, obs[:, 0], obs[:, 1]), expect)

    def snapshot(module):
        return [p.detach().clone() for p in module.parameters()]

    sr_actor, sr_head = snapshot(learner.sr_critic[0].actor), snapshot(learner.sr_critic[0].head)
    acting = snapshot(learner.policies[0].inner.net)
    pt = snapshot(learner.pt[0])
    M = ro.actions.shape[0] * ro.actions.shape[1]
    o = torch.from_numpy(ro.obs.reshape(M, 2, -1)).float()
    a = torch.from_numpy(ro.actions.reshape(M, 2))
    learner._update_pt(o, a)
    changed = lambda before, m: any(  # noqa: E731
        not torch.equal(x, y) for x, y in zip(before, m.parameters())
    )
    assert changed(pt, learner.pt[0])
    assert not changed(sr_actor, learner.sr_critic[0].actor)
    assert not changed(acting, learner.policies[0].inner.net)
    r = torch.from_numpy(ro.rewards.reshape(M, 2))
    dones = ro.dones.any(-1)
    next_ok = torch.from_numpy(np.concatenate([~dones[:-1], np.zeros((1, 3), bool)]))
    stats = learner._update_sr_critic(
        o, a, r, next_ok, torch.from_numpy(dones), *ro.actions.shape[:2]
    )
    assert changed(sr_actor, learner.sr_critic[0].actor)
    assert changed(sr_head, learner.sr_critic[0].head)
    assert "sr_policy_loss_0" in stats


@pytest.mark.parametrize("lens", ["sr_policy", "policy"])
def test_sr_critic_learns_social_relationship_signs_against_fixed_coplayer(lens):
    """Against a random co-player in the one-shot PD its cooperation is friendly (SR > 0)
    and its defection is not (SR <= 0) once the SARSA critic has learned the payoffs;
    with two actions SR(C) - SR(D) = 1 (see docs/lase.md).

    With the selfish SR-policy lens the co-player is predicted to defect (the lens learned
    the PD's dominant action), so a defection is no worse than expected (SR ~ 0); with the
    slowly trained acting policy as the lens the prediction stays near uniform (SR < 0)."""
    cfg = LASEConfig(
        lr_sr=1e-2, lr_pt=1e-2, lr_policy=1e-4, aux_updates=5, sr_gamma=0.0, pt_lens=lens
    )
    learner, hist = train_social(
        "matrix_game_v0",
        cfg,
        env_kwargs={"preset": "lase_dev"},
        coplayers={1: "random"},
        num_envs=8,
        updates=40,
        rollout_steps=25,
        seed=1,
    )
    venv = socialenvs.make_vec("matrix_game_v0", num_envs=4)
    obs, _ = venv.reset(seed=0)
    o = torch.from_numpy(obs).float()
    acts = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    sr = learner.social_relationships(o, acts)[:, 0, 1]
    assert (sr[[0, 2]] > 0.1).all() and (sr[[1, 3]] <= 0).all()
    torch.testing.assert_close(sr[[0, 2]] - sr[[1, 3]], torch.ones(2), atol=1e-4, rtol=0)
    if lens == "policy":
        assert (sr[[1, 3]] < -0.1).all()


def test_train_social_smoke_and_records():
    learner, hist = train_social(
        "matrix_game_v0",
        LASEConfig(),
        env_kwargs={"max_cycles": 10},
        coplayers={1: "always_defect"},
        num_envs=2,
        updates=3,
        seed=0,
    )
    assert len(hist) == 3 and learner.seats == [0]
    rec = hist[-1]
    for key in ("cooperation", "gift_weights", "social_relationship", "episode_collective_return"):
        assert key in rec
    with pytest.raises(ValueError, match="seat"):
        train_social("matrix_game_v0", coplayers={0: "random", 1: "random"}, updates=1)


def test_bad_config_raises():
    with pytest.raises(ValueError, match="method"):
        LASEConfig(method="lola")
    with pytest.raises(ValueError, match="core"):
        LASEConfig(network={"core": "lstm"})
    with pytest.raises(ValueError, match="pt_delta"):
        LASEConfig(pt_delta=2.0)
    with pytest.raises(ValueError, match="pt_lens"):
        LASEConfig(pt_lens="critic")


@pytest.mark.slow
def test_reproduction_script_smoke(tmp_path, load_benchmark):
    mod = load_benchmark("lase_reproduce")
    assert (
        mod.main(
            [
                "ipd",
                "gifts",
                "--updates",
                "2",
                "--gift-updates",
                "2",
                "--num-envs",
                "2",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    report = (tmp_path / "report.md").read_text()
    assert "## ipd" in report and "## gifts" in report and "pass" in report
    assert (tmp_path / "gifts.json").exists()
