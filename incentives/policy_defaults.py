"""The incentive rules' defaults, written by migration 0002 (administrators then change the
stored rows). Each area appends the defaults of the kinds it registers, as
``(kind, key, params, note)``; the params must pass that kind's ``clean_params``."""

DEFAULT_RULES: list[tuple[str, str, dict, str]] = []

# 团队奖金池 (incentives.policy_pools): the tier coefficients of a team's bonus pool
DEFAULT_RULES.append(
    (
        "team_pool",
        "",
        {"excellent": 1.2, "good": 1, "average": 0.8, "poor": 0.5},
        "团队奖励实行总额管理和自主分配相结合：奖金池总额与团队年度绩效考评等次挂钩（舟山新区“三重”项目绩效奖励办法）。",
    )
)

# 三挂钩 lists (incentives.policy_lists; computed by incentives.lists)
DEFAULT_RULES.extend(
    [
        (
            "bonus_coefficients",
            "",
            {"excellent": 1.2, "competent": 1, "basic": 0.6, "incompetent": 0, "undetermined": 0},
            "考核结果与奖励挂钩（东港市“三挂钩”）：绩效奖金按个人年度考核等次的系数乘单位设定的奖金基数，"
            "召回期间扣发的绩效奖励从中扣除（黔西南干部召回管理）。系数为默认值，可按本地办法调整。",
        ),
        (
            "commendation",
            "",
            {
                "grades": ["优秀"],
                "interview_kinds": ["yuetan", "admonish"],
                "no_clue": "yes",
                "no_influence": "yes",
                "no_flag": "yes",
            },
            "考核结果与评先选优挂钩（东港市“三挂钩”）；年度内被约谈、诫勉或有未核实问题线索、处于处分影响期、"
            "有待研判预警的，不列入评先选优人选（咸阳、汉中从严管理干部做法）。",
        ),
        (
            "cs_awards",
            "",
            {"identities": ["civil_servant", "reference"], "jiajiang_grade": "优秀", "merit_years": 3},
            "公务员年度考核被确定为优秀等次的，给予嘉奖；连续三年被确定为优秀等次的，记三等功（《公务员考核规定》）。",
        ),
        (
            "priority_use",
            "excellent_2",
            {"criterion": "excellent_run", "value": 2, "mode": "hard", "weight": ""},
            "考核结果与干部管理使用挂钩：对完成任务成效突出的干部，予以表彰奖励或优先使用（陕西目标责任考核）。",
        ),
        (
            "priority_use",
            "no_clue",
            {"criterion": "no_clue", "value": "", "mode": "hard", "weight": ""},
            "有问题线索尚未核实的，暂缓使用，防止干部“带病提拔”（汉中）。",
        ),
        (
            "priority_use",
            "no_influence",
            {"criterion": "no_influence", "value": "", "mode": "hard", "weight": ""},
            "处于处分影响期内的，不得提拔使用。",
        ),
        (
            "priority_use",
            "frontline",
            {"criterion": "frontline", "value": 12, "mode": "soft", "weight": 10},
            "“在一线锻炼干部、到一线考察干部、从一线选拔干部”，对经受考验、表现突出的干部优先提拔使用（舟山“三个一线”）。",
        ),
        (
            "priority_use",
            "first_secretary",
            {"criterion": "first_secretary", "value": 12, "mode": "soft", "weight": 10},
            "选派干部到后进村、薄弱村担任第一书记，在基层和一线岗位历练（东港市、舟山“第一书记”选派）。",
        ),
        (
            "priority_use",
            "excellent_3",
            {"criterion": "excellent_run", "value": 3, "mode": "soft", "weight": 5},
            "连续三年优秀的，排序靠前。",
        ),
        (
            "reserved_post",
            "",
            {"years": 8, "min_grade": "称职"},
            "从州直机关拿出 10 个副处级职位，专门面向在乡镇连续任党政正职 8 年以上的乡镇党政正职选拔（黔西南州）。",
        ),
        (
            "young_selection",
            "",
            {
                "born_from_year": 1980,
                "ranks": ["zheng_chu", "fu_chu", "zheng_ke", "fu_ke"],
                "grassroots_months": 24,
                "grassroots_hard": "no",
            },
            "推出副县处级及乡镇党政正职岗位，面向“80后”副科以上干部公开比选，根据综合素质、基层一线经历、"
            "领导岗位任职经历等多维比较、择优确定人选（舟山新区）。",
        ),
        (
            "rank_tenure",
            "staff",
            {
                "from_rank": "staff",
                "to_rank": "staff_1",
                "years": 2,
                "excellent_months": 6,
                "not_counted": ["基本称职", "不定等次"],
            },
            "职级晋升须任下一职级满规定年限；任职期间每有一个优秀年度缩短半年，基本称职、不定等次年度不计算任职年限"
            "（参照《公务员职务与职级并行规定》，本系统职级序列有简化，按本地规定调整）。",
        ),
        (
            "rank_tenure",
            "staff_1",
            {
                "from_rank": "staff_1",
                "to_rank": "clerk_2",
                "years": 3,
                "excellent_months": 6,
                "not_counted": ["基本称职", "不定等次"],
            },
            "晋升主任科员职级须任一级科员满 3 年（参照《公务员职务与职级并行规定》，按本地规定调整）。",
        ),
        (
            "rank_tenure",
            "clerk_2",
            {
                "from_rank": "clerk_2",
                "to_rank": "clerk_1",
                "years": 2,
                "excellent_months": 6,
                "not_counted": ["基本称职", "不定等次"],
            },
            "晋升一级主任科员须任二级主任科员满 2 年（参照《公务员职务与职级并行规定》，按本地规定调整）。",
        ),
    ]
)

# 赛马红黄榜 (incentives.policy_tracks): per track, a unit's top and bottom by their track places
DEFAULT_RULES.append(
    (
        "track_board",
        "",
        {"red_count": 0, "red_share": "1/10", "yellow_count": 1, "yellow_share": "0/1"},
        "让勤政干部上“红榜”受表扬、“惰政”干部上“黄榜”亮丑（安龙县“双星创建”，黔西南州）；探索推行工作实绩末位淘汰制"
        "（舟山新区）。默认各赛道本单位排名前 10% 上红榜（向下取整，至少 1 人）、末位上黄榜，边界并列者一并列入。",
    )
)

# 基层服务年限 and 关爱标准 (incentives.policy_care)
DEFAULT_RULES.append(
    (
        "grassroots",
        "",
        {"recruit_min_years": 3, "move_min_years": 2, "recruit_window_months": 12},
        "严格新录用乡镇干部在乡镇机关至少服务三年的规定，在乡镇锻炼不足两年的，不允许借调上级机关或调离乡镇机关"
        "（铜川市乡镇干部流失调研）。参加工作一年内到乡镇的按新录用计。",
    )
)
DEFAULT_RULES.append(
    (
        "care",
        "",
        {
            "village_pay": 18900,
            "community_pay": 23300,
            "health_checks_per_year": 1,
            "hardship_visits_per_year": 1,
            "leave_min_days": 5,
            "subsidy_cycle": "monthly",
        },
        "村干部报酬 1.89 万元/年、社区干部 2.33 万元/年；每年体检、落实带薪休假、走访慰问艰苦边远岗位干部；"
        "离任村干部生活补贴按月发放。休假 5 天为《职工带薪年休假条例》最低档（工作满1年不满10年）。",
    )
)
