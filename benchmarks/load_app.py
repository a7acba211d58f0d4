"""Load test of the web application: N logged-in browser sessions searching and changing pages.

    .venv/bin/python benchmarks/load_app.py                  # 20 sessions, 2 minutes each phase
    .venv/bin/python benchmarks/load_app.py --sessions 5 --seconds 30 --size small

What it does, in one run:

1. Seeds a throw-away database in a temporary folder with the demo (``--size``:
   ``full``, 20,000 premises, or ``small``) plus one project-holder account per
   session, and warms the engine (its compiled kernels are cached on disk).
2. Starts ``streamlit run app.py`` on 127.0.0.1 on a free port, alone on that
   database, and waits for its health check.
3. Drives Debian's Chromium through Playwright (one browser, one context per
   session): every session logs in with its own account, then until the phase
   ends repeats: open "Trouver un lieu", pick a town, set the radius, run the
   search, open "Mes projets". A search's time is the user's: from the click on
   "Rechercher" to the end of the run that shows the results (the server's
   answer rendered in the page; the browsers run without WebGL, so the maps'
   drawing, done by each user's own machine, is left out).
4. Phase 1: one session alone (the baseline); phase 2: all sessions at once. A
   phase's clock starts once its sessions are logged in (four log in at a time).
   The server's resident memory is sampled every half second.
5. Prints, per phase: searches, page changes, errors (exceptions, time-outs,
   error messages on the page), p50 / p95 / max of the search and page-change
   times, peak and final server memory; and the ratios phase 2 / phase 1.

Only 127.0.0.1 is contacted; every wait has a time-out and each phase stops
by itself after ``--seconds``. Nothing is downloaded (Chromium is Debian's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # No WebGL: the maps are drawn by each user's own browser, and 20 software-rendered
    # maps on the server's two cores would measure Chromium, not the server.
    "--disable-webgl", "--disable-3d-apis",
]  # fmt: skip
TOWNS = ["Albi", "Rennes", "Tours", "Dijon", "Brest", "Nancy", "Pau", "Limoges", "Angers",
         "Besançon", "Poitiers", "Amiens", "Rodez", "Valence", "Colmar", "Niort"]  # fmt: skip
PASSWORD = "charge-de-test-1"
#: Longest wait for one action (the machines these run on are shared and often loaded).
ACTION_TIMEOUT_MS = 300_000
#: A click followed by no run for this long was lost (see :func:`_after_run`).
LOST_CLICK_MS = 45_000
#: Sessions logging in at the same time (the others queue): 20 browsers loading the app's
#: scripts at once is not what is measured.
LOGINS_AT_ONCE = 4
RUN_COUNTER = """
window.__matcherRuns = 0;
new MutationObserver((changes) => {
  for (const change of changes) {
    if (change.target.getAttribute('data-test-script-state') === 'notRunning') {
      window.__matcherRuns += 1;
    }
  }
}).observe(document, {attributes: true, subtree: true,
                      attributeFilter: ['data-test-script-state']});
"""

SEED = """
import sys
from matcher.services import accounts, search
from matcher.services.demo import DEMO_ACCOUNTS, ensure_demo_database
size = sys.argv[1]
ensure_demo_database(None if size == "full" else size)
admin = accounts.authenticate(*DEMO_ACCOUNTS["admin"][:2])
holder = accounts.authenticate(*DEMO_ACCOUNTS["holder"][:2])
for i in range(int(sys.argv[2])):
    accounts.create_user(admin, f"charge{i:02d}@charge.example.fr", "holder",
                         holder.organisation_id, sys.argv[3])
needs = {"project_type": "coworking", "target_lon": 2.148, "target_lat": 43.928, "radius_km": 80}
search.search_premises(holder, needs, None, k=50)  # compiles (or loads) the kernels once
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    sessions: int
    searches: list[float] = field(default_factory=list)
    pages: list[float] = field(default_factory=list)
    logins: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    lost_clicks: int = 0


async def _idle(page) -> None:
    """Wait until the app runs no script."""
    await page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=ACTION_TIMEOUT_MS
    )


async def _after_run(page, action, phase: Phase | None = None) -> float:
    """Do ``action`` (it makes the app rerun); return the seconds until that run finished.

    With ``phase`` the action is a click that may be done again: a click landing while
    the page redraws is lost by the browser (no run starts, the server never hears of
    it). After :data:`LOST_CLICK_MS` without a run, and none running, it is clicked
    again (at most twice) and counted in ``phase.lost_clicks``; the time runs from the
    first click, so a lost click costs the user its wait.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    before = await page.evaluate("window.__matcherRuns")
    started = time.perf_counter()
    for attempt in range(3):
        await action()
        if phase is None:
            break
        try:
            await page.wait_for_function(f"window.__matcherRuns > {before}", timeout=LOST_CLICK_MS)
            break
        except PlaywrightTimeout:
            state = await page.get_by_test_id("stApp").get_attribute("data-test-script-state")
            if state == "running" or attempt == 2:  # slow, not lost: wait for that run
                break
            phase.lost_clicks += 1
    await page.wait_for_function(f"window.__matcherRuns > {before}", timeout=ACTION_TIMEOUT_MS)
    await _idle(page)
    return time.perf_counter() - started


async def _navigate(page, phase: Phase, title: str, path: str) -> float:
    """Open a page by its sidebar link; return the seconds until it is drawn and idle.

    Done when the address shows the page and its title is drawn (a page change remounts
    the app, so counting runs can miss it). A click after which the address has not
    changed for :data:`LOST_CLICK_MS` is clicked again and counted in
    ``phase.lost_clicks``; the time runs from the first click.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    link = page.get_by_role("link", name=title).first
    started = time.perf_counter()
    for attempt in range(3):
        await link.click()
        try:
            await page.wait_for_function(
                f"location.pathname.endsWith('/{path}')", timeout=LOST_CLICK_MS
            )
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            phase.lost_clicks += 1
    await page.get_by_role("heading", name=title, level=1).wait_for(timeout=ACTION_TIMEOUT_MS)
    await _idle(page)
    return time.perf_counter() - started


async def _set_widget(page, phase: Phase, action, done) -> None:
    """Set a widget outside the form (``action``), then wait until ``done()`` says the page
    shows it, the app idle.

    The value the script checked may have been read from a page still redrawing: setting
    a widget to the value it already holds makes no run, so no run is required here, only
    the value shown. A value not shown after the run is set again (counted with the lost
    clicks); three misses are an error.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    for _attempt in range(3):
        before = await page.evaluate("window.__matcherRuns")
        await action()
        with contextlib.suppress(PlaywrightTimeout):
            await page.wait_for_function(f"window.__matcherRuns > {before}", timeout=20_000)
        await _idle(page)
        if await done():
            return
        phase.lost_clicks += 1
    raise RuntimeError("valeur du champ non prise après trois essais")


async def _check_page(page, phase: Phase, where: str) -> None:
    if await page.get_by_test_id("stException").count():
        phase.errors.append(f"{where} : exception affichée")
    if await page.get_by_text("Une erreur inattendue").count():
        phase.errors.append(f"{where} : erreur inattendue")


async def _login(browser, url: str, index: int, phase: Phase, gate: asyncio.Semaphore):
    """Return a logged-in page of a new browser context, or None (the error is counted)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_init_script(RUN_COUNTER)
    page = await context.new_page()
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        async with gate:
            return await _logged_in(page, url, index, phase)
    except Exception as exc:  # noqa: BLE001 - every failure is counted, the others go on
        phase.errors.append(f"connexion {index} : {type(exc).__name__} : {str(exc)[:200]}")
        await context.close()
        return None


async def _logged_in(page, url: str, index: int, phase: Phase):
    await page.goto(url, wait_until="commit", timeout=ACTION_TIMEOUT_MS)
    await page.get_by_label("Adresse e-mail").fill(f"charge{index:02d}@charge.example.fr")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    phase.logins.append(
        await _after_run(page, page.get_by_role("button", name="Se connecter").click)
    )
    await page.get_by_role("heading", name="Locaux vacants et tiers-lieux").wait_for()
    return page


async def _session(page, index: int, phase: Phase, deadline: float) -> None:
    rng = random.Random(index)
    step = "début"
    try:
        while time.monotonic() < deadline:
            step = "lien « Trouver un lieu »"
            phase.pages.append(await _navigate(page, phase, "Trouver un lieu", "trouver_un_lieu"))
            step = "type de projet"
            kind = page.get_by_test_id("stSelectbox").filter(has_text="Type de projet").first

            async def choose_type(kind=kind) -> None:
                await kind.click()
                option = page.locator("[role=option]").filter(has_text="Espace de coworking")
                await option.first.click()

            async def type_chosen(kind=kind) -> bool:  # the value is the combobox input's
                return await kind.get_by_role("combobox").input_value() == "Espace de coworking"

            if not await type_chosen():  # required, never pre-filled
                await _set_widget(page, phase, choose_type, type_chosen)
            step = "commune"
            box = page.get_by_label("Commune visée (tapez le début du nom)")
            town = rng.choice(TOWNS)

            async def type_town(box=box, town=town) -> None:
                await box.fill(town)
                await box.press("Enter")

            async def town_typed(box=box, town=town) -> bool:
                return await box.input_value() == town

            if not await town_typed():
                await _set_widget(page, phase, type_town, town_typed)
            await page.get_by_label("Rayon de recherche (km)").fill(str(rng.choice([30, 50, 80])))
            step = "rayon puis « Rechercher »"
            button = page.get_by_role("button", name="Rechercher")
            phase.searches.append(await _after_run(page, button.click, phase))
            await page.get_by_text("Résultats autour de").first.wait_for()
            await _check_page(page, phase, f"session {index}, recherche {town}")
            step = "lien « Mes projets »"
            phase.pages.append(await _navigate(page, phase, "Mes projets", "mes_projets"))
            await _check_page(page, phase, f"session {index}, mes projets")
    except Exception as exc:  # noqa: BLE001 - every failure is counted, the others go on
        seen = ""
        with contextlib.suppress(Exception):  # what the page showed, to tell why
            seen = " ".join((await page.locator("body").inner_text(timeout=5_000)).split())
        phase.errors.append(
            f"session {index}, étape {step} : {type(exc).__name__} : "
            f"{str(exc).splitlines()[0][:160]} "
            f"(page : « {seen[:160]} »)"
        )
    finally:
        await page.context.close()


async def _phase(url: str, server_pid: int, phase: Phase, seconds: float) -> None:
    """Log every session in, then let them all work for ``seconds``."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        stop = asyncio.Event()

        async def sample() -> None:
            while not stop.is_set():
                phase.rss_mb.append(_rss_mb(server_pid))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=0.5)

        sampler = asyncio.create_task(sample())
        gate = asyncio.Semaphore(LOGINS_AT_ONCE)
        pages = await asyncio.gather(
            *(_login(browser, url, i, phase, gate) for i in range(phase.sessions))
        )
        deadline = time.monotonic() + seconds  # the clock starts once everybody is in
        await asyncio.gather(
            *(_session(page, i, phase, deadline) for i, page in enumerate(pages) if page)
        )
        stop.set()
        await sampler
        await browser.close()


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def _row(phase: Phase) -> list[str]:
    s, p = phase.searches, phase.pages
    return [
        phase.name,
        str(phase.sessions),
        str(len(s)),
        str(len(p)),
        str(len(phase.errors)),
        f"{_quantile(s, 0.5):.2f}",
        f"{_quantile(s, 0.95):.2f}",
        f"{max(s) if s else float('nan'):.2f}",
        f"{_quantile(p, 0.5):.2f}",
        f"{_quantile(p, 0.95):.2f}",
        f"{max(phase.rss_mb):.0f}" if phase.rss_mb else "nan",
        f"{phase.rss_mb[-1]:.0f}" if phase.rss_mb else "nan",
        str(phase.lost_clicks),
    ]


def _start_server(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    handle = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)  # polling the health check
    proc.kill()
    raise SystemExit("le serveur Streamlit n'a pas démarré :\n" + log.read_text()[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0, help="length of each phase")
    parser.add_argument("--size", choices=["full", "small"], default="full")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit("Chromium de Debian absent (/usr/bin/chromium) : apt-get install chromium")

    work = Path(tempfile.mkdtemp(prefix="matcher-load-"))
    try:
        cache = REPO / "data" / "cache"
        if cache.is_dir():  # reuse the territorial reference already built
            shutil.copytree(cache, work / "cache", dirs_exist_ok=True)
        env = {
            **os.environ,
            "MATCHER_DATA_DIR": str(work),
            "DATABASE_URL": f"sqlite:///{work / 'load.sqlite'}",
            "MATCHER_DEMO": "1",
            "PYTHONPATH": str(REPO),
            "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        }
        if args.size == "small":
            env["MATCHER_DEMO_SIZE"] = "small"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", SEED, args.size, str(args.sessions), PASSWORD],
            env=env, cwd=REPO, check=True, timeout=1800,
        )  # fmt: skip
        print(f"démo « {args.size} » et {args.sessions} comptes prêts en "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        proc, url = _start_server(env, work / "streamlit.log")
        try:
            solo = Phase("1 session seule", 1)
            asyncio.run(_phase(url, proc.pid, solo, args.seconds))
            crowd = Phase(f"{args.sessions} sessions", args.sessions)
            asyncio.run(_phase(url, proc.pid, crowd, args.seconds))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if solo.errors or crowd.errors:  # keep the server's log for the errors
            kept = Path(tempfile.gettempdir()) / "matcher-load-streamlit.log"
            shutil.copyfile(work / "streamlit.log", kept)
            print(f"journal du serveur gardé : {kept}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    header = ["phase", "sessions", "recherches", "changements de page", "erreurs",
              "recherche p50 (s)", "p95 (s)", "max (s)", "page p50 (s)", "page p95 (s)",
              "mémoire serveur max (Mo)", "fin (Mo)", "clics perdus relancés"]  # fmt: skip
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for phase in (solo, crowd):
        print("| " + " | ".join(_row(phase)) + " |")
    ratio = _quantile(crowd.searches, 0.95) / _quantile(solo.searches, 0.95)
    print(f"\nrecherche p95 : {ratio:.1f} x celle d'une session seule ; "
          f"p50 : {_quantile(crowd.searches, 0.5) / _quantile(solo.searches, 0.5):.1f} x ; "
          f"connexion p50 ({args.sessions} sessions à la fois) : "
          f"{_quantile(crowd.logins, 0.5):.2f} s")  # fmt: skip
    for phase in (solo, crowd):
        for error in phase.errors[:20]:
            print(f"erreur ({phase.name}) : {error}")


if __name__ == "__main__":
    main()
