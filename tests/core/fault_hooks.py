"""Loaded into a test worker with ``--include tests.core.fault_hooks``: the first attempt of
every recomputation and import job reports progress, then holds for
``JOB_FAULT_HOLD_SECONDS``, so a test can kill the worker while the job is running. Later
attempts run as usual. Nothing outside the fault tests loads this module."""

import os
import time

from assessment.services import imports, recompute
from core import jobs

HOLD = float(os.environ.get("JOB_FAULT_HOLD_SECONDS", "0"))


def _held(handler):
    def run(job):
        if job.attempts == 1 and HOLD:
            jobs.progress(job, 0)
            time.sleep(HOLD)
        return handler(job)

    return run


for kind in (recompute.JOB_KIND, imports.VALIDATE_JOB, imports.COMMIT_JOB):
    jobs.HANDLERS[kind] = _held(jobs.HANDLERS[kind])
