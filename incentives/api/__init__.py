"""REST resources of incentives/. Each area's module has ``register(router)`` (viewsets) and may
have ``urlpatterns`` (plain views); add the module to AREAS."""

import importlib

AREAS: list[str] = [
    "incentives.api.lists",  # incentives/: the 三挂钩 lists and their decisions
    "incentives.api.pools",  # bonus-bases/ and team-pools/
    "incentives.api.exemptions",  # exemptions/: 容错纠错 decisions
    "incentives.api.care",  # care-records/ and care-due/: 关爱
    "incentives.api.tracks",  # race-tracks/ and track-rankings/: 赛马
]


def register(router) -> None:
    for name in AREAS:
        module = importlib.import_module(name)
        if hasattr(module, "register"):
            module.register(router)


def urlpatterns() -> list:
    return [p for name in AREAS for p in getattr(importlib.import_module(name), "urlpatterns", [])]
