"""The old 容错免责 marks (``Interview.exempted`` / ``Sanction.exempted`` with ``exemption_note``)
become 容错纠错 decisions (``Exemption``, 可容), the one way to exempt a matter; the next
migration removes the marks.

Each marked record gets a decision: decided by the record's approver (a 约谈's) or its creator,
on the record's own date (the talk, the sanction's decision), classified 过失 / 因公 / 探索试错
unless the note says otherwise (故意, 因私, 违规 written in it, not negated), and its basis is the
old note followed by （原“容错免责”标记迁移）. A matter that already has a decision keeps it.
Reversing writes the marks back from the 可容 decisions and deletes the decisions made here.
"""

from django.db import migrations

SUFFIX = "（原“容错免责”标记迁移）"


def _says(note: str, word: str, *negations: str) -> bool:
    text = note
    for negation in negations:
        text = text.replace(negation, "")
    return word in text


# a word in an old note that changes the default, and the phrases that negate it
DELIBERATE = ("故意", ("非故意", "不是故意", "并非故意", "无故意"))
PRIVATE = ("因私", ("非因私", "不是因私", "并非因私"))
VIOLATION = ("违规", ("非违规", "不属于违规", "不属违规", "并非违规", "无违规"))


def classify(note: str) -> dict:
    """The three distinctions read from an old note; the defaults are the tolerable ones."""
    note = note or ""
    violation = _says(note, VIOLATION[0], *VIOLATION[1]) and "试错" not in note
    return {
        "intent": "deliberate" if _says(note, DELIBERATE[0], *DELIBERATE[1]) else "negligent",
        "motive": "private" if _says(note, PRIVATE[0], *PRIVATE[1]) else "public",
        "nature": "violation" if violation else "trial",
    }


def _basis(note: str) -> str:
    return (note or "").strip() + SUFFIX


def forwards(apps, schema_editor):
    Interview = apps.get_model("supervision", "Interview")
    Sanction = apps.get_model("supervision", "Sanction")
    Exemption = apps.get_model("supervision", "Exemption")
    taken = set(Exemption.objects.values_list("matter_type", "matter_id"))
    rows = []
    for i in Interview.objects.filter(exempted=True).order_by("pk"):
        if ("interview", i.pk) in taken:
            continue
        on = i.conducted_on or i.proposed_on or i.proposed_at.date()
        rows.append(
            Exemption(
                matter_type="interview",
                matter_id=i.pk,
                cadre_id=i.cadre_id,
                unit_id=i.unit_id,
                verdict="tolerable",
                basis=_basis(i.exemption_note),
                decided_by_id=i.approved_by_id or i.proposed_by_id,
                decided_on=on,
                **classify(i.exemption_note),
            )
        )
    for s in Sanction.objects.filter(exempted=True).select_related("cadre").order_by("pk"):
        if ("sanction", s.pk) in taken:
            continue
        rows.append(
            Exemption(
                matter_type="sanction",
                matter_id=s.pk,
                cadre_id=s.cadre_id,
                unit_id=s.cadre.unit_id,
                verdict="tolerable",
                basis=_basis(s.exemption_note),
                decided_by_id=s.created_by_id,
                decided_on=s.decided_on,
                **classify(s.exemption_note),
            )
        )
    Exemption.objects.bulk_create(rows, batch_size=1000)


def backwards(apps, schema_editor):
    Interview = apps.get_model("supervision", "Interview")
    Sanction = apps.get_model("supervision", "Sanction")
    Exemption = apps.get_model("supervision", "Exemption")
    tolerated = Exemption.objects.filter(verdict="tolerable")
    for model, matter_type in ((Interview, "interview"), (Sanction, "sanction")):
        for matter_id, basis in tolerated.filter(matter_type=matter_type).values_list("matter_id", "basis"):
            note = basis[: -len(SUFFIX)] if basis.endswith(SUFFIX) else basis
            model.objects.filter(pk=matter_id).update(exempted=True, exemption_note=note)
    tolerated.filter(matter_type__in=["interview", "sanction"], basis__endswith=SUFFIX).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0006_exemption"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
