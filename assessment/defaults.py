"""The default scheme and grading policy, written to the database by migration 0002.

These are seed data, not code paths: the engine reads only the stored rows, which
administrators change (and override per unit) without touching this file.
"""

LEADER_KINDS = ["leader_chu", "leader_ke"]

# ../shared/SHEETS.md: 德 | 能 | 勤 | 绩 | 廉 | 民主测评, each 0–100.
ANNUAL_SCHEME = {
    "name": "年度考核量化评价默认方案",
    "description": "共性指标：德、能、勤、绩、廉与民主测评，每项 0–100 分，按权重折算为百分制总分。",
    "indicators": [
        # code, name, dimension, weight
        ("德", "政治素质和道德品行", "德", 15),
        ("能", "履职能力", "能", 15),
        ("勤", "工作作风和勤勉敬业", "勤", 15),
        ("绩", "工作实绩", "绩", 30),
        ("廉", "廉洁自律", "廉", 10),
        ("民主测评", "民主测评（群众评价）", "综合", 15),
    ],
}

QUARTER_SCHEME = {
    "name": "季度平时考核默认方案",
    "description": "季度平时考核按得分（0–100）评定好、较好、一般、较差。",
    "indicators": [("得分", "平时考核得分", "综合", 100)],
}

# (kind, key, params, note)
POLICY_RULES = [
    (
        "thresholds",
        "",
        {"excellent_min": 90, "competent_min": 70, "basic_min": 60},
        "总分不低于称职线为称职，不低于基本称职线为基本称职，否则不称职；达到优秀线方可参与优秀名额分配。",
    ),
    (
        "quota",
        "",
        {"ratio": 0.20, "rounding": "floor", "tie_break": ["绩", "德"]},
        "优秀不超过本单位参加考核人数的 20%，名额向下取整；按总分从高到低确定。",
    ),
    (
        "quarter_thresholds",
        "",
        {"good_min": 90, "fair_min": 80, "average_min": 60},
        "季度平时考核：90 分以上为好，80 分以上为较好，60 分以上为一般，其余为较差。",
    ),
    (
        "team_thresholds",
        "",
        {"excellent_min": 90, "good_min": 80, "average_min": 60},
        "领导班子得分取班子成员年度总分的平均分。",
    ),
    (
        "quarter_feed",
        "poor_1",
        {"grade": "较差", "min_count": 1, "cap": "称职"},
        "年度内有一个季度平时考核为较差的，不得评为优秀。",
    ),
    (
        "quarter_feed",
        "poor_2",
        {"grade": "较差", "min_count": 2, "cap": "基本称职"},
        "年度内有两个及以上季度平时考核为较差的，年度至多基本称职。",
    ),
    (
        "yuetan_cadre",
        "1",
        {"min_count": 1, "cap": "称职", "kinds": LEADER_KINDS},
        "领导干部年度内被约谈 1 次的，不得评为优秀（咸阳）。",
    ),
    (
        "yuetan_cadre",
        "2",
        {"min_count": 2, "cap": "基本称职", "kinds": LEADER_KINDS},
        "领导干部年度内被约谈 2 次及以上的，直接确定为基本称职或不称职（咸阳）。",
    ),
    (
        "yuetan_team",
        "2",
        {"min_count": 2, "team_cap": "良好", "main_leader_cap": "称职"},
        "领导班子年度内被约谈 2 次的，班子不得评为优秀，主要负责人不得评为优秀（咸阳）。",
    ),
    (
        "yuetan_team",
        "3",
        {"min_count": 3, "team_cap": "一般", "main_leader_cap": "称职"},
        "领导班子年度内被约谈 3 次及以上的，班子直接确定为一般或较差（咸阳）。",
    ),
    (
        "influence",
        "warning",
        {"sanction": "warning", "months": 6, "basis": "decided_in_period", "effect": "cap", "cap": "称职"},
        "受警告处分的，当年不得评为优秀（影响期 6 个月）。",
    ),
    (
        "influence",
        "demerit",
        {"sanction": "demerit", "months": 12, "basis": "overlaps_period", "effect": "undetermined"},
        "受记过处分的，影响期 12 个月内参加年度考核，不定等次。",
    ),
    (
        "influence",
        "major_demerit",
        {"sanction": "major_demerit", "months": 18, "basis": "overlaps_period", "effect": "undetermined"},
        "受记大过处分的，影响期 18 个月内参加年度考核，不定等次。",
    ),
    (
        "influence",
        "demotion",
        {"sanction": "demotion", "months": 24, "basis": "overlaps_period", "effect": "undetermined"},
        "受降级处分的，影响期 24 个月内参加年度考核，不定等次。",
    ),
    (
        "influence",
        "dismissal",
        {"sanction": "dismissal", "months": 24, "basis": "overlaps_period", "effect": "undetermined"},
        "受撤职处分的，影响期 24 个月内参加年度考核，不定等次。",
    ),
]

# Issue 17: who is not graded and why, missing components, the appeal deadline (seeded by
# migration 0012; the kinds are in ``assessment.services.policy.PARAM_SPECS``).
UNGRADED_RULES = [
    (
        "probation",
        "",
        {"effect": "undetermined", "in_quota_base": "no"},
        "新录用人员考核年度末仍在试用期内的，参加年度考核只写评语、不定等次，不占优秀名额。",
    ),
    (
        "long_leave",
        "",
        {
            "effect": "not_assessed",
            "share": "1/2",
            "leave_kinds": ["sick", "personal", "other"],
            "in_quota_base": "no",
        },
        "考核年度内病假、事假等累计超过半年的，不参加年度考核。",
    ),
    (
        "investigation",
        "",
        {"effect": "undetermined", "in_quota_base": "no"},
        "被立案审查尚未结案的，参加年度考核，不定等次；结案后未受处分的，按规定确定等次。",
    ),
    (
        "missing_scores",
        "",
        {"mode": "ungraded", "codes": []},
        "缺少指标得分的，不评定等次（可改为按其余指标权重折算，或取本单位平均分）。",
    ),
    (
        "appeal",
        "",
        {"days": 30},
        "对年度考核等次不服的，可在考核结果公布之日起 30 日内申请复核。",
    ),
]
