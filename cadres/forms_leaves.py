"""The leave record form: it parses what the browser sends; the service validates (in Chinese)."""

from django import forms

from .forms import BootstrapMixin, DateInput
from .models import LeaveKind


class LeaveForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label="请假类别",
        choices=[("", "请选择"), *LeaveKind.choices],
        error_messages={"required": "请选择请假类别。", "invalid_choice": "请选择请假类别。"},
    )
    start_date = forms.DateField(
        label="开始日期",
        widget=DateInput(),
        error_messages={"required": "请填写开始日期。", "invalid": "请填写正确的日期。"},
    )
    end_date = forms.DateField(
        label="结束日期",
        required=False,
        widget=DateInput(),
        help_text="仍在休假的留空；开始和结束当天都计入请假天数。",
        error_messages={"invalid": "请填写正确的日期。"},
    )
    note = forms.CharField(
        label="说明",
        required=False,
        max_length=200,
        help_text="选填，如请假事由、批准文件。",
        error_messages={"max_length": "说明不能超过200个字。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


def leave_initial(leave) -> dict:
    return {
        "kind": leave.kind,
        "start_date": leave.start_date,
        "end_date": leave.end_date,
        "note": leave.note,
    }
