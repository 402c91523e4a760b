"""The ``socialenvs`` command line.

``socialenvs run`` (environments only, no torch) plays scripted/random policies and
prints the social-outcome metrics; ``socialenvs list`` lists the environments;
``socialenvs train | eval | play`` are provided by the ``training`` package (install the
``train`` extra).
"""

from __future__ import annotations

import sys

TRAINING_COMMANDS = ("train", "eval", "play")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in TRAINING_COMMANDS:
        try:
            from training.cli import main as training_main
        except ImportError as exc:  # torch or the training package missing
            print(
                f"`socialenvs {argv[0]}` needs the training extra: pip install -e '.[train]' "
                f"({exc})",
                file=sys.stderr,
            )
            return 2
        return int(training_main(argv) or 0)
    from socialenvs.run import main as run_main

    return int(run_main(argv) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
