"""Training logs: a CSV file (one row per update) and TensorBoard scalars.

On resume the CSV keeps only rows up to the checkpoint's step and TensorBoard purges
later events (``purge_step``), so a resumed run's logs read like an uninterrupted one.
"""

from __future__ import annotations

import csv
import math
import os
from typing import Any


class RunLogger:
    """Append scalar rows to ``<run>/progress.csv`` and ``<run>/tb``.

    Args:
        run_dir: the run directory.
        resume_step: when resuming, drop CSV rows with ``env_steps`` above this and purge
            TensorBoard events after it.
        tensorboard: also write TensorBoard event files.
    """

    def __init__(self, run_dir: str, resume_step: int | None = None, tensorboard: bool = True):
        self.path = os.path.join(run_dir, "progress.csv")
        self.rows: list[dict[str, Any]] = []
        if resume_step is not None and os.path.exists(self.path):
            self.rows = [r for r in read_csv(self.path) if float(r["env_steps"]) <= resume_step]
        self.fields: list[str] = list(self.rows[0].keys()) if self.rows else []
        self._rewrite()
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(
                    os.path.join(run_dir, "tb"),
                    purge_step=None if resume_step is None else resume_step + 1,
                )
            except ImportError:  # tensorboard not installed: CSV only
                self.writer = None

    def _rewrite(self) -> None:
        with open(self.path, "w", newline="") as f:
            if self.fields:
                w = csv.DictWriter(f, fieldnames=self.fields, extrasaction="ignore")
                w.writeheader()
                w.writerows(self.rows)

    def log(self, row: dict[str, Any]) -> None:
        """Log one row; it must contain ``env_steps``."""
        row = {k: (float(v) if isinstance(v, (int, float)) else v) for k, v in row.items()}
        self.rows.append(row)
        new = [k for k in row if k not in self.fields]
        if new:
            self.fields += new
            self._rewrite()
        else:
            with open(self.path, "a", newline="") as f:
                csv.DictWriter(f, fieldnames=self.fields, extrasaction="ignore").writerow(row)
        if self.writer is not None:
            step = int(row["env_steps"])
            for k, v in row.items():
                if k != "env_steps" and isinstance(v, float) and math.isfinite(v):
                    self.writer.add_scalar(k.replace(".", "/", 1), v, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()


def read_csv(path: str) -> list[dict[str, Any]]:
    """Rows of a progress CSV with numeric values as floats (blank -> nan)."""
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            parsed = {}
            for k, v in row.items():
                try:
                    parsed[k] = float(v) if v not in ("", None) else float("nan")
                except ValueError:
                    parsed[k] = v
            out.append(parsed)
    return out
