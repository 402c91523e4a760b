from socialenvs.core.registry import module_api
from socialenvs.norms import allelopathic_harvest as _impl

__doc__ = _impl.__doc__
SIM = _impl.AllelopathicHarvest
env, parallel_env, raw_env = module_api(SIM)

TEST_CONFIGS = [
    dict(),
    dict(preset="small", obs_type="rgb", record_opportunities=True),
    dict(
        map="small",
        num_players=6,
        tastes="alternate",
        freeze_duration=2,
        respawn_delay=2,
        recovery_time=5,
        ripen_base_rate=0.01,
        min_time_to_ripen=1,
    ),
]
