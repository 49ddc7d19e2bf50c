"""Forms of the 赛马 pages. What a track, an assignment or a ranking may be is checked by
``incentives.services_tracks`` (one set of Chinese messages for the pages and the API); the
forms parse and offer choices."""

from django import forms

from assessment.models import Period
from assessment.tracks import TrackTable
from cadres.forms import BootstrapMixin, unit_field

BOARD_CHOICES = [("", "全部"), ("red", "红榜"), ("yellow", "黄榜")]


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class TrackForm(StyledForm):
    code = forms.CharField(
        label="赛道代码",
        max_length=20,
        error_messages={"required": "请填写赛道代码。"},
        help_text="小写字母开头，只含小写字母、数字、下划线或连字符，如 rural；考核记录和指标保存的是代码，使用后不能修改。",
    )
    name = forms.CharField(label="赛道名称", max_length=50, error_messages={"required": "请填写赛道名称。"})
    description = forms.CharField(label="说明", max_length=200, required=False)


def _unit(form, user, units, label="单位（含下级）"):
    form.fields["unit"] = unit_field(user, units, required=False, label=label, empty_label="全部单位")
    form.fields["unit"].widget.attrs["class"] = "form-select"
    form.fields["unit"].error_messages["invalid_choice"] = "该单位不存在或不在您的管辖范围内。"


class RankingFilterForm(StyledForm):
    period = forms.ModelChoiceField(queryset=None, required=False, label="年度考核期", empty_label=None)
    unit = forms.ModelChoiceField(queryset=None, required=False)
    track = forms.ChoiceField(required=False, label="赛道")
    board = forms.ChoiceField(choices=BOARD_CHOICES, required=False, label="榜单")

    def __init__(self, *args, user, units, tracks: TrackTable, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracks = tracks
        self.fields["period"].queryset = Period.objects.filter(quarter__isnull=True).order_by("-year")
        self.fields["period"].error_messages["invalid_choice"] = "请选择年度考核期。"
        self.fields["track"].choices = [("", "全部赛道"), *((c, n) for c, n, _ in tracks.rows)]
        self.fields["track"].error_messages["invalid_choice"] = "请选择赛道。"
        self.fields["board"].error_messages["invalid_choice"] = "榜单只能是红榜或黄榜。"
        _unit(self, user, units)
        self.order_fields(["period", "unit", "track", "board"])
        self._style_widgets()


class AssignFilterForm(StyledForm):
    period = forms.ModelChoiceField(queryset=None, required=False, label="考核期", empty_label=None)
    unit = forms.ModelChoiceField(queryset=None, required=False)
    track = forms.ChoiceField(required=False, label="当前赛道")

    def __init__(self, *args, user, units, tracks: TrackTable, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracks = tracks
        self.fields["period"].queryset = Period.objects.order_by("-year", "-quarter")
        self.fields["period"].error_messages["invalid_choice"] = "请选择考核期。"
        self.fields["track"].choices = [
            ("", "全部"),
            ("-", "未分配赛道"),
            *((c, n) for c, n, _ in tracks.rows),
        ]
        self.fields["track"].error_messages["invalid_choice"] = "请选择赛道。"
        _unit(self, user, units)
        self.order_fields(["period", "unit", "track"])
        self._style_widgets()


# the choice that takes the ticked cadres off any track
OFF_TRACK = "-"


class AssignForm(StyledForm):
    track = forms.ChoiceField(label="分配到赛道", error_messages={"required": "请选择赛道。"})

    def __init__(self, *args, tracks: TrackTable, **kwargs):
        super().__init__(*args, **kwargs)
        # the active tracks only: a deactivated one takes no new cadre
        self.fields["track"].choices = [("", "请选择赛道"), *tracks.choices(), (OFF_TRACK, "（移出赛道）")]
        self.fields["track"].error_messages["invalid_choice"] = "请选择启用中的赛道。"

    def track_code(self) -> str:
        """The code to assign ("" takes the cadres off their track)."""
        track = self.cleaned_data["track"]
        return "" if track == OFF_TRACK else track
