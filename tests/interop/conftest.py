import datetime
import io

import pytest
from PIL import Image

from tests.factories import CadreFactory, make_id, make_user, unit_child, unit_root


def jpeg(size=(3, 4)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def place(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    city = unit_root()
    county = unit_child(city, "C0101", "东岭县")
    town = unit_child(county, "C010101", "城关镇", kind="township")
    other = unit_child(city, "C0102", "西川县")
    staff = make_user("staff", "staff", county, display_name="王科长")
    return {
        "city": city,
        "county": county,
        "town": town,
        "other": other,
        "staff": staff,
        "born": datetime.date(1980, 5, 17),
    }


@pytest.fixture
def registered(place):
    """A cadre of 城关镇 the files will name."""
    return CadreFactory(
        unit=place["town"],
        name="张三",
        birth_date=place["born"],
        id_number=make_id(place["born"]),
        post_title="副镇长",
        work_start_date=datetime.date(2002, 7, 15),
        party_join_date=datetime.date(2003, 7, 1),
    )
