"""Smoke test of ``benchmarks/throughput.py``: it runs and reports a table (no timing asserts)."""

from __future__ import annotations


def test_throughput_table_and_targets(tmp_path, capsys, load_benchmark):
    bench = load_benchmark("throughput")
    out = tmp_path / "results.md"
    rc = bench.main(
        [
            "--envs",
            "coin_game_v0,matrix_game_v0",
            "--seconds",
            "0.02",
            "--batch-sizes",
            "1,8",
            "--no-peers",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    text = out.read_text()
    assert "| coin_game_v0 | rgb |" in text and "| coin_game_v0 | symbolic |" in text
    assert "| matrix_game_v0 | — |" in text  # no obs_type argument: one row
    assert "Vec B=8" in text and "error" not in text
    # The coin-game target needs B=1024, not measured here.
    assert "| Coin game VectorEnv B=1024, symbolic | — |" in text
    assert text.strip() in capsys.readouterr().out


def test_obs_variants_follow_the_env_config(load_benchmark):
    bench = load_benchmark("throughput")
    assert bench.obs_variants("coin_game_v0", ["rgb", "symbolic", "pixels"]) == ["rgb", "symbolic"]
    assert bench.obs_variants("matrix_game_v0", ["rgb"]) == [None]
