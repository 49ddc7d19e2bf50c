"""``track-rankings/`` (赛马排名 with the unit's 红榜/黄榜: GET) and ``race-tracks/`` (the tracks,
whose names ``track`` fields show and accept: GET) of the public API. Thin: reads through
incentives.selectors_tracks, scoped to the caller: a ``unit`` outside the subtree answers 404 as
a missing one, the rows are the cadres of the subtree only. The ranking and board rules are the
page's, stated in ``tie_rule`` and ``board_rule``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError

from assessment.models import Period, RaceTrack
from assessment.tracks import TrackTable
from cadres.selectors import unit_label, units_visible_to
from core.api import int_param

from ..policy_tracks import BOARD_RULE, BOARDS
from ..ranking import TIE_RULE, JiScores
from ..rankings_shown import shown_rows
from ..selectors_tracks import annual_periods, default_period, track_rankings


class RaceTrackSerializer(serializers.ModelSerializer):
    class Meta:
        model = RaceTrack
        fields = ["code", "name", "description", "active", "order"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="赛马赛道",
        description="全部赛道（含已停用的），按顺序；`track` 字段显示赛道名称，接受名称或代码。只能分配启用中的赛道。",
    )
)
class RaceTrackViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = RaceTrackSerializer
    filter_backends: list = []
    queryset = RaceTrack.objects.order_by("order", "id")


class TrackRankingSerializer(serializers.Serializer):
    assessment = serializers.IntegerField(help_text="考核结果 id")
    cadre = serializers.IntegerField(help_text="干部 id")
    cadre_name = serializers.CharField()
    unit = serializers.IntegerField(help_text="考核单位 id")
    unit_label = serializers.CharField(help_text="单位名称；与其他单位重名时附上级单位")
    track = serializers.CharField(source="track_name", help_text="赛道名称")
    track_code = serializers.CharField(source="track", help_text="赛道代码")
    position = serializers.IntegerField(help_text="赛道内名次（全考核期，并列同名次，其后顺延）")
    of_total = serializers.IntegerField(help_text="赛道参赛人数")
    total_score = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="加权总分（排名后被清空的为空）",
    )
    ji_score = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="“绩”维度得分（同分时比较）",
    )
    board = serializers.CharField(help_text="red 红榜、yellow 黄榜，不在榜上为空（按所选单位的红黄榜规则）")
    board_label = serializers.CharField()


@extend_schema_view(
    list=extend_schema(
        summary="赛马排名",
        description=(
            "年度考核期各赛道的排名（范围内的干部，按赛道顺序和名次），每行标明按所选单位红黄榜规则所在的榜单。"
            f"排名规则：{TIE_RULE} 红黄榜：{BOARD_RULE}"
        ),
        parameters=[
            OpenApiParameter("period", int, description="年度考核期 id；不填为最近一个已排名的年度考核期"),
            OpenApiParameter(
                "unit", int, description="单位 id（含下级单位），红黄榜按该单位计算；范围外为 404"
            ),
            OpenApiParameter("track", str, description="赛道代码或名称"),
            OpenApiParameter(
                "board", str, enum=["red", "yellow"], description="只看红榜（red）或黄榜（yellow）"
            ),
        ],
    )
)
class TrackRankingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TrackRankingSerializer
    filter_backends: list = []

    def _params(self):
        p = self.request.query_params
        user = self.request.user
        if p.get("period"):
            period = annual_periods(user).filter(pk=int_param(p["period"], "period")).first()
            if period is None:
                raise ValidationError({"period": "年度考核期不存在。"})
        else:
            period = default_period(user)
        unit = None
        if p.get("unit"):
            unit = (
                units_visible_to(user)
                .annotate(label=unit_label())
                .filter(pk=int_param(p["unit"], "unit"))
                .first()
            )
            if unit is None:
                raise NotFound("单位不存在或不在您的管辖范围内。")
        tracks = TrackTable()
        track = ""
        if p.get("track"):
            track = tracks.code_for(p["track"])
            if track is None:
                raise ValidationError(
                    {"track": f"未知的赛道“{p['track']}”。可选值：" + "、".join(tracks.names.values())}
                )
        board = (p.get("board") or "").strip()
        if board and board not in BOARDS:
            raise ValidationError({"board": "榜单只能是 red（红榜）或 yellow（黄榜）。"})
        return period, unit, track, board, tracks

    def get_queryset(self):
        period, unit, track, board, tracks = self._params()
        if period is None:
            self.rankings = None
            return Period.objects.none()
        self.rankings = track_rankings(
            self.request.user, period=period, unit=unit, track=track, board=board, tracks=tracks
        )
        return self.rankings.rows

    def list(self, request, *args, **kwargs):
        qs = self.get_queryset()
        page = self.paginate_queryset(qs)
        rows = list(shown_rows(self.rankings, page, JiScores(self.rankings.period))) if self.rankings else []
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


def register(router) -> None:
    router.register("race-tracks", RaceTrackViewSet, basename="race-track")
    router.register("track-rankings", TrackRankingViewSet, basename="track-ranking")
