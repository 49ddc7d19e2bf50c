"""Hand-written files imitating what other editors make: unknown elements, CDATA, ``yyyyMM``
and ``yyyyMMdd`` dates, a missing photo, a GBK LRM with its .pic, a GB2312 declaration."""

import base64
import datetime
import io
import zipfile

import pytest

from cadres.models import Cadre, Education, PostRecord
from interop import lrm, services
from interop.models import BatchStatus
from tests.factories import make_id

from .conftest import jpeg


def lrmx(number: str, name="李四", *, extra="", photo="", sex="男", born="198005", work="20020715",
         party="200307", resume=None, encoding="UTF-8", declaration=True) -> bytes:  # fmt: skip
    resume = resume if resume is not None else (
        "<![CDATA[1998.09--2002.07  湖南大学行政管理专业学生\n2002.07--2010.06  城关镇党政办科员\n"
        "2010.06--          城关镇党委副书记\n（其间：2008.09--2011.07在省委党校函授学习）]]>"
    )  # fmt: skip
    head = f'<?xml version="1.0" encoding="{encoding}" standalone="yes"?>\n' if declaration else ""
    text = f"""{head}<Person>
  <XingMing>{name}</XingMing><XingBie>{sex}</XingBie><ChuShengNianYue>{born}</ChuShengNianYue>
  <MinZu>汉</MinZu><JiGuan>湖南长沙</JiGuan><ChuShengDi>湖南宁乡</ChuShengDi>
  <RuDangShiJian>{party}</RuDangShiJian><CanJiaGongZuoShiJian>{work}</CanJiaGongZuoShiJian>
  <JianKangZhuangKuang>健康</JianKangZhuangKuang><ZhuanYeJiShuZhiWu/><ShuXiZhuanYeYouHeZhuanChang>农村工作</ShuXiZhuanYeYouHeZhuanChang>
  <QuanRiZhiJiaoYu_XueLi>大学本科</QuanRiZhiJiaoYu_XueLi><QuanRiZhiJiaoYu_XueWei>管理学学士</QuanRiZhiJiaoYu_XueWei>
  <QuanRiZhiJiaoYu_XueLi_BiYeYuanXiaoXi>湖南大学行政管理专业</QuanRiZhiJiaoYu_XueLi_BiYeYuanXiaoXi>
  <QuanRiZhiJiaoYu_XueWei_BiYeYuanXiaoXi>湖南大学</QuanRiZhiJiaoYu_XueWei_BiYeYuanXiaoXi>
  <ZaiZhiJiaoYu_XueLi>研究生</ZaiZhiJiaoYu_XueLi><ZaiZhiJiaoYu_XueWei></ZaiZhiJiaoYu_XueWei>
  <ZaiZhiJiaoYu_XueLi_BiYeYuanXiaoXi>中共湖南省委党校经济管理专业</ZaiZhiJiaoYu_XueLi_BiYeYuanXiaoXi>
  <XianRenZhiWu>城关镇党委副书记</XianRenZhiWu><NiRenZhiWu>城关镇党委书记</NiRenZhiWu><NiMianZhiWu/>
  <JianLi>{resume}</JianLi>
  <JiangChengQingKuang><![CDATA[2019年度获县优秀共产党员称号]]></JiangChengQingKuang>
  <NianDuKaoHeJieGuo>2023年年度考核“称职”等次。</NianDuKaoHeJieGuo><RenMianLiYou/>
  <JiaTingChengYuan><Item><ChengWei>妻子</ChengWei><XingMing>赵五</XingMing><ChuShengRiQi>198102</ChuShengRiQi><ZhengZhiMianMao>群众</ZhengZhiMianMao><GongZuoDanWeiJiZhiWu>某小学教师</GongZuoDanWeiJiZhiWu></Item></JiaTingChengYuan>
  <ChengBaoDanWei>东岭县委组织部</ChengBaoDanWei><JiSuanNianLingShiJian>20250101</JiSuanNianLingShiJian>
  <TianBiaoShiJian>20250101</TianBiaoShiJian><TianBiaoRen>某人</TianBiaoRen>
  <ShenFenZheng>{number}</ShenFenZheng><ZhaoPian>{photo}</ZhaoPian>{extra}<Version>3.2.1.6</Version>
</Person>"""
    return text.encode("gbk" if encoding.lower() in ("gb2312", "gbk") else "utf-8")


def _batch(place, files, **kw):
    return services.batch_create(actor=place["staff"], unit=place["town"], files=files, **kw)


def test_file_with_unknown_elements_cdata_and_both_date_forms_creates_the_cadre(place):
    number = make_id(place["born"])
    data = lrmx(
        number, extra="<GaiGeQianRenZhiNianLingJieXian>55</GaiGeQianRenZhiNianLingJieXian><Foo><Bar/></Foo>"
    )
    batch = _batch(place, [("李四.lrmx", data)])
    assert batch.errors == []
    entry = batch.preview[0]
    assert entry["action"] == "create"
    assert any("GaiGeQianRenZhiNianLingJieXian" in n and "Foo" in n for n in entry["notes"])
    services.batch_commit(actor=place["staff"], batch=batch)
    cadre = Cadre.objects.get(name="李四")
    assert cadre.unit == place["town"]
    assert cadre.ethnicity == "汉族"
    assert cadre.work_start_date == datetime.date(2002, 7, 15)  # yyyyMMdd
    assert cadre.party_join_date == datetime.date(2003, 7, 1)  # yyyyMM
    assert cadre.post_title == "党委副书记"  # the unit's name the file puts first is the unit
    facts = cadre.facts
    assert (facts.native_place, facts.birth_place, facts.health) == ("湖南长沙", "湖南宁乡", "健康")
    assert facts.rewards_text == "2019年度获县优秀共产党员称号"
    assert facts.family == [
        {"relation": "妻子", "name": "赵五", "birth": "198102", "politics": "群众", "work": "某小学教师"}
    ]
    assert facts.resume_text == "（其间：2008.09--2011.07在省委党校函授学习）"
    assert facts.photo is None  # the file had none
    posts = list(
        PostRecord.objects.filter(cadre=cadre)
        .order_by("start_date")
        .values_list("unit_name", "title", "start_date", "end_date")
    )
    assert posts == [
        ("湖南大学行政管理专业", "学生", datetime.date(1998, 9, 1), datetime.date(2002, 7, 1)),
        ("城关镇", "党政办科员", datetime.date(2002, 7, 1), datetime.date(2010, 6, 1)),
        ("城关镇", "党委副书记", datetime.date(2010, 6, 1), None),
    ]
    assert PostRecord.objects.get(cadre=cadre, title="党政办科员").unit == place["town"]
    edus = {e.mode: e for e in Education.objects.filter(cadre=cadre)}
    assert (edus["full_time"].level, edus["full_time"].degree, edus["full_time"].school, edus["full_time"].major) == (
        "bachelor", "管理学学士", "湖南大学", "行政管理",
    )  # fmt: skip
    # the graduation date comes from the résumé line that names the school
    assert edus["full_time"].end_date == datetime.date(2002, 7, 1)
    assert (edus["in_service"].level, edus["in_service"].school, edus["in_service"].major) == (
        "postgraduate", "中共湖南省委党校", "经济管理",
    )  # fmt: skip


def test_gbk_lrm_with_its_pic_photo_is_read(place):
    from interop.person import Person

    number = make_id(place["born"], female=True)
    person = Person(values={
        "XingMing": "王芳", "XingBie": "女", "ChuShengNianYue": "1980.05", "MinZu": "汉族",
        "RuDangShiJian": "2004.06", "CanJiaGongZuoShiJian": "2002.08", "XianRenZhiWu": "城关镇副镇长",
        "JianLi": "2002.08--2015.03  城关镇科员\n2015.03--  城关镇副镇长", "ShenFenZheng": number,
        "QuanRiZhiJiaoYu_XueLi": "大学专科", "QuanRiZhiJiaoYu_XueLi_BiYeYuanXiaoXi": "湖南农业大学农学专业",
    }, family=[{"relation": "丈夫", "name": "陈六", "birth": "1979.01", "politics": "中共党员", "work": "某局干部"}])  # fmt: skip
    data = lrm.write(person)
    data.decode("gbk")  # really GBK
    photo = jpeg()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("王芳.lrm", data)
        z.writestr("王芳.pic", photo)
    batch = _batch(place, [("县里.zip", buf.getvalue())])
    assert batch.errors == [], batch.errors
    services.batch_commit(actor=place["staff"], batch=batch)
    cadre = Cadre.objects.get(name="王芳")
    assert cadre.gender == "F"
    assert cadre.party_join_date == datetime.date(2004, 6, 1)
    assert bytes(cadre.facts.photo) == photo
    assert cadre.facts.family[0]["name"] == "陈六"
    assert Education.objects.get(cadre=cadre).level == "college"
    assert PostRecord.objects.filter(cadre=cadre).count() == 2


def test_lrm_without_its_pic_says_the_photo_is_unchanged(place):
    from interop.person import Person

    number = make_id(place["born"])
    data = lrm.write(
        Person(
            values={
                "XingMing": "赵七",
                "CanJiaGongZuoShiJian": "200207",
                "XianRenZhiWu": "科员",
                "ShenFenZheng": number,
            }
        )
    )
    batch = _batch(place, [("赵七.lrm", data)])
    assert batch.errors == []
    assert any(".pic" in n for n in batch.preview[0]["notes"])


def test_lrmx_declaring_gb2312_is_read_by_its_declaration(place):
    batch = _batch(place, [("a.lrmx", lrmx(make_id(place["born"]), encoding="GB2312"))])
    assert batch.errors == []
    assert batch.preview[0]["name"] == "李四"


def test_lrmx_saved_as_gbk_but_declaring_utf8_gets_a_clear_message(place):
    data = lrmx(make_id(place["born"])).decode("utf-8").encode("gbk")
    batch = _batch(place, [("坏编码.lrmx", data)])
    assert batch.status == BatchStatus.INVALID
    assert batch.errors[0]["file"] == "坏编码.lrmx"
    assert "GBK" in batch.errors[0]["message"] and "UTF-8" in batch.errors[0]["message"]


def test_photo_is_read_from_base64_and_a_broken_one_is_an_error_naming_the_element(place):
    photo = jpeg()
    ok = _batch(place, [("a.lrmx", lrmx(make_id(place["born"]), photo=base64.b64encode(photo).decode()))])
    assert ok.errors == []
    bad = _batch(
        place, [("b.lrmx", lrmx(make_id(place["born"]), photo=base64.b64encode(b"not an image").decode()))]
    )
    assert bad.errors == [
        {"file": "b.lrmx", "element": "ZhaoPian（照片）", "message": "ZhaoPian（照片）不是有效的图片。"}
    ]


@pytest.mark.parametrize(
    "given,expected",
    [("198005", None), ("19800517", None), ("1980.05", None), ("198006", "出生年月与身份证号不一致")],
)
def test_birth_month_must_agree_with_the_id_number(place, given, expected):
    batch = _batch(place, [("a.lrmx", lrmx(make_id(place["born"]), born=given))])
    messages = [e["message"] for e in batch.errors]
    if expected is None:
        assert messages == []
    else:
        assert any(expected in m for m in messages)
        assert batch.errors[0]["element"] == "ChuShengNianYue（出生年月）"
