"""The fan-out of a province's recomputation through Redis and two real Celery workers: the
job finishes with every part counted and the grades one process gives. Needs PostgreSQL and
Redis (``celery_worker``, run by .ci/run)."""

import pytest

from assessment.services.recompute import period_recompute, recompute_queue
from core.models import JobState
from tests.assessment.test_recompute_fanout import outcome, province, scored_world  # noqa: F401 (a fixture)
from tests.core.celery_workers import (
    new_queue,
    require_services,
    sending_to,
    start_worker,
    stop_worker,
    wait_for,
)
from tests.factories import clear_results

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def two_workers():
    require_services()
    queue = new_queue()
    procs = [start_worker(queue, DJANGO_RECOMPUTE_FANOUT_MIN_ROWS=1) for _ in range(2)]
    try:
        with sending_to(queue):
            yield procs
    finally:
        for proc in procs:
            stop_worker(proc)


def test_two_workers_recompute_a_province_per_county_with_the_grades_of_one_process(two_workers, province):  # noqa: F811
    period = scored_world(province)
    period_recompute(period_id=period.pk)
    alone = outcome(period)
    clear_results(period)

    job = recompute_queue(period=period)
    wait_for(job, two_workers[0], seconds=120)

    assert job.state == JobState.DONE, f"job {job.state}: {job.error}"
    assert job.result["parts"] == 6
    assert (job.done, job.total) == (70, 70)
    assert outcome(period) == alone
