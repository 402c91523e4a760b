import os

import pytest
import torch

from training import checkpoint
from training.cli import main
from training.config import make_config
from training.trainer import CHECKPOINT, Trainer


def _config(tmp_path, name, **sets):
    values = {
        "out": str(tmp_path / name),
        "steps": 1024,
        "num_envs": 4,
        "checkpoint_every": 2,
        "ppo.num_steps": 32,
        "network.core": "gru",
        "network.core_size": 16,
        "env_kwargs.max_cycles": 10,
    }
    values.update(sets)
    return make_config(sets=[f"{k}={v}" for k, v in values.items()])


@pytest.mark.parametrize("agent", ["ppo", "dqn"])
def test_resume_gives_the_same_parameters_as_an_uninterrupted_run(tmp_path, agent):
    extra = {"agent": agent, "dqn.learning_starts": 64, "dqn.num_steps": 4}
    full = Trainer(_config(tmp_path, "full", **extra), progress=False, tensorboard=False).train()
    # the same run killed after 512 steps (right after a checkpoint), then resumed
    half = Trainer(_config(tmp_path, "half", **extra), progress=False, tensorboard=False).train(
        until=512
    )
    assert half.env_steps == 512
    resumed = Trainer.resume(str(tmp_path / "half"), progress=False, tensorboard=False).train()
    assert resumed.env_steps == full.env_steps
    for a, b in zip(full.parameters(), resumed.parameters()):
        assert a.keys() == b.keys()
        for k in a:
            assert torch.equal(a[k], b[k]), k
    # the resumed CSV has the same rows as the uninterrupted one
    rows = lambda d: open(os.path.join(tmp_path, d, "progress.csv")).read().splitlines()  # noqa: E731
    assert len(rows("full")) == len(rows("half"))


def test_corrupt_and_foreign_checkpoints_raise_value_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="corrupt"):
        checkpoint.load(str(bad))
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": 1}, foreign)
    with pytest.raises(ValueError, match="not a socialenvs checkpoint"):
        checkpoint.load(str(foreign))
    with pytest.raises(ValueError, match="does not exist"):
        checkpoint.load(str(tmp_path / "missing.pt"))
    # truncated real checkpoint
    tr = Trainer(_config(tmp_path, "run", steps=128), progress=False, tensorboard=False).train()
    path = os.path.join(tr.run_dir, CHECKPOINT)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt"):
        Trainer.resume(tr.run_dir)


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    path = str(tmp_path / "c.pt")
    checkpoint.save(
        path,
        {
            "config": {},
            "update": 1,
            "learners": [],
            "collector": {},
            "torch_rng": torch.get_rng_state(),
        },
    )

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(path, {"update": 2})
    assert checkpoint.load(path)["update"] == 1
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []


def test_config_errors_are_clear():
    with pytest.raises(ValueError, match="unknown config key"):
        make_config(sets=["ppo.learning_rate=1"])
    with pytest.raises(ValueError, match="must be a number"):
        make_config(sets=["ppo.lr=fast"])
    with pytest.raises(ValueError, match="agent='a2c'"):
        make_config(agent="a2c")
    with pytest.raises(ValueError, match="key=value"):
        make_config(sets=["ppo.lr"])
    with pytest.raises(ValueError, match="core"):
        make_config(sets=["network.core=transformer"])
    cfg = make_config(sets=["ppo.lr=1e-3", "network.conv_channels=[8, 8]"])
    assert cfg.ppo.lr == 0.001 and cfg.network.conv_channels == (8, 8)


def test_cli_reports_bad_values_and_unknown_env(tmp_path, capsys):
    assert main(["train", "no_such_env_v0", "--out", str(tmp_path / "x")]) == 2
    assert "unknown environment" in capsys.readouterr().err
    assert main(["train", "--set", "steps=-5", "--out", str(tmp_path / "y")]) == 2
    assert "steps=-5" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--agent", "a2c"])


def test_yaml_config_and_cli_train_eval_play(tmp_path, capsys):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "steps: 256\nnum_envs: 4\nppo:\n  num_steps: 32\n  lr: 1e-3\n"
        "eval_episodes: 2\nenv_kwargs:\n  max_cycles: 8\n"
    )
    run = str(tmp_path / "run")
    assert main(["train", "--config", str(cfg), "--out", run, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "| collective_return |" in out and "trained" in out
    for f in ("checkpoint.pt", "progress.csv", "learning_curve.png", "episode.gif", "eval.json"):
        assert os.path.exists(os.path.join(run, f)), f
    assert any(p.startswith("events") for p in os.listdir(os.path.join(run, "tb")))
    assert main(["eval", run, "--episodes", "2"]) == 0
    assert "| equality |" in capsys.readouterr().out
    gif = str(tmp_path / "h.gif")
    assert (
        main(
            [
                "play",
                "harvest_v0",
                "--policy",
                "greedy_harvester",
                "--out",
                gif,
                "--set",
                "max_cycles=5",
            ]
        )
        == 0
    )
    assert os.path.getsize(gif) > 0
