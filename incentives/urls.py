"""Pages of incentives/ (激励关爱). Each area's views module owns its ``urlpatterns``; add the
module to AREAS."""

import importlib

app_name = "incentives"
AREAS: list[str] = [
    "incentives.views_hub",  # the hub at /incentives/
    "incentives.views_care",  # 关爱帮扶: records, care due, hardship posts, departed village cadres
    "incentives.views_lists",  # the 三挂钩 lists and their decisions
    "incentives.views_pools",  # bonus bases and team pools
    "incentives.views.exemptions",  # 容错纠错: decisions on any matter
    "incentives.views_tracks",  # 赛马: tracks, assignment per period, rankings and 红黄榜
]

urlpatterns = [p for name in AREAS for p in importlib.import_module(name).urlpatterns]
