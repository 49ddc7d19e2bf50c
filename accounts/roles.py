"""Roles and what each may do.

A role says *what* a user may do; the user's unit says *where* (that unit and its subtree).
"""

from django.db import models


class Role(models.TextChoices):
    STAFF = "staff", "组织部工作人员"
    HEAD = "head", "部长/分管负责人"
    COUNTY_ADMIN = "county_admin", "县级管理员"
    API_READER = "api_reader", "接口只读用户"
    AUDITOR = "auditor", "纪检/审计（只读）"


# Capability -> roles that hold it. Superusers hold every capability.
CAPABILITIES: dict[str, frozenset[str]] = {
    # maintain the cadre registry, the org tree and leadership teams
    "edit_registry": frozenset({Role.STAFF, Role.HEAD}),
    # see full ID numbers (county admins fill sheets keyed by them)
    "view_id_number": frozenset({Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN}),
    # read the audit trail (全程纪实)
    "view_audit": frozenset({Role.STAFF, Role.HEAD, Role.AUDITOR}),
    # approve 约谈 proposals, recall decisions, adjustments
    "approve": frozenset({Role.HEAD}),
    # upload assessment sheets
    "import_sheets": frozenset({Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN}),
    # run assessment periods: schemes, period steps, grading policy, grade adjustments
    "manage_assessment": frozenset({Role.STAFF, Role.HEAD}),
    # propose and run recall cases, record points, review flags and propose adjustments
    "manage_recall": frozenset({Role.STAFF, Role.HEAD}),
    # incentives and care: compute the 三挂钩 lists, record decisions on them, bonus bases and
    # team pools, 赛马 tracks and rankings, care records
    "manage_incentives": frozenset({Role.STAFF, Role.HEAD}),
    # residents' work orders (民情工单): record needs, dispatch them, record acceptance, handling,
    # the resident's rating and the follow-up; party groups
    "manage_workorders": frozenset({Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN}),
    # enter indicator scores (the grid and the API) for cadres in scope
    "enter_scores": frozenset({Role.STAFF, Role.HEAD, Role.COUNTY_ADMIN}),
}


def has_capability(user, capability: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in CAPABILITIES[capability]
