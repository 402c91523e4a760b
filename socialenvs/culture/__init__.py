"""Cultural accumulation (Cook et al. 2024): Memory Sequence, TSP, Goal Sequence.

The shared trial machinery (trials within an episode, demonstrators, the visibility
schedules) is in :mod:`socialenvs.culture.trials`.
"""

from socialenvs.culture.trials import annealed_visibility, trial_visibility

__all__ = ["annealed_visibility", "trial_visibility"]
