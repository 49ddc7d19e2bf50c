"""The form of the 考核登记表 texts page; the limits and the rules are the service's."""

from django import forms

from .services.registration import TEXT_FIELDS

ROWS = {"duty": 2, "summary": 12}


class RegistrationTextForm(forms.Form):
    def __init__(self, *args, duty_default: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for name, (label, limit) in TEXT_FIELDS.items():
            # no max_length here: the service counts and says how many characters are too many
            field = forms.CharField(
                label=label,
                required=False,
                strip=False,
                widget=forms.Textarea(
                    attrs={"class": "form-control", "rows": ROWS.get(name, 4), "maxlength": limit}
                ),
                help_text=f"最多 {limit} 字。",
            )
            self.fields[name] = field
        self.fields["duty"].help_text = f"留空时使用现任职务“{duty_default}”。最多 200 字。"
