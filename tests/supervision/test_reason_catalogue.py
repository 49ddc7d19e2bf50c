from audit.models import AuditEntry
from supervision.models import InterviewReason


def test_the_catalogue_is_seeded_with_the_situation_lists(db):
    counts = {
        a: InterviewReason.objects.filter(audience=a).count()
        for a in ("team", "leader", "party_main", "admin_main")
    }
    assert counts == {"team": 6, "leader": 12, "party_main": 6, "admin_main": 6}
    assert InterviewReason.objects.filter(text="大局意识和政治观念不强", audience="team").exists()


def test_an_administrator_edits_the_catalogue_and_the_change_is_audited(admin_client):
    reason = InterviewReason.objects.get(text="不主动履行党建责任")
    response = admin_client.post(
        f"/admin/supervision/interviewreason/{reason.pk}/change/",
        {"audience": "party_main", "text": "不主动履行管党治党责任", "order": 1, "active": "on"},
    )
    assert response.status_code == 302
    reason.refresh_from_db()
    assert reason.text == "不主动履行管党治党责任"
    entry = AuditEntry.objects.get(model="supervision.interviewreason")
    assert entry.changes == {"text": ["不主动履行党建责任", "不主动履行管党治党责任"]}


def test_the_audit_trail_is_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/audit/auditentry/add/").status_code == 403
