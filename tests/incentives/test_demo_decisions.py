"""seed_demo's incentives part: bonus bases, granted and declined decisions on every list the
demo city has entries for (a left-out cadre granted with the reason), and two team pools whose
shares add up to the pool; a second run adds nothing."""

from django.core.management import call_command
from django.db.models import Sum

from incentives.demo_decisions import seed_decisions
from incentives.models import BonusBase, Decision, Entry, PoolKind, TeamPool


def test_the_demo_decides_on_every_list_and_shares_out_two_pools(db):
    call_command("seed_demo", cadres=300, verbosity=0)
    assert BonusBase.objects.count() >= 2
    listed = set(Entry.objects.values_list("kind", flat=True))
    assert {"bonus", "commendation", "rank_promotion", "rank_drop"} <= listed
    for kind in listed:
        verdicts = set(Decision.objects.filter(kind=kind).values_list("verdict", flat=True))
        assert verdicts == {"granted", "declined"}, kind
    against = Decision.objects.filter(verdict="granted", snapshot__eligible=False)
    assert against.exists()
    # the bonus list was computed again with the bases: granted bonuses carry an amount
    assert not Decision.objects.filter(kind="bonus", verdict="granted", amount__isnull=True).exists()
    assert set(TeamPool.objects.values_list("kind", flat=True)) == {PoolKind.UNIT, PoolKind.PROJECT}
    for pool in TeamPool.objects.all():
        assert pool.shares.aggregate(s=Sum("amount"))["s"] == pool.total
    before = (Decision.objects.count(), TeamPool.objects.count(), BonusBase.objects.count())
    seed_decisions()
    assert (Decision.objects.count(), TeamPool.objects.count(), BonusBase.objects.count()) == before
