import importlib.util
import os
import sys
from pathlib import Path

import pytest

# Keep numerical libraries to one thread each: tests run on small machines, often in parallel.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "1")


@pytest.fixture(autouse=True, scope="session")
def _sb3_logs_in_pytest_tmp(tmp_path_factory):
    """Stable-Baselines3 writes a logger folder per ``learn()`` call, under the system temp
    directory unless ``SB3_LOGDIR`` is set: keep those in pytest's own temp tree."""
    if "SB3_LOGDIR" in os.environ:
        yield
        return
    os.environ["SB3_LOGDIR"] = str(tmp_path_factory.mktemp("sb3_logs"))
    yield
    del os.environ["SB3_LOGDIR"]


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def load_benchmark():
    """``load_benchmark("tom_reproduce")``: a fresh module of ``benchmarks/<name>.py``.

    It is registered in ``sys.modules`` (as ``benchmark_<name>``) before it runs, because
    dataclasses look their module up there."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(
            f"benchmark_{name}", BENCHMARKS / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module

    return load
