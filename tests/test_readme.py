"""Every Python example in the README runs as written."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
OPTIONAL = ("stable_baselines3", "supersuit", "torch")


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code):
    for module in OPTIONAL:
        if re.search(rf"^\s*(from|import)\s+{module}\b", code, flags=re.M):
            if importlib.util.find_spec(module) is None:
                pytest.skip(f"{module} is not installed")
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(1)
    exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})


def test_readme_opens_with_install_demo_and_test_commands():
    head = README.read_text().split("## ", 1)[0]
    assert "pip install" in head and "socialenvs run" in head and "pytest" in head
