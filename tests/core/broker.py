"""Fixtures that put a broker in front of core.jobs: one that refuses every message (nothing
listens on its port) and one that records what would be sent."""

import os
from contextlib import contextmanager

import pytest

from config.celery import app as celery_app


def _reset_connections():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str, **conf):
    """Tasks go to the broker at ``url``. Celery reads CELERY_BROKER_URL from the environment
    before its own settings, so both change (and are restored)."""
    saved = {k: celery_app.conf[k] for k in ("broker_url", *conf)}
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf.update(broker_url=url, **conf)
    _reset_connections()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        _reset_connections()


@pytest.fixture
def broker_down():
    """Tasks are sent to a broker (not run in-process), and the broker refuses the connection."""
    with broker_at("redis://127.0.0.1:9/0", task_always_eager=False):
        yield


@pytest.fixture
def sent_messages(monkeypatch):
    """Tasks are sent to a broker that takes them: the job ids are recorded, nothing runs."""
    from core.tasks import run_job

    sent = []
    saved = celery_app.conf["task_always_eager"]
    # (not monkeypatch.setitem: the key is not "in" Celery's namespaced settings, so undoing it
    # would delete it and leave the default, False, behind)
    celery_app.conf.update(task_always_eager=False)
    monkeypatch.setattr(run_job, "apply_async", lambda args, **kw: sent.append(args[0]))
    yield sent
    celery_app.conf.update(task_always_eager=saved)
