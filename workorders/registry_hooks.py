"""What workorders/ plugs into the shared registries (policy kinds, the reminder job, 待办,
profile, timeline, demo data). Each area registers its own hooks from its own module; this
function only calls them."""

import importlib

AREA_MODULES: list[str] = [
    "workorders.policy",  # WORKORDER and WORKORDER_SCORE in the policy page's 民情工单规则 section
    "workorders.score_source",  # the tallies the grading engine scores a 民情工单 indicator from
    "workorders.registry_orders",  # profile section, timeline and demo data of orders
    "workorders.reminders",  # the daily reminder scan's overdue orders and their 待办
    "workorders.dashboard",  # the home page's panel: open orders by step, overdue
]


def register() -> None:
    for name in AREA_MODULES:
        importlib.import_module(name).register()
