from django import forms

from cadres.models import CadreKind, Identity, Rank

from .services import DEFAULTS


class UploadForm(forms.Form):
    unit = forms.TypedChoiceField(label="新登记干部所在单位", coerce=int)
    kind = forms.ChoiceField(label="干部类别", choices=CadreKind.choices, initial=DEFAULTS["kind"])
    rank = forms.ChoiceField(label="职级", choices=Rank.choices, initial=DEFAULTS["rank"])
    identity = forms.ChoiceField(label="身份类别", choices=Identity.choices, initial=DEFAULTS["identity"])

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {u.pk: u for u in units}
        self.fields["unit"].choices = [
            (u.pk, f"{getattr(u, 'label', '') or u.name}（{u.code}）") for u in units
        ]
        for f in self.fields.values():
            f.widget.attrs["class"] = "form-select"
