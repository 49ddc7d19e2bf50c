"""The default catalogue of situations that call for a 约谈 (咸阳 rule, DOMAIN.md [001]):
6 for leadership teams, 12 for leading cadres, 6 for party main leaders and 6 for administrative
main leaders. The items the source names are first; administrators edit the rest."""

from django.db import migrations

CATALOGUE = {
    "team": [
        "大局意识和政治观念不强",
        "贯彻落实上级决策部署不力，重点工作推进迟缓",
        "民主集中制执行不到位，班子不团结、内耗严重",
        "落实全面从严治党主体责任不力",
        "作风不实，群众反映强烈",
        "年度考核或综合研判中发现突出问题",
    ],
    "leader": [
        "不严格遵守党的政治纪律和政治规矩",
        "贯彻执行上级决策部署不坚决、不到位",
        "履行岗位职责不力，工作打不开局面",
        "不敢担当、不愿作为，推诿扯皮",
        "违反民主集中制，搞个人说了算",
        "不注意团结，影响班子整体功能发挥",
        "落实“一岗双责”不到位",
        "违反中央八项规定精神苗头性、倾向性问题",
        "群众反映较多或有举报需要说明情况",
        "个人有关事项报告不如实",
        "年度考核中群众评价较差",
        "其他需要约谈的情形",
    ],
    "party_main": [
        "不主动履行党建责任",
        "不从严管理监督班子成员及党员干部",
        "选人用人把关不严",
        "对班子成员苗头性问题不及时提醒纠正",
        "不带头执行民主集中制",
        "管党治党责任落实不到位，发生严重问题",
    ],
    "admin_main": [
        "不认真执行党委（党组）决定",
        "行政事务决策程序不规范",
        "重大项目、重点任务推进不力",
        "财经纪律执行不严",
        "安全生产、信访稳定等责任落实不到位",
        "依法行政不到位，造成不良影响",
    ],
}


def seed(apps, schema_editor):
    Reason = apps.get_model("supervision", "InterviewReason")
    Reason.objects.bulk_create(
        [
            Reason(audience=audience, text=text, order=i)
            for audience, texts in CATALOGUE.items()
            for i, text in enumerate(texts, start=1)
        ],
        ignore_conflicts=True,
    )


def unseed(apps, schema_editor):
    Reason = apps.get_model("supervision", "InterviewReason")
    for audience, texts in CATALOGUE.items():
        Reason.objects.filter(audience=audience, text__in=texts).delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
