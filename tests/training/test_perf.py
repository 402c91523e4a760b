"""Process-level allocator setting and the training-throughput benchmark (smoke, no timings)."""

from __future__ import annotations

import json
import platform
import sys

from training.perf import keep_freed_memory


def test_keep_freed_memory_applies_on_glibc_only():
    applied = keep_freed_memory()
    is_glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert applied == is_glibc
    assert keep_freed_memory() == applied  # idempotent


def test_train_throughput_reports_wall_and_cpu_rates(tmp_path, load_benchmark):
    bench = load_benchmark("train_throughput")
    out = tmp_path / "r.json"
    info = bench.main(
        [
            "--num-envs",
            "2",
            "--seconds",
            "0.01",
            "--set",
            "ppo.num_steps=8",
            "--set",
            f"out={tmp_path / 'run'}",
            "--json",
            str(out),
        ]
    )
    saved = json.loads(out.read_text())
    for stage in ("env", "collect", "train"):
        assert saved[f"{stage}_agent_steps_per_s"] > 0
        assert saved[f"{stage}_agent_steps_per_cpu_s"] > 0
    assert info["threads"] == 1 and info["rollout"] == 8 and info["agents"] == 5
