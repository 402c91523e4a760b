import importlib.util
import os
import sys
from pathlib import Path

import pytest

# Keep numerical libraries to one thread each: tests run on small machines, often in parallel.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "1")

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
