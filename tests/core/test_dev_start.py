"""``./dev start`` serves with debug pages off: a newcomer meets the app's own Chinese error pages,
never Django's debug page with the URL list, and WhiteNoise serves the static files."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script_function(name):
    script = (ROOT / "dev").read_text(encoding="utf-8")
    start = script.index(f"{name}() {{")
    return script[start : script.index("\n}\n", start) + 3]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


@pytest.fixture
def dev_server(tmp_path):
    """runserver as ``./dev start`` runs it: local settings, --nostatic, no DJANGO_DEBUG set.
    No request below reads the database, so an empty SQLite file will do (no migrate: cheap)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--nostatic", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("runserver with the local settings did not start")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_dev_start_shows_the_chinese_404_page_and_serves_static_files(dev_server):
    status, html = _get(f"{dev_server}/nonexistent/")
    assert status == 404
    assert "页面不存在" in html
    assert "Using the URLconf" not in html  # Django's debug page lists every URL
    assert "DEBUG = True" not in html

    status, css = _get(f"{dev_server}/static/css/app.css")
    assert status == 200
    assert css.strip()
    status, _ = _get(f"{dev_server}/static/vendor/bootstrap/css/bootstrap.min.css")
    assert status == 200


def test_dev_start_runs_runserver_without_its_static_handler():
    script = (ROOT / "dev").read_text(encoding="utf-8")
    assert 'runserver --nostatic "$addr"' in script


@pytest.mark.parametrize(
    ("port", "hosts"),
    [
        ("127.0.0.1:8000", "localhost,127.0.0.1,[::1]"),
        ("8020", "localhost,127.0.0.1,[::1]"),
        ("192.168.1.5:8040", "localhost,127.0.0.1,[::1],192.168.1.5"),
        ("0.0.0.0:8030", "*"),
    ],
)
def test_dev_start_accepts_the_host_it_serves(port, hosts):
    """Debug off makes ALLOWED_HOSTS count: the address in PORT is accepted too."""
    shown = subprocess.run(
        ["bash", "-c", f'{_script_function("allowed_hosts")}\nallowed_hosts "$1"', "allowed_hosts", port],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == hosts


def test_debug_pages_can_still_be_turned_on_for_developers():
    def debug(extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env |= {"DJANGO_SETTINGS_MODULE": "config.settings.local"} | extra
        code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
        return subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert debug({}) == "False"
    assert debug({"DJANGO_DEBUG": "true"}) == "True"
