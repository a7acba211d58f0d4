"""Browser fixtures: the app served by ``streamlit run`` on a free port, Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORDS = {
    "owner": ("collectivite@demo.tiers-lieux.fr", "demo-collectivite"),
    "holder": ("porteur@demo.tiers-lieux.fr", "demo-porteur"),
    "fund": ("fonds@demo.tiers-lieux.fr", "demo-fonds-isr"),
    "admin": ("admin@demo.tiers-lieux.fr", "demo-administrateur"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SEED = """
from matcher.services.demo import ensure_demo_database
from matcher.services.accounts import authenticate
ensure_demo_database("small")
from matcher.services import search
# Warm the engine once: numba writes its compiled kernels to its on-disk cache, so the
# server's first search does not compile them while the browser waits.
holder = authenticate("porteur@demo.tiers-lieux.fr", "demo-porteur")
needs = {"project_type": "coworking", "target_lon": 2.148, "target_lat": 43.928, "radius_km": 50}
table = search.search_premises(holder, needs, None, k=5).table
owner = authenticate("collectivite@demo.tiers-lieux.fr", "demo-collectivite")
mine = search.search_premises(owner, needs, None, k=50).table
if len(table):
    search.explain_premise(holder, needs, int(table["premise_id"].iloc[0]))
for pid in mine["premise_id"]:
    try:
        search.projects_for_premise(owner, int(pid), k=3)
        break
    except Exception:
        continue
"""


def _seed(env: dict[str, str]) -> None:
    """Seed the small demo and warm the engine in a child process (clean environment here)."""
    subprocess.run([sys.executable, "-c", _SEED], env=env, check=True, cwd=REPO, timeout=900)


def _start_app(env: dict[str, str], log_path: Path) -> tuple[str, subprocess.Popen, object]:
    """Return (base URL, process, log file) of ``streamlit run app.py`` once it answers."""
    port = _free_port()
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return url, proc, log
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail("Streamlit n'a pas démarré : " + log_path.read_text()[-2000:])
        time.sleep(0.5)  # polling the health endpoint until it answers


def _stop_app(proc: subprocess.Popen, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser_env(tmp_path_factory) -> dict[str, str]:
    """Return the environment of the app under test: the small demo, seeded and warmed."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium de Debian absent (/usr/bin/chromium) : apt-get install chromium")
    data = tmp_path_factory.mktemp("browser-data")
    cache = REPO / "data" / "cache"
    if cache.is_dir():  # reuse the territorial reference already built (saves a rebuild)
        shutil.copytree(cache, data / "cache", dirs_exist_ok=True)
    env = {
        **os.environ,
        "MATCHER_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'db.sqlite'}",
        "MATCHER_DEMO": "1",
        "MATCHER_DEMO_SIZE": "small",
        "PYTHONPATH": str(REPO),
    }
    _seed(env)
    return env


@pytest.fixture(scope="session")
def browser_db(browser_env) -> Path:
    """Return the SQLite file the app under test uses (to check what it wrote)."""
    return Path(browser_env["DATABASE_URL"].removeprefix("sqlite:///"))


@pytest.fixture(scope="session")
def app_url(browser_env):
    """Return the base URL of the app started on the small demo; stop it afterwards."""
    data = Path(browser_env["MATCHER_DATA_DIR"])
    url, proc, log = _start_app(browser_env, data / "streamlit.log")
    yield url
    _stop_app(proc, log)


#: Idle timeout of the second server, in seconds (long enough for a login on a loaded machine).
SHORT_IDLE_S = 30


@pytest.fixture(scope="session")
def short_idle_app_url(browser_env):
    """Return the URL of a second server on the same database whose sessions idle out fast."""
    data = Path(browser_env["MATCHER_DATA_DIR"])
    env = {**browser_env, "MATCHER_SESSION_IDLE_SECONDS": str(SHORT_IDLE_S)}
    url, proc, log = _start_app(env, data / "streamlit-idle.log")
    yield url
    _stop_app(proc, log)


@pytest.fixture(scope="session")
def browser(app_url):
    """Return a headless Chromium (Debian's binary, never a downloaded one)."""
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Return the git-ignored folder receiving screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
