"""The permission matrix: every URL of the site (pages and API) is asked by every role, by an
anonymous visitor and by a superuser, about an object inside the user's county (甲县, the users'
unit) and one in the other county (乙县), and answers as the table below says.

The rules the table writes down (README "Roles and scope", API.md "Auth"):
- anonymous: a page redirects to the login page (302), the API answers 401;
- a role without the capability a method needs: 403, and nothing is written;
- an object outside the user's subtree: 404, exactly as an id no row has (each such answer is
  compared with the answer for a missing id, role by role);
- an allowed role, object in scope: 200/201/202/302, or 400 for the empty body these requests
  send ("allowed past the permission check").

``test_every_url_has_a_row`` walks the URL resolver: a URL added without a row here fails it.

Each request runs in a savepoint that is rolled back afterwards, so the world is built once and
every request sees it as built; a refused write is checked for changed row counts before the
rollback.
"""

import importlib
import pathlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.db.models import Max
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from accounts.roles import CAPABILITIES, Role
from assessment.models import Assessment, ImportBatch, Period, PolicyRule, RaceTrack, Scheme, TeamAssessment
from audit.models import AuditEntry
from cadres.models import Cadre, Education, TeamMembership, Unit
from core.models import Job
from incentives.models import (
    BonusBase,
    CareRecord,
    Decision,
    DepartedVillageCadre,
    HardshipPost,
    PoolShare,
    TeamPool,
)
from recall.models import (
    AdjustmentDecision,
    Flag,
    NegativeListEntry,
    PointRecord,
    RecallCase,
    RecallStep,
    Situation,
    TrackStanding,
)
from supervision.models import (
    Attachment,
    Exemption,
    Interview,
    PersonalMattersCheck,
    ProblemClue,
    ReviewItem,
    ReviewItemCheck,
    Sanction,
)
from tests.scope.conftest import MISSING_ID, token_client

IN, OUT, MISSING = "town_a1", "town_b1", None  # 甲一镇 is inside 甲县; 乙一镇 is not
MISSING_UUID = uuid.UUID(int=1)
ANONYMOUS, SUPERUSER = "anonymous", "superuser"
ROLES = (ANONYMOUS, *Role.values, SUPERUSER)

EDIT, MANAGE, IMPORT = "edit_registry", "manage_assessment", "import_sheets"
AUDIT, APPROVE, SCORES = "view_audit", "approve", "enter_scores"
RECALL = "manage_recall"
INCENTIVES = "manage_incentives"
# The 惰政 catalogue is one for the whole tree: only a user whose scope covers every unit edits
# it. The matrix's users sit in a county, so of them only the superuser may.
WHOLE_TREE = "whole tree"


# ------------------------------------------------------------------ URL builders


def obj(attr: str) -> Callable:
    """The pk of the world's object of unit ``k`` (``w.cadres[k]`` ...), or an id no row has."""

    def get(w, k):
        if k is MISSING:
            return MISSING_UUID if attr in ("batches", "jobs") else MISSING_ID
        return getattr(w, attr)[k].pk

    return get


def period(w, k):
    return w.period.pk  # periods are not scoped: every user's periods are the same


def race_track(w, k):
    return RaceTrack.objects.get(code="enterprise").pk  # the tracks are not scoped


def situation(w, k):
    return Situation.objects.get(code="C01").pk  # the catalogue is not scoped


def year(w, k):
    return w.review_items[IN].year


def url(name: str, *args, query: dict | None = None) -> Callable:
    """A URL builder ``(world, unit key) -> str``; callables among ``args``/``query`` are given
    the world and the unit key."""

    def build(w, k):
        path = reverse(name, args=[a(w, k) if callable(a) else a for a in args])
        if query:
            path += "?" + urlencode({q: v(w, k) if callable(v) else v for q, v in query.items()})
        return path

    return build


# ------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Access:
    """Who may use one method of one URL, and what they get."""

    cap: str | tuple[str, ...] | None = None  # capability needed (any of); None: every signed-in role
    ok: int = 200  # what an allowed role gets for an object in scope
    data: dict | None = None  # the body sent (a form for pages, multipart for the API)
    role_first: bool = False  # the role is checked before the object is looked up: a refused role
    # gets 403 for an object outside as for a missing one (it learns nothing either way)
    anon: int | None = None  # anonymous, when not 302 to the login page (pages) / 401 (API)
    scoped: bool | None = None  # overrides the row's ``scoped`` for this method


@dataclass(frozen=True)
class Row:
    url: Callable
    methods: dict[str, Access]
    scoped: bool = True  # the URL names an object (or a ?unit=) that can lie outside the subtree


READ = Access()
GET = {"GET": READ}


def W(cap, ok=200, **kw) -> Access:
    return Access(cap=cap, ok=ok, **kw)


TABLE: dict[str, Row] = {
    # ---------------------------------------------------------------- core and accounts
    "home": Row(url("home"), GET, scoped=False),
    # a signed-in user is sent on from the login page; an empty login form is shown again
    "login": Row(
        url("login"), {"GET": Access(ok=302, anon=200), "POST": Access(ok=302, anon=200)}, scoped=False
    ),
    "logout": Row(url("logout"), {"POST": Access(ok=302, anon=302)}, scoped=False),
    # ---------------------------------------------------------------- registry (cadres/)
    "cadres:list": Row(url("cadres:list"), GET, scoped=False),
    "cadres:create": Row(
        url("cadres:create", query={"unit": obj("units")}),
        {"GET": W(EDIT, role_first=True), "POST": W(EDIT, role_first=True)},
    ),
    "cadres:detail": Row(url("cadres:detail", obj("cadres")), GET),
    "cadres:edit": Row(url("cadres:edit", obj("cadres")), {"GET": W(EDIT), "POST": W(EDIT)}),
    "cadres:delete": Row(url("cadres:delete", obj("spares")), {"GET": W(EDIT), "POST": W(EDIT)}),
    "cadres:history_add": Row(
        url("cadres:history_add", obj("cadres"), "education"), {"GET": W(EDIT), "POST": W(EDIT)}
    ),
    "cadres:history_edit": Row(
        url("cadres:history_edit", obj("cadres"), "education", obj("educations")),
        {"GET": W(EDIT), "POST": W(EDIT)},
    ),
    "cadres:history_delete": Row(
        url("cadres:history_delete", obj("cadres"), "education", obj("educations")), {"POST": W(EDIT, 302)}
    ),
    "cadres:units": Row(url("cadres:units"), GET, scoped=False),
    "cadres:unit_create": Row(
        url("cadres:unit_create", query={"parent": obj("units")}),
        {"GET": W(EDIT, role_first=True), "POST": W(EDIT, role_first=True)},
    ),
    "cadres:unit_detail": Row(url("cadres:unit_detail", obj("units")), GET),
    "cadres:unit_edit": Row(url("cadres:unit_edit", obj("units")), {"GET": W(EDIT), "POST": W(EDIT)}),
    "cadres:team_add": Row(url("cadres:team_add", obj("units")), {"POST": W(EDIT)}),
    "cadres:team_remove": Row(
        url("cadres:team_remove", obj("units"), obj("members")), {"POST": W(EDIT, 302)}
    ),
    "cadres:team_set_main": Row(
        url("cadres:team_set_main", obj("units"), obj("members")), {"POST": W(EDIT, 302)}
    ),
    # ---------------------------------------------------------------- audit trail
    "audit:list": Row(url("audit:list"), {"GET": W(AUDIT)}, scoped=False),
    # ---------------------------------------------------------------- supervision: talks
    "supervision:interviews": Row(url("supervision:interviews"), GET, scoped=False),
    "supervision:interview_new": Row(
        url("supervision:interview_new", query={"cadre": obj("cadres")}),
        # the ?cadre= preset is read on GET only; a POST names its subject in the form
        {"GET": W(EDIT, role_first=True), "POST": W(EDIT, scoped=False)},
    ),
    "supervision:interview_detail": Row(url("supervision:interview_detail", obj("interviews")), GET),
    "supervision:interview_edit": Row(
        url("supervision:interview_edit", obj("interviews")), {"GET": W(EDIT), "POST": W(EDIT)}
    ),
    # approving a 约谈 is the one step only a head may take
    "supervision:interview_step": Row(
        url("supervision:interview_step", obj("interviews"), "approve"), {"POST": W(APPROVE)}
    ),
    "supervision:attachment_upload": Row(
        url("supervision:attachment_upload", obj("interviews")), {"POST": W(EDIT)}
    ),
    "supervision:attachment_download": Row(url("supervision:attachment_download", obj("attachments")), GET),
    "supervision:monthly_summary": Row(url("supervision:monthly_summary"), GET, scoped=False),
    # ---------------------------------------------------------------- supervision: records
    "supervision:records_home": Row(url("supervision:records_home"), GET, scoped=False),
    "supervision:clue_list": Row(url("supervision:clue_list"), GET, scoped=False),
    "supervision:clue_create": Row(
        url("supervision:clue_create", query={"cadre": obj("cadres")}), {"GET": W(EDIT), "POST": W(EDIT)}
    ),
    "supervision:clue_detail": Row(url("supervision:clue_detail", obj("clues")), GET),
    "supervision:clue_verify": Row(url("supervision:clue_verify", obj("clues")), {"POST": W(EDIT)}),
    "supervision:clue_close": Row(url("supervision:clue_close", obj("clues")), {"POST": W(EDIT, 302)}),
    "supervision:check_list": Row(url("supervision:check_list"), GET, scoped=False),
    "supervision:check_create": Row(
        url("supervision:check_create", query={"cadre": obj("cadres")}), {"GET": W(EDIT), "POST": W(EDIT)}
    ),
    "supervision:review_list": Row(url("supervision:review_list"), GET, scoped=False),
    "supervision:review_open": Row(url("supervision:review_open"), GET, scoped=False),
    "supervision:review_detail": Row(url("supervision:review_detail", obj("cadres"), year), GET),
    "supervision:review_item_add": Row(
        url("supervision:review_item_add", obj("cadres"), year), {"POST": W(EDIT)}
    ),
    "supervision:review_check_add": Row(
        url("supervision:review_check_add", obj("review_items")), {"POST": W(EDIT)}
    ),
    "supervision:review_item_close": Row(
        url("supervision:review_item_close", obj("review_items")), {"POST": W(EDIT)}
    ),
    "supervision:sanction_list": Row(url("supervision:sanction_list"), GET, scoped=False),
    "supervision:sanction_create": Row(
        url("supervision:sanction_create", query={"cadre": obj("cadres")}), {"GET": W(EDIT), "POST": W(EDIT)}
    ),
    # ---------------------------------------------------------------- 容错纠错 (incentives/)
    # every role reads in scope; deciding, revising and revoking are a head's (approve); the
    # matter or decision is looked up first, so outside the subtree is 404 for every role; an
    # empty form is shown again with its errors
    "incentives:exemptions": Row(url("incentives:exemptions"), GET, scoped=False),
    "incentives:exemption_decide": Row(
        url("incentives:exemption_decide", "interview", obj("interviews")),
        {"GET": W(APPROVE), "POST": W(APPROVE)},
    ),
    "incentives:exemption_detail": Row(url("incentives:exemption_detail", obj("exemptions")), GET),
    "incentives:exemption_revise": Row(
        url("incentives:exemption_revise", obj("exemptions")), {"GET": W(APPROVE), "POST": W(APPROVE)}
    ),
    "incentives:exemption_revoke": Row(
        url("incentives:exemption_revoke", obj("exemptions")), {"POST": W(APPROVE)}
    ),
    # ---------------------------------------------------------------- assessment: periods
    "assessment:periods": Row(url("assessment:periods"), {"GET": READ, "POST": W(MANAGE)}, scoped=False),
    "assessment:period_detail": Row(url("assessment:period_detail", period), GET, scoped=False),
    "assessment:period_transition": Row(
        url("assessment:period_transition", period),
        {"POST": W(MANAGE, 302, data={"to": "grading"})},
        scoped=False,
    ),
    "assessment:recompute": Row(url("assessment:recompute", period), {"POST": W(MANAGE, 302)}, scoped=False),
    "assessment:scheme": Row(
        url("assessment:scheme", period, query={"category": ""}),
        {"GET": READ, "POST": W(MANAGE)},
        scoped=False,
    ),
    "assessment:scheme_add_category": Row(
        url("assessment:scheme_add_category", period), {"POST": W(MANAGE)}, scoped=False
    ),
    "assessment:grid": Row(
        url("assessment:grid", period, obj("units")), {"GET": READ, "POST": W((SCORES,), 302)}
    ),
    "assessment:assessment_detail": Row(url("assessment:assessment_detail", obj("assessments")), GET),
    "assessment:override": Row(url("assessment:override", obj("assessments")), {"POST": W(MANAGE)}),
    "assessment:correct": Row(url("assessment:correct", obj("assessments")), {"POST": W(MANAGE)}),
    "assessment:team_override": Row(
        url("assessment:team_override", obj("team_assessments")), {"POST": W(MANAGE, 302)}
    ),
    "assessment:results": Row(url("assessment:results", period, obj("units")), GET),
    # ---------------------------------------------------------------- assessment: grading policy
    "assessment:policy": Row(url("assessment:policy", query={"unit": obj("units")}), GET),
    "assessment:policy_edit": Row(
        url("assessment:policy_edit", query={"unit": obj("units"), "kind": "thresholds"}),
        {"GET": W(MANAGE), "POST": W(MANAGE)},
    ),
    "assessment:policy_reset": Row(
        url("assessment:policy_reset", query={"unit": obj("units")}),
        {"POST": W(MANAGE, 302, data={"kind": "thresholds"})},
    ),
    # ---------------------------------------------------------------- assessment: sheet imports
    "assessment:import_history": Row(url("assessment:import_history"), {"GET": W(IMPORT)}, scoped=False),
    "assessment:import_upload": Row(
        url("assessment:import_upload"), {"GET": W(IMPORT), "POST": W(IMPORT, 400)}, scoped=False
    ),
    "assessment:import_detail": Row(
        url("assessment:import_detail", obj("batches")), {"GET": W(IMPORT, role_first=True)}
    ),
    "assessment:import_commit": Row(
        url("assessment:import_commit", obj("batches")), {"POST": W(IMPORT, 302, role_first=True)}
    ),
    "assessment:import_annotated": Row(
        url("assessment:import_annotated", obj("batches")), {"GET": W(IMPORT, role_first=True)}
    ),
    "assessment:import_file": Row(
        url("assessment:import_file", obj("batches")), {"GET": W(IMPORT, role_first=True)}
    ),
    # ---------------------------------------------------------------- 赛马 (incentives/)
    # every role reads the tracks and the rankings in scope; assigning and ranking need
    # manage_incentives; the track list is one for the whole tree (as the 惰政 catalogue)
    "incentives:tracks": Row(url("incentives:tracks"), GET, scoped=False),
    "incentives:track_new": Row(
        url("incentives:track_new"), {"GET": W(WHOLE_TREE), "POST": W(WHOLE_TREE)}, scoped=False
    ),
    "incentives:track_edit": Row(
        url("incentives:track_edit", race_track), {"GET": W(WHOLE_TREE), "POST": W(WHOLE_TREE)}, scoped=False
    ),
    "incentives:track_move": Row(
        url("incentives:track_move", race_track), {"POST": W(WHOLE_TREE, 302)}, scoped=False
    ),
    "incentives:track_active": Row(
        url("incentives:track_active", race_track), {"POST": W(WHOLE_TREE, 302)}, scoped=False
    ),
    "incentives:track_delete": Row(
        url("incentives:track_delete", race_track), {"POST": W(WHOLE_TREE, 302)}, scoped=False
    ),
    "incentives:track_assign": Row(
        url("incentives:track_assign", query={"unit": obj("units")}),
        {"GET": W(INCENTIVES, role_first=True), "POST": W(INCENTIVES, role_first=True)},
    ),
    "incentives:track_rankings": Row(url("incentives:track_rankings", query={"unit": obj("units")}), GET),
    "incentives:track_rank": Row(url("incentives:track_rank"), {"POST": W(INCENTIVES, 302)}, scoped=False),
    # ---------------------------------------------------------------- recall statistics
    # figures of the caller's subtree for every role; ?unit= outside it answers 404
    "recall_stats:index": Row(url("recall_stats:index", query={"unit": obj("units")}), GET),
    "recall-statistics": Row(url("recall-statistics", query={"unit": obj("units")}), GET),
    # ---------------------------------------------------------------- recall pages (召回管理, 预警研判)
    # every role reads in scope; writes need manage_recall, approvals a head's approve; the object
    # (or the ?cadre=/?unit= preset) is looked up first; an empty form is shown again (200)
    "recall:cases": Row(url("recall:cases"), GET, scoped=False),
    "recall:case_propose": Row(
        url("recall:case_propose", query={"cadre": obj("cadres")}), {"GET": W(RECALL), "POST": W(RECALL)}
    ),
    "recall:case_detail": Row(url("recall:case_detail", obj("recall_cases")), GET),
    # approving is the step only a head takes (the others need manage_recall)
    "recall:case_step": Row(url("recall:case_step", obj("recall_cases"), "approve"), {"POST": W(APPROVE)}),
    "recall:points": Row(url("recall:points"), GET, scoped=False),
    "recall:point_create": Row(
        url("recall:point_create", query={"cadre": obj("cadres")}), {"GET": W(RECALL), "POST": W(RECALL)}
    ),
    "recall:catalogue": Row(url("recall:catalogue"), GET, scoped=False),
    "recall:situation_create": Row(
        url("recall:situation_create"), {"GET": W(WHOLE_TREE), "POST": W(WHOLE_TREE)}, scoped=False
    ),
    "recall:situation_edit": Row(
        url("recall:situation_edit", situation), {"GET": W(WHOLE_TREE), "POST": W(WHOLE_TREE)}, scoped=False
    ),
    "recall:negative_list": Row(url("recall:negative_list", query={"unit": obj("units")}), GET),
    "recall:negative_add": Row(url("recall:negative_add", query={"unit": obj("units")}), {"POST": W(RECALL)}),
    "recall:negative_remove": Row(
        url("recall:negative_remove", obj("negative_entries")), {"POST": W(RECALL, 302)}
    ),
    "recall:flags": Row(url("recall:flags"), GET, scoped=False),
    "recall:flag_detail": Row(url("recall:flag_detail", obj("flags")), GET),
    "recall:flag_dismiss": Row(url("recall:flag_dismiss", obj("flags")), {"POST": W(RECALL)}),
    "recall:flag_adjust": Row(url("recall:flag_adjust", obj("flags")), {"GET": W(RECALL), "POST": W(RECALL)}),
    "recall:decisions": Row(url("recall:decisions"), GET, scoped=False),
    "recall:decision_detail": Row(url("recall:decision_detail", obj("adjustments")), GET),
    "recall:decision_decide": Row(url("recall:decision_decide", obj("adjustments")), {"POST": W(APPROVE)}),
    # ---------------------------------------------------------------- incentives pages (激励关爱)
    # every role reads in scope; decisions, bases and pools need manage_incentives
    "incentives:home": Row(url("incentives:home"), GET, scoped=False),
    "incentives:lists": Row(url("incentives:lists"), GET, scoped=False),
    # the world has no published annual period: nothing to export, back to the list (302)
    "incentives:lists_export": Row(url("incentives:lists_export"), {"GET": Access(ok=302)}, scoped=False),
    # an empty form names no period: back to the list with the reason (302)
    "incentives:lists_compute": Row(
        url("incentives:lists_compute"), {"POST": W(INCENTIVES, 302)}, scoped=False
    ),
    "incentives:entry_detail": Row(
        url("incentives:entry_detail", period, "commendation", obj("cadres")), GET
    ),
    "incentives:entry_decide": Row(
        url("incentives:entry_decide", period, "commendation", obj("cadres")), {"POST": W(INCENTIVES)}
    ),
    "incentives:entry_withdraw": Row(
        url("incentives:entry_withdraw", period, "commendation", obj("cadres")), {"POST": W(INCENTIVES)}
    ),
    "incentives:bonus_bases": Row(
        url("incentives:bonus_bases", query={"period": period}),
        {"GET": READ, "POST": W(INCENTIVES)},
        scoped=False,
    ),
    "incentives:bonus_base_remove": Row(
        url("incentives:bonus_base_remove", obj("bonus_bases")), {"POST": W(INCENTIVES, 302)}
    ),
    "incentives:pools": Row(url("incentives:pools"), GET, scoped=False),
    "incentives:pool_new": Row(
        url("incentives:pool_new"), {"GET": W(INCENTIVES), "POST": W(INCENTIVES)}, scoped=False
    ),
    "incentives:pool_detail": Row(url("incentives:pool_detail", obj("team_pools")), GET),
    "incentives:pool_edit": Row(
        url("incentives:pool_edit", obj("team_pools")), {"GET": W(INCENTIVES), "POST": W(INCENTIVES)}
    ),
    "incentives:pool_shares": Row(
        url("incentives:pool_shares", obj("team_pools")), {"GET": W(INCENTIVES), "POST": W(INCENTIVES)}
    ),
    "incentives:pool_delete": Row(
        url("incentives:pool_delete", obj("team_pools")), {"POST": W(INCENTIVES, 302)}
    ),
    # ---------------------------------------------------------------- 关爱帮扶 (incentives/)
    # every role reads in scope; recording needs manage_incentives; the object (or the ?cadre=
    # preset) is looked up first; an empty form is shown again (200)
    "incentives:care": Row(url("incentives:care"), GET, scoped=False),
    "incentives:care_create": Row(
        url("incentives:care_create", query={"cadre": obj("cadres")}),
        {"GET": W(INCENTIVES), "POST": W(INCENTIVES)},
    ),
    "incentives:care_edit": Row(
        url("incentives:care_edit", obj("care_records")), {"GET": W(INCENTIVES), "POST": W(INCENTIVES)}
    ),
    "incentives:care_delete": Row(
        url("incentives:care_delete", obj("care_records")), {"POST": W(INCENTIVES, 302)}
    ),
    "incentives:care_due": Row(url("incentives:care_due"), GET, scoped=False),
    "incentives:hardship": Row(url("incentives:hardship"), GET, scoped=False),
    "incentives:hardship_add": Row(url("incentives:hardship_add"), {"POST": W(INCENTIVES)}, scoped=False),
    "incentives:hardship_remove": Row(
        url("incentives:hardship_remove", obj("hardship_posts")), {"POST": W(INCENTIVES, 302)}
    ),
    "incentives:departed": Row(url("incentives:departed"), GET, scoped=False),
    "incentives:departed_create": Row(
        url("incentives:departed_create", query={"cadre": obj("cadres")}),
        {"GET": W(INCENTIVES), "POST": W(INCENTIVES)},
    ),
    "incentives:departed_detail": Row(
        url("incentives:departed_detail", obj("departures")), {"GET": READ, "POST": W(INCENTIVES)}
    ),
    "incentives:departed_pay": Row(
        url("incentives:departed_pay", obj("departures")), {"POST": W(INCENTIVES)}
    ),
    # ---------------------------------------------------------------- API (/api/v1/)
    # the token endpoint takes no credentials: everyone gets 400 for an empty body
    "api-token": Row(url("api-token"), {"POST": Access(ok=400, anon=400)}, scoped=False),
    "api-root": Row(url("api-root"), GET, scoped=False),
    "api-job": Row(url("api-job", obj("jobs")), GET),
    "unit-list": Row(url("unit-list"), {"GET": READ, "POST": W(EDIT, 400)}, scoped=False),
    "unit-detail": Row(url("unit-detail", obj("units")), GET),
    "cadre-list": Row(url("cadre-list"), {"GET": READ, "POST": W(EDIT, 400)}, scoped=False),
    # DRF checks the role before it looks the object up
    "cadre-detail": Row(url("cadre-detail", obj("cadres")), {"GET": READ, "PATCH": W(EDIT, role_first=True)}),
    "period-list": Row(url("period-list"), {"GET": READ, "POST": W(MANAGE, 400)}, scoped=False),
    "period-detail": Row(url("period-detail", period), {"GET": READ, "PATCH": W(MANAGE, 400)}, scoped=False),
    "period-recompute": Row(
        url("period-recompute", period, query={"unit": obj("units")}),
        {"POST": W(MANAGE, 202, role_first=True)},
    ),
    "period-template": Row(
        url("period-template", period, query={"unit": obj("units")}), {"GET": W(IMPORT, role_first=True)}
    ),
    "assessment-list": Row(
        url("assessment-list"), {"GET": READ, "POST": W((SCORES, MANAGE), 400)}, scoped=False
    ),
    "assessment-detail": Row(
        url("assessment-detail", obj("assessments")),
        {"GET": READ, "PATCH": W((SCORES, MANAGE), 400, role_first=True)},
    ),
    "grade-report-list": Row(url("grade-report-list", query={"period": period, "unit": obj("units")}), GET),
    # every role reads the batches in its scope; only importers upload
    "import-list": Row(url("import-list"), {"GET": READ, "POST": W(IMPORT, 400)}, scoped=False),
    "import-detail": Row(url("import-detail", obj("batches")), GET),
    "interview-list": Row(
        url("interview-list"), {"GET": READ, "POST": W((EDIT, APPROVE), 400)}, scoped=False
    ),
    "interview-detail": Row(
        url("interview-detail", obj("interviews")),
        {"GET": READ, "PATCH": W((EDIT, APPROVE), role_first=True)},
    ),
    "interview-attachments": Row(
        url("interview-attachments", obj("interviews")), {"POST": W((EDIT, APPROVE), 400, role_first=True)}
    ),
    "reminder-list": Row(url("reminder-list"), GET, scoped=False),
    # recall: every role reads in scope; the steps, reviews and proposals need manage_recall (the
    # service then asks a head's approve for approvals); an empty PATCH names no action (400)
    "recall-case-list": Row(url("recall-case-list"), {"GET": READ, "POST": W(RECALL, 400)}, scoped=False),
    "recall-case-detail": Row(
        url("recall-case-detail", obj("recall_cases")),
        {"GET": READ, "PATCH": W(RECALL, 400, role_first=True)},
    ),
    "flag-list": Row(url("flag-list"), GET, scoped=False),
    "flag-detail": Row(
        url("flag-detail", obj("flags")), {"GET": READ, "PATCH": W(RECALL, 400, role_first=True)}
    ),
    "adjustment-list": Row(url("adjustment-list"), {"GET": READ, "POST": W(RECALL, 400)}, scoped=False),
    "adjustment-detail": Row(
        url("adjustment-detail", obj("adjustments")), {"GET": READ, "PATCH": W(RECALL, 400, role_first=True)}
    ),
    "recall-situation-list": Row(url("recall-situation-list"), GET, scoped=False),
    "recall-situation-detail": Row(url("recall-situation-detail", situation), GET, scoped=False),
    "recall-point-list": Row(url("recall-point-list"), {"GET": READ, "POST": W(RECALL, 400)}, scoped=False),
    # 容错纠错: every role reads in scope; deciding and revising are a head's (checked before the
    # object is looked up); an empty body is refused (400)
    "exemption-list": Row(url("exemption-list"), {"GET": READ, "POST": W(APPROVE, 400)}, scoped=False),
    "exemption-detail": Row(
        url("exemption-detail", obj("exemptions")), {"GET": READ, "PATCH": W(APPROVE, 400, role_first=True)}
    ),
    # 关爱: every role reads in scope; writing needs manage_incentives (an empty PATCH changes nothing)
    "care-record-list": Row(url("care-record-list"), {"GET": READ, "POST": W(INCENTIVES, 400)}, scoped=False),
    "care-record-detail": Row(
        url("care-record-detail", obj("care_records")), {"GET": READ, "PATCH": W(INCENTIVES, role_first=True)}
    ),
    "care-due": Row(url("care-due"), GET, scoped=False),
    # 激励关爱: every role reads in scope; decisions, bases and pools need manage_incentives, checked
    # before the body or the object (an empty body is refused, 400; an empty PATCH changes nothing)
    "incentive-list": Row(url("incentive-list"), {"GET": READ, "POST": W(INCENTIVES, 400)}, scoped=False),
    "bonus-base-list": Row(url("bonus-base-list"), {"GET": READ, "POST": W(INCENTIVES, 400)}, scoped=False),
    "team-pool-list": Row(url("team-pool-list"), {"GET": READ, "POST": W(INCENTIVES, 400)}, scoped=False),
    "team-pool-detail": Row(
        url("team-pool-detail", obj("team_pools")), {"GET": READ, "PATCH": W(INCENTIVES, role_first=True)}
    ),
    # 赛马: the tracks and the rankings (a unit outside the subtree is a 404)
    "race-track-list": Row(url("race-track-list"), GET, scoped=False),
    "track-ranking-list": Row(url("track-ranking-list", query={"unit": obj("units")}), GET),
    # the schema and its docs are public (drf-spectacular's default), as the login page is
    "api-schema": Row(url("api-schema"), {"GET": Access(anon=200)}, scoped=False),
    "api-docs": Row(url("api-docs"), {"GET": Access(anon=200)}, scoped=False),
}

# Areas keep their rows (and the models their refused writes must leave alone) in modules of
# their own beside this one, ``rows_<area>.py`` with ``ROWS`` and optionally ``COUNTED``; the
# objects they name are built by the module's ``build(world)`` (conftest.py calls it).
EXTRA_MODULES = [
    importlib.import_module(f"tests.permissions.{path.stem}")
    for path in sorted(pathlib.Path(__file__).parent.glob("rows_*.py"))
]
for _module in EXTRA_MODULES:
    assert not set(_module.ROWS) & set(TABLE), f"{_module.__name__} repeats rows"
    TABLE.update(_module.ROWS)

# URL patterns with no row, and why.
SKIPPED = {
    "admin/": "Django's admin site: is_staff users only, through Django's own permission checks",
    "format suffix": "DRF's .json/.api duplicates of a router URL: the same view and name as the URL tested",
}


def _skip_reason(route: str) -> str | None:
    if route.startswith("admin/"):
        return "admin/"
    if "(?P<format>" in route or "<drf_format_suffix:format>" in route:
        return "format suffix"
    return None


def url_patterns() -> list[tuple[str | None, str]]:
    """(name with its namespaces, route) of every URL pattern the resolver knows."""
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, ns)
            else:
                found.append((f"{namespace}{pattern.name}" if pattern.name else None, route))

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_url_has_a_row():
    patterns = url_patterns()
    reasons = {r for _, route in patterns if (r := _skip_reason(route))}
    assert reasons == set(SKIPPED), "a skip rule that matches nothing any more: drop it"
    kept = [(name, route) for name, route in patterns if _skip_reason(route) is None]
    unnamed = [route for name, route in kept if name is None]
    assert unnamed == [], f"URL patterns without a name cannot have a row: {unnamed}"
    names = {name for name, _ in kept}
    assert sorted(names - set(TABLE)) == [], "URLs without a row in the permission matrix"
    assert sorted(set(TABLE) - names) == [], "rows for URLs that no longer exist"


# ------------------------------------------------------------------ the matrix


def _allowed(role: str, cap) -> bool:
    if role == SUPERUSER or cap is None:
        return True
    if cap == WHOLE_TREE:
        return False
    caps = (cap,) if isinstance(cap, str) else cap
    return any(role in CAPABILITIES[c] for c in caps)


def expected(api: bool, access: Access, role: str, where) -> int:
    if role == ANONYMOUS:
        return access.anon if access.anon is not None else (401 if api else 302)
    allowed = _allowed(role, access.cap)
    if where == IN or (role == SUPERUSER and where == OUT):
        return access.ok if allowed else 403
    # outside the subtree, or no such object
    return 403 if access.role_first and not allowed else 404


# Refused writes must leave these as they were.
COUNTED = [
    Unit,
    Cadre,
    Education,
    TeamMembership,
    Interview,
    Attachment,
    ProblemClue,
    PersonalMattersCheck,
    ReviewItem,
    ReviewItemCheck,
    Sanction,
    Period,
    Scheme,
    Assessment,
    TeamAssessment,
    PolicyRule,
    ImportBatch,
    Job,
    RecallCase,
    RecallStep,
    Flag,
    AdjustmentDecision,
    PointRecord,
    NegativeListEntry,
    Situation,
    Exemption,
    Decision,
    BonusBase,
    TeamPool,
    PoolShare,
    CareRecord,
    HardshipPost,
    DepartedVillageCadre,
    RaceTrack,
    TrackStanding,
    AuditEntry,
]
for _module in EXTRA_MODULES:
    COUNTED += [m for m in getattr(_module, "COUNTED", ()) if m not in COUNTED]


def fingerprint() -> dict:
    state = {model.__name__: model.objects.count() for model in COUNTED}
    # every write goes through a service and leaves an audit entry, updates included
    state["last audit entry"] = AuditEntry.objects.aggregate(m=Max("id"))["m"]
    state["period states"] = list(Period.objects.order_by("pk").values_list("status", flat=True))
    return state


def _request(client, method: str, path: str, access: Access, api: bool):
    if method == "GET":
        return client.get(path)
    if api:
        return getattr(client, method.lower())(path, access.data or {}, format="multipart")
    return client.post(path, access.data or {})


# Allowed writes that must change the fingerprint: the control that it sees writes at all.
WRITES_SEEN = {
    "assessment:period_transition",
    "cadres:team_remove",
    "cadres:history_delete",
    "recall:negative_remove",
}


# One test per role (the whole table took two minutes as one test, which pytest-xdist could not
# share out between its workers).
@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_every_role_as_the_table_says(matrix_world, role):
    w = matrix_world
    users = {role: w.users[f"county_{role}"] for role in Role.values}
    users[SUPERUSER] = w.users["root"]
    baseline = fingerprint()
    mismatches: list[str] = []
    writes_seen: set[str] = set()
    checked = 0

    page_client = Client(raise_request_exception=False)
    api_client = APIClient(raise_request_exception=False)
    if role != ANONYMOUS:
        page_client.force_login(users[role])
        api_client = token_client(users[role])
        api_client.raise_request_exception = False
    for name, row in TABLE.items():
        for method, access in row.methods.items():
            scoped = row.scoped if access.scoped is None else access.scoped
            wheres = [IN, OUT, MISSING] if scoped else [IN]
            if role == ANONYMOUS:
                wheres = wheres[:2]
            for where in wheres:
                path = row.url(w, where)
                api = path.startswith("/api/")
                want = expected(api, access, role, where)
                refused = want in (401, 403, 404) or (want == 302 and role == ANONYMOUS)
                with transaction.atomic():
                    response = _request(api_client if api else page_client, method, path, access, api)
                    changed = {}
                    if method != "GET":
                        after = fingerprint()
                        changed = {k: (baseline[k], v) for k, v in after.items() if baseline[k] != v}
                    transaction.set_rollback(True)
                checked += 1
                got = response.status_code
                label = f"{name} {method} {path} as {role} ({where or 'missing'})"
                if got != want:
                    exc = getattr(response, "exc_info", None)
                    mismatches.append(
                        f"{label}: expected {want}, got {got}" + (f" ({exc[1]!r})" if exc else "")
                    )
                elif want == 302 and role == ANONYMOUS and access.anon is None:
                    if not response["Location"].startswith(reverse("login")):
                        mismatches.append(f"{label}: redirected to {response['Location']}, not to log in")
                elif api and want >= 400 and "error" not in response.json():
                    mismatches.append(f"{label}: {want} without the API's error shape")
                if changed and refused:
                    mismatches.append(f"{label}: refused, but wrote {changed}")
                elif changed and where == IN and role == Role.STAFF:
                    writes_seen.add(name)
                if name == "logout" and role != ANONYMOUS:
                    page_client.force_login(users[role])

    if role == Role.STAFF:  # the role whose allowed writes the control looks for
        assert writes_seen >= WRITES_SEEN, "the fingerprint does not see these writes"
    assert not mismatches, f"{len(mismatches)} of {checked} answers differ from the table:\n" + "\n".join(
        mismatches
    )
