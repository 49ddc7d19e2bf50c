"""The incentive rules' defaults, written by migration 0002 (administrators then change the
stored rows). Each area appends the defaults of the kinds it registers, as
``(kind, key, params, note)``; the params must pass that kind's ``clean_params``."""

DEFAULT_RULES: list[tuple[str, str, dict, str]] = []

# 团队奖金池 (incentives.policy_pools): the tier coefficients of a team's bonus pool
DEFAULT_RULES.append(
    (
        "team_pool",
        "",
        {"excellent": 1.2, "good": 1, "average": 0.8, "poor": 0.5},
        "团队奖励实行总额管理和自主分配相结合：奖金池总额与团队年度绩效考评等次挂钩（舟山新区“三重”项目绩效奖励办法）。",
    )
)
