"""The world of tests/scope/ (one of everything in every unit of two counties), with the few
objects the permission matrix also needs: an education entry per cadre (its edit and delete
pages) and an uploaded file on each import batch (its download and annotated pages)."""

import datetime

import pytest
from django.core.files.base import ContentFile

from cadres.models import Education
from tests.scope.conftest import World, world  # noqa: F401 (the fixture, used here)


@pytest.fixture
def matrix_world(world) -> World:  # noqa: F811
    world.educations = {
        key: Education.objects.create(
            cadre=cadre, level="bachelor", school="西北大学", end_date=datetime.date(2002, 7, 1)
        )
        for key, cadre in world.cadres.items()
    }
    for key, batch in world.batches.items():
        sheet = f"身份证号,姓名,德\n{world.cadres[key].id_number},{world.cadres[key].name},90\n"
        batch.original_name = f"{world.units[key].name}评分表.csv"
        batch.file.save(batch.original_name, ContentFile(sheet.encode()), save=False)
        batch.save(update_fields=["original_name", "file"])
    return world
