"""What the registry itself adds to the cadre profile through ``core.registry``: the leave records
(请假记录), a section beside those the apps above it register."""

from core import registry

from .selectors_leaves import profile_context as leaves_context


def register() -> None:
    from .registry_timeline import register as register_timeline

    register_timeline()  # the timeline's 任职 and 纪实 entries
    registry.profile_section(
        "cadres.leaves",
        title="请假记录",
        order=120,  # after the grades (100), before the talks (200)
        template="cadres/_leave_section.html",
        context=leaves_context,
    )
