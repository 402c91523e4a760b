"""Segregation: the rule-based Schelling model and Sert et al. 2020's learning agents.

The environment is ``schelling_v0`` (:mod:`socialenvs.schelling.schelling`);
:func:`run` plays the rule-based model standalone; :class:`ThresholdPolicy` is
Schelling's rule as a scripted policy for either mode.
"""

from socialenvs.schelling.policy import ThresholdPolicy
from socialenvs.schelling.run import SchellingRun, run
from socialenvs.schelling.schelling import Schelling, SchellingConfig

__all__ = ["Schelling", "SchellingConfig", "SchellingRun", "ThresholdPolicy", "run"]
