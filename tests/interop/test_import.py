"""Importing 任免审批表 into a registry that already holds some of the cadres: matching by ID
number, old → new in the preview, all or nothing, audited, idempotent, the hostile-file
defences, the pages and the command."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse

from audit.models import AuditEntry
from cadres import idnumber
from cadres.models import Cadre, CadreFacts, PostRecord
from interop import exports, services
from interop.errors import UploadRejected
from interop.models import BatchStatus, LrmxBatch
from tests.factories import CadreFactory, make_id, make_user

from .test_files_from_other_editors import lrmx


def _batch(place, files, actor=None):
    return services.batch_create(actor=actor or place["staff"], unit=place["town"], files=files)


def test_registered_cadre_is_updated_and_the_preview_shows_old_and_new(place, registered):
    data = lrmx(registered.id_number, name="张三", party="200307", work="200207")
    batch = _batch(place, [("张三.lrmx", data)])
    entry = batch.preview[0]
    assert (entry["action"], entry["cadre"]) == ("update", registered.pk)
    changes = {label: (old, new) for label, old, new in entry["changes"]}
    assert changes["现任职务"] == ("副镇长", "党委副书记")
    assert changes["籍贯"] == ("（空）", "湖南长沙")
    # 200207 is July 2002: the stored 2002-07-15 is the same month, not a change
    assert "参加工作时间" not in changes
    assert "入党时间" not in changes
    services.batch_commit(actor=place["staff"], batch=batch)
    registered.refresh_from_db()
    assert registered.post_title == "党委副书记"
    assert registered.work_start_date == datetime.date(2002, 7, 15)
    entries = AuditEntry.objects.filter(batch=f"lrmx:{batch.pk}")
    assert entries.filter(
        model="cadres.cadre", action="update", object_id=str(registered.pk)
    ).get().changes == {"post_title": ["副镇长", "党委副书记"]}
    assert entries.filter(model="cadres.cadrefacts", action="create").count() == 1
    assert entries.filter(model="cadres.postrecord", action="create").count() == 3


def test_importing_the_same_files_again_changes_nothing_and_says_so(place, registered):
    data = lrmx(registered.id_number, name="张三")
    first = services.batch_commit(actor=place["staff"], batch=_batch(place, [("a.lrmx", data)]))
    assert first.status == BatchStatus.COMMITTED
    audit_before = AuditEntry.objects.count()
    again = _batch(place, [("a.lrmx", data)])
    assert (again.files_new, again.files_changed, again.files_unchanged) == (0, 0, 1)
    assert again.message == services.NOTHING_TO_DO
    again = services.batch_commit(actor=place["staff"], batch=again)
    assert again.message == services.NOTHING_TO_DO
    assert AuditEntry.objects.count() == audit_before
    assert PostRecord.objects.filter(cadre=registered).count() == 3


def test_a_name_that_differs_from_the_registered_one_is_an_error_and_nothing_is_written(place, registered):
    good = lrmx(make_id(place["born"]), name="李四")
    wrong = lrmx(registered.id_number, name="张叁")
    batch = _batch(place, [("good.lrmx", good), ("wrong.lrmx", wrong)])
    assert batch.status == BatchStatus.INVALID
    assert batch.errors == [
        {
            "file": "wrong.lrmx",
            "element": "XingMing（姓名）",
            "message": "姓名“张叁”与系统中该身份证号登记的“张三”不一致，请核对。",
        }
    ]
    with pytest.raises(Exception, match="有错误"):
        services.batch_commit(actor=place["staff"], batch=batch)
    assert not Cadre.objects.filter(name="李四").exists()


def test_a_registered_cadre_outside_the_scope_is_refused(place):
    outsider = CadreFactory(
        unit=place["other"], name="外县人", birth_date=place["born"], id_number=make_id(place["born"])
    )
    batch = _batch(place, [("x.lrmx", lrmx(outsider.id_number, name="外县人"))])
    assert batch.errors[0]["element"] == "ShenFenZheng（身份证号）"
    assert "管辖范围以外" in batch.errors[0]["message"]


def test_the_same_id_number_twice_in_one_batch_is_an_error(place):
    number = make_id(place["born"])
    batch = _batch(place, [("a.lrmx", lrmx(number)), ("b.lrmx", lrmx(number))])
    assert [e["file"] for e in batch.errors] == ["b.lrmx"]


def test_an_empty_element_never_erases_a_stored_value(place, registered):
    CadreFacts.objects.create(cadre=registered, professional_title="经济师")
    batch = _batch(place, [("a.lrmx", lrmx(registered.id_number, name="张三"))])  # ZhuanYeJiShuZhiWu empty
    services.batch_commit(actor=place["staff"], batch=batch)
    assert CadreFacts.objects.get(cadre=registered).professional_title == "经济师"


def test_a_second_commit_of_the_same_batch_writes_nothing(place):
    batch = _batch(place, [("a.lrmx", lrmx(make_id(place["born"])))])
    services.batch_commit(actor=place["staff"], batch=batch)
    again = services.batch_commit(actor=place["staff"], batch=batch)
    assert again.message == services.ALREADY_COMMITTED
    assert Cadre.objects.filter(name="李四").count() == 1


@pytest.mark.parametrize("role", ["county_admin", "api_reader", "auditor"])
def test_roles_without_edit_registry_may_not_import(place, role):
    user = make_user(f"u-{role}", role, place["county"])
    with pytest.raises(PermissionDenied):
        _batch(place, [("a.lrmx", lrmx(make_id(place["born"])))], actor=user)


# ---------------------------------------------------------------- hostile files


def test_entity_expansion_is_refused_per_file(place):
    bomb = b'<?xml version="1.0"?><!DOCTYPE Person [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><Person><XingMing>&b;</XingMing></Person>'
    batch = _batch(place, [("bomb.lrmx", bomb)])
    assert batch.errors[0]["file"] == "bomb.lrmx"
    assert "DOCTYPE" in batch.errors[0]["message"]


def test_upload_over_the_size_limit_is_refused_before_reading(place, settings):
    settings.LRMX_MAX_BYTES = 1000
    with pytest.raises(UploadRejected) as exc:
        _batch(place, [("big.lrmx", b"x" * 1001)])
    assert exc.value.status == 413
    assert LrmxBatch.objects.count() == 0


def test_zip_member_inflating_past_its_declared_size_is_a_zip_bomb(place):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.lrmx", b"<Person>" + b" " * 200_000 + b"</Person>")
    data = bytearray(buf.getvalue())
    # lie in the central directory: declared size 100 bytes
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    with pytest.raises(UploadRejected) as exc:
        _batch(place, [("bomb.zip", bytes(data))])
    assert exc.value.code == "zip_bomb"


def test_zip_declaring_more_than_the_limit_is_a_zip_bomb(place, monkeypatch):
    from assessment.sheets import safety

    monkeypatch.setattr(safety, "MAX_UNCOMPRESSED", 1000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.lrmx", b" " * 2000)
    with pytest.raises(UploadRejected, match="压缩炸弹"):
        _batch(place, [("big.zip", buf.getvalue())])


def test_an_upload_without_any_form_file_is_refused(place):
    with pytest.raises(UploadRejected, match="没有任免审批表文件"):
        _batch(place, [("readme.txt", b"hello")])


def test_not_xml_is_an_error_of_that_file(place):
    batch = _batch(place, [("a.lrmx", b"<Person><XingMing>x</Person>")])
    assert "不是有效的 XML" in batch.errors[0]["message"]


# ---------------------------------------------------------------- pages and command


def test_upload_page_previews_and_commit_writes(client, place):
    client.force_login(place["staff"])
    data = lrmx(make_id(place["born"]))
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("interop:upload"),
        {
            "files": [SimpleUploadedFile("李四.lrmx", data)],
            "unit": place["town"].pk,
            "kind": "general",
            "rank": "staff",
            "identity": "civil_servant",
        },
    )
    batch = LrmxBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("interop:batch", args=[batch.pk])
    page = client.get(reverse("interop:batch", args=[batch.pk])).content.decode()
    assert "新登记" in page and "李四.lrmx" in page and "湖南长沙" in page
    client.post(reverse("interop:batch_commit", args=[batch.pk]))
    assert Cadre.objects.filter(name="李四", unit=place["town"]).exists()


def test_upload_page_explains_a_refused_upload(client, place):
    client.force_login(place["staff"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("interop:upload"),
        {
            "files": [SimpleUploadedFile("x.zip", b"not a zip")],
            "unit": place["town"].pk,
            "kind": "general",
            "rank": "staff",
            "identity": "civil_servant",
        },
    )
    assert response.status_code == 415
    assert "不是压缩包" in response.content.decode()


@pytest.mark.parametrize("batches", [2, 12])
def test_batch_list_queries_do_not_grow_with_rows(client, place, django_assert_num_queries, batches):
    for _ in range(batches):
        _batch(place, [("a.lrmx", lrmx(make_id(place["born"])))])
    client.force_login(place["staff"])
    # session, user, user's unit (scope), count, the page of batches with unit and uploader
    with django_assert_num_queries(5):
        response = client.get(reverse("interop:batches"))
    assert response.content.decode().count("a.lrmx") == batches


def test_preview_reads_one_query_per_table_whatever_the_number_of_files(place, django_assert_num_queries):
    from interop import intake

    def items(n):
        cadres = [
            CadreFactory(
                unit=place["town"],
                name=f"人{n}-{i}",
                birth_date=place["born"],
                id_number=make_id(place["born"]),
            )
            for i in range(n)
        ]
        files = [(f"{c.name}.lrmx", lrmx(c.id_number, name=c.name)) for c in cadres]
        files += [(f"new{i}.lrmx", lrmx(make_id(place["born"]), name=f"新{i}")) for i in range(n)]
        return intake.read_upload(files).items

    for n in (2, 20):
        batch = items(n)
        # cadres by ID hash (with unit and facts), their educations, their posts, the units in scope
        with django_assert_num_queries(4):
            plan = services.plan_upload(
                actor=place["staff"], unit=place["town"], defaults=None, items=batch, notes=[]
            )
        assert (plan.count("update"), plan.count("create")) == (n, n)


def test_command_previews_and_commits(place, tmp_path):
    path = tmp_path / "李四.lrmx"
    path.write_bytes(lrmx(make_id(place["born"])))
    out = io.StringIO()
    call_command("import_lrmx", str(path), user="staff", unit="C010101", stdout=out)
    assert "新登记 1" in out.getvalue() and "仅预览" in out.getvalue()
    assert not Cadre.objects.filter(name="李四").exists()
    call_command("import_lrmx", str(path), user="staff", unit="C010101", commit=True, stdout=io.StringIO())
    created = Cadre.objects.get(name="李四")
    assert created.id_number_masked == idnumber.mask(created.id_number) != ""  # kept by the bulk writer
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_lrmx", str(path), user="nobody", unit="C010101")


def test_exported_file_imports_back_unchanged(place, registered):
    data = exports.cadre_lrmx(place["staff"], registered)
    batch = _batch(place, [("a.lrmx", data)])
    assert (batch.files_unchanged, batch.errors) == (1, [])


def test_a_long_preview_pages_with_the_shared_pager_keeping_its_filter(client, place):
    from interop.models import LrmxBatch

    batch = _batch(place, [("a.lrmx", lrmx(make_id(place["born"])))])
    entry = batch.preview[0]
    entries = [{**entry, "file": f"f{n:02d}.lrmx"} for n in range(51)]  # one more than a page
    LrmxBatch.objects.filter(pk=batch.pk).update(preview=entries)
    client.force_login(place["staff"])
    url = reverse("interop:batch", args=[batch.pk])
    page = client.get(url, {"show": entry["action"]}).content.decode()
    assert "第 1–50 条，共 51 条" in page
    assert f"?show={entry['action']}&amp;page=2" in page
    assert "f50.lrmx" not in page
    second = client.get(url, {"show": entry["action"], "page": 2}).content.decode()
    assert "f50.lrmx" in second and "f00.lrmx" not in second
