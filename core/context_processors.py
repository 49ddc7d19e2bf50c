from django.urls import NoReverseMatch, reverse

# Navigation for the apps as they arrive; an entry without a URL name is shown as 建设中.
NAV = [
    ("首页", "home", "bi-house", None),
    ("干部名册", "cadres:list", "bi-people", None),
    ("组织机构", "cadres:units", "bi-diagram-3", None),
    ("考核评价", "assessment:periods", "bi-clipboard-data", None),
    ("复核申诉", "assessment:appeals", "bi-envelope-exclamation", None),
    ("谈话监督", "supervision:interviews", "bi-chat-square-text", None),
    ("监督档案", "supervision:records_home", "bi-folder2-open", None),
    ("召回管理", "recall:cases", "bi-arrow-repeat", None),
    ("预警研判", "recall:flags", "bi-exclamation-diamond", None),
    ("激励关爱", "incentives:home", "bi-award", None),
    ("民情工单", "workorders:home", "bi-inbox", None),
    ("全程纪实", "audit:list", "bi-journal-text", "view_audit"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for label, url_name, icon, capability in NAV:
        if capability and not user.can(capability):
            continue
        url = None
        if url_name:
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                url = None
        active = bool(url) and (request.path == url if url == "/" else request.path.startswith(url))
        items.append({"label": label, "url": url, "icon": icon, "active": active})
    # /cadres/units/ also starts with /cadres/: only the longest matching entry is active.
    longest = max((len(i["url"]) for i in items if i["active"]), default=0)
    for item in items:
        item["active"] = item["active"] and len(item["url"]) == longest
    return {"nav_items": items}
