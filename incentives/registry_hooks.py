"""What incentives/ plugs into the shared registries. Each area (lists, pools, tracks, care)
registers its own hooks from its own module; this function only calls them."""

import importlib

# modules with a ``register()`` of their own; an area adds its module here
AREA_MODULES: list[str] = [
    "incentives.registry_exemptions",  # 容错纠错: profile section, timeline, demo, lists follow
    "incentives.policy_pools",  # the 团队奖金池 kind (TEAM_POOL)
    "incentives.registry_lists",  # decisions on the profile, timeline and demo (bases, decisions, pools)
    "incentives.policy_care",  # 基层服务年限 (GRASSROOTS) and 关爱标准 (CARE)
    "incentives.registry_care",  # township move check, profile, timeline, 待办, demo of 关爱
    "incentives.policy_lists",  # the 三挂钩 list kinds, the lists job, its triggers and demo step
    "incentives.policy_tracks",  # 赛马红黄榜 (TRACK_BOARD), the ranking job, its trigger and demo step
    "incentives.dashboard",  # the home page's panel: the newest lists' decisions pending, granted, declined
]


def register() -> None:
    for name in AREA_MODULES:
        importlib.import_module(name).register()
