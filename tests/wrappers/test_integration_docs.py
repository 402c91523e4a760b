"""Every Python example in docs/integrations.md runs as written."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
# Optional libraries a block needs, by the top-level module it imports.
OPTIONAL = ("stable_baselines3", "supersuit", "torch", "torchrl", "ray", "agents")


def _needs(code: str) -> list[str]:
    imported = re.findall(r"^\s*(?:from|import)\s+([a-zA-Z_][\w]*)", code, flags=re.M)
    return sorted({m for m in imported if m in OPTIONAL})


def test_the_page_has_an_example_per_integration():
    text = "\n".join(BLOCKS)
    for marker in (
        "make_sb3_vec_env",
        "concat_vec_envs_v1",
        "single_agent",
        "PettingZooWrapper",
        "rllib_ppo_config",
        "make_vec",
    ):
        assert marker in text, marker


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_example_runs(code, capsys):
    for module in _needs(code):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    import torch

    threads = torch.get_num_threads()
    try:
        exec(compile(code, str(DOC), "exec"), {"__name__": "__docs__"})
    finally:
        torch.set_num_threads(threads)
