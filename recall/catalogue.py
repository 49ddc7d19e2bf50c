"""The 惰政 situations [002] counts (30 kinds in five groups), written by migration 0002 as
editable data: (group, code, name, points, cause). Administrators add, change or switch them off."""

SITUATIONS = [
    # 不会干: ability
    ("cannot", "C01", "业务不熟、能力不足，不能胜任本职工作", 3, "ability"),
    ("cannot", "C02", "学习不够、本领恐慌，完不成目标任务", 3, "ability"),
    ("cannot", "C03", "工作方法简单粗暴，处置不当引发矛盾", 3, "ability"),
    # 不想干: will
    ("unwilling", "U01", "安于现状、不思进取，工作不在状态", 3, "lax"),
    ("unwilling", "U02", "推诿扯皮、敷衍塞责，得过且过", 3, "lax"),
    ("unwilling", "U03", "闹不团结，干部群众反映大", 4, "disunity"),
    # 政治纪律“十严禁”
    ("political", "P01", "严禁公开发表违背党的路线方针政策的言论", 12, "discipline"),
    ("political", "P02", "严禁在重大原则问题上不同党中央保持一致", 12, "discipline"),
    ("political", "P03", "严禁参加非法组织和非法活动", 12, "discipline"),
    ("political", "P04", "严禁搞团团伙伙、结党营私、拉帮结派", 12, "discipline"),
    ("political", "P05", "严禁对抗组织审查、串供或者伪造销毁证据", 12, "discipline"),
    ("political", "P06", "严禁搞封建迷信活动", 6, "discipline"),
    ("political", "P07", "严禁编造传播政治谣言", 12, "discipline"),
    ("political", "P08", "严禁阳奉阴违，对上级决策部署搞变通", 6, "discipline"),
    ("political", "P09", "严禁隐瞒不报个人有关事项", 6, "discipline"),
    ("political", "P10", "严禁拒不执行或隐瞒不报召回等组织决定", 12, "discipline"),
    # 作风要求“十不准”
    ("style", "S01", "不准上班迟到早退、擅离职守", 2, "lax"),
    ("style", "S02", "不准工作时间上网聊天、玩游戏、炒股", 2, "lax"),
    ("style", "S03", "不准工作日午间饮酒或酒后上岗", 4, "discipline"),
    ("style", "S04", "不准会议、学习期间打瞌睡、玩手机", 2, "lax"),
    ("style", "S05", "不准对群众态度生硬、吃拿卡要", 4, "discipline"),
    ("style", "S06", "不准违规公款吃喝、接受宴请", 6, "discipline"),
    ("style", "S07", "不准公车私用", 4, "discipline"),
    ("style", "S08", "不准参与赌博", 6, "discipline"),
    ("style", "S09", "不准“走读”、吃“空饷”", 6, "absenteeism"),
    ("style", "S10", "不准在办事中设置障碍、故意刁难", 4, "lax"),
    # 慵懒散慢浮
    ("lax", "L01", "慵：精神萎靡、无所用心", 2, "lax"),
    ("lax", "L02", "懒：长期不作为、工作拖拉", 3, "lax"),
    ("lax", "L03", "散：纪律松弛、长期旷工、不能正常履职", 6, "absenteeism"),
    ("lax", "L04", "慢：办事效率低、久拖不办", 2, "lax"),
    ("lax", "L05", "浮：作风漂浮、弄虚作假、不深入基层", 3, "lax"),
]
