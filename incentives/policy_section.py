"""The 激励规则 section of the policy page (/assessment/policy/): every incentive kind is shown
there. An area registers its kinds with ``register_incentive_kind`` (``register_kind`` plus the
section), from its own module's ``register()``; the section itself is registered once, here, by
whichever area comes first."""

from __future__ import annotations

from assessment.services.policy import Param, policy_section, register_kind

SECTION = "incentive-rules"


def register_section() -> None:
    policy_section(
        SECTION,
        title="激励规则",
        about="考核结果“三挂钩”：奖金系数、评先选优、公务员奖励、优先使用、定向选拔、年轻干部比选、职级晋升，以及赛马红黄榜、团队奖金池等",
        note="激励名单按已公布的年度考核结果计算，每个名单条目都列明所依据的规则和事实；修改激励规则后，"
        "系统重新计算已公布考核期的名单，已作出的决定保留不变。",
    )


def register_incentive_kind(kind: str, params: list[Param], **kwargs) -> None:
    """``assessment.services.policy.register_kind`` for an incentive kind: it is listed in the
    policy page's 激励规则 section."""
    register_section()
    register_kind(kind, params, section=SECTION, **kwargs)
