"""The round trip: the demo city's cadres exported as LRMX, the registry emptied, the files
imported unit by unit, and every fact the format carries compared with what was exported."""

import base64
import io
import zipfile

import pytest
from django.core.management import call_command

from accounts.models import User
from cadres.models import Cadre, CadreFacts, PoliticalStatus, Unit
from interop import exports, services
from interop.models import BatchStatus

# a 1×1 JPEG
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/"
    "yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k="
)


def _facts(cadre: Cadre) -> dict:
    try:
        f = cadre.facts
    except CadreFacts.DoesNotExist:
        f = CadreFacts()
    return {
        "native_place": f.native_place,
        "birth_place": f.birth_place,
        "health": f.health,
        "professional_title": f.professional_title,
        "expertise": f.expertise,
        "rewards_text": f.rewards_text,
        "family": f.family,
        "photo": bytes(f.photo) if f.photo else None,
    }


def _carried(cadre: Cadre) -> dict:
    """Every fact of the registry the LRMX format carries."""
    educations = list(cadre.educations.all())
    highest = {}
    for mode in ("full_time", "in_service"):
        e = exports._highest(educations, mode)
        highest[mode] = (e.level, e.degree, e.school, e.major) if e else None
    return {
        "name": cadre.name,
        "gender": cadre.gender,
        "ethnicity": cadre.ethnicity,
        "birth_date": cadre.birth_date,
        "work_start_date": cadre.work_start_date,
        "party_join_date": cadre.party_join_date,
        # the format does not tell a 预备党员 from a 党员
        "political_status": PoliticalStatus.CPC
        if cadre.political_status == PoliticalStatus.PROBATIONARY
        else cadre.political_status,
        "post_title": cadre.post_title,
        "unit": cadre.unit.code,
        "education": highest,
        "posts": [
            (f"{p.start_date:%Y%m}", f"{p.end_date:%Y%m}" if p.end_date else "", f"{p.unit_name}{p.title}")
            for p in cadre.posts.order_by("start_date", "id")
        ],
        **_facts(cadre),
    }


def _empty_registry() -> None:
    """Every row that hangs on a cadre, then the cadres: the registry as a new installation
    has it, with the same org tree."""
    from django.apps import apps
    from django.db import models

    for _ in range(3):
        for model in apps.get_models():
            if model is Cadre:
                continue
            for f in model._meta.get_fields():
                if isinstance(f, models.ForeignKey) and f.related_model is Cadre and model.objects.exists():
                    model.objects.all().delete()
    Cadre.objects.all().delete()


@pytest.mark.django_db
def test_demo_city_exported_and_imported_into_an_empty_registry_keeps_every_fact(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("seed_demo", cadres=400, no_assessments=True, stdout=io.StringIO())
    root = User.objects.create_superuser("rt-root", password="x")
    cadres = list(Cadre.objects.select_related("unit").order_by("pk"))
    # the demo has no 任免审批表 facts: give some cadres every one, in the editors' wording
    for i, cadre in enumerate(cadres[:40]):
        CadreFacts.objects.create(
            cadre=cadre,
            native_place="湖南长沙",
            birth_place="湖南宁乡",
            health="健康",
            professional_title="经济师" if i % 2 else "",
            expertise="农村工作",
            rewards_text="2019年度获县优秀共产党员称号" if i % 3 == 0 else "",
            family=[
                {
                    "relation": "妻子",
                    "name": "李四",
                    "birth": "198003",
                    "politics": "中共党员",
                    "work": "某县某局科员",
                },
                {
                    "relation": "儿子",
                    "name": "张小",
                    "birth": "200805",
                    "politics": "共青团员",
                    "work": "学生",
                },
            ],
            photo=JPEG if i % 2 == 0 else None,
        )
    expected = {
        c.id_number: _carried(c)
        for c in Cadre.objects.select_related("unit", "facts").prefetch_related("educations")
    }
    files_by_unit: dict[int, list[tuple[str, bytes]]] = {}
    for cadre in cadres:
        files_by_unit.setdefault(cadre.unit_id, []).append(
            (exports.filename(cadre), exports.cadre_lrmx(root, cadre))
        )

    _empty_registry()
    assert Cadre.objects.count() == 0
    for unit_id, files in files_by_unit.items():
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in files:
                z.writestr(name, data)
        batch = services.batch_create(
            actor=root, unit=Unit.objects.get(pk=unit_id), files=[("unit.zip", buf.getvalue())]
        )
        assert batch.errors == [], batch.errors[:5]
        assert batch.files_new == len(files)
        batch = services.batch_commit(actor=root, batch=batch)
        assert batch.status == BatchStatus.COMMITTED

    got = {
        c.id_number: _carried(c)
        for c in Cadre.objects.select_related("unit", "facts").prefetch_related("educations")
    }
    assert set(got) == set(expected)
    differences = {
        number: {
            k: (expected[number][k], got[number][k])
            for k in expected[number]
            if expected[number][k] != got[number][k]
        }
        for number in expected
    }
    differences = {k: v for k, v in differences.items() if v}
    assert differences == {}, list(differences.items())[:3]
