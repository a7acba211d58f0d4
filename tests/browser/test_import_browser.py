"""In Debian's Chromium: a collectivité imports a real Cartofriches file with the default mapping.

Measures the seconds from landing on the app to the premises being online
(import committed), printed as ``[mesure]``. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from .test_app_browser import RUN_COUNTER, TIMEOUT_MS, _idle, _login, _open

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

CNIG = Path(__file__).resolve().parents[1] / "data" / "cartofriches_standard"
CNIG_FILE = CNIG / "friches_standard_extrait.csv"


def test_owner_imports_a_real_cnig_file_with_the_default_mapping(browser, app_url, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 1600}, accept_downloads=True)
    context.add_init_script(RUN_COUNTER)  # _open waits for the run its click caused
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    start = time.perf_counter()
    page.goto(app_url)
    _login(page, "owner")
    steps = {"connexion": time.perf_counter() - start}
    _open(page, "Mes locaux")
    page.get_by_role("tab", name="Import en masse").click()
    steps["page Mes locaux"] = time.perf_counter() - start - sum(steps.values())
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(CNIG_FILE)
    )
    page.get_by_text("Fichier reconnu : standard CNIG des friches").wait_for()
    _idle(page)
    steps["envoi et aperçu"] = time.perf_counter() - start - sum(steps.values())
    page.screenshot(path=str(artifacts / "import-correspondance.png"), full_page=True)
    assert page.get_by_text("Surface de plancher (m²)").count()
    assert not page.get_by_text("floor_area_m2").count()  # no code names on screen
    page.get_by_role("button", name="Vérifier et importer").click()
    done = page.get_by_text(re.compile(r"Import n°\d+ : 426 local\(aux\) créé\(s\)"))
    done.wait_for(timeout=4 * TIMEOUT_MS)
    online = time.perf_counter() - start
    steps["vérification et écriture"] = online - sum(steps.values())
    _idle(page)
    page.screenshot(path=str(artifacts / "import-termine.png"), full_page=True)
    assert not page.get_by_test_id("stException").count()
    print(
        f"\n[mesure] import d'un fichier Cartofriches réel de 426 lignes, correspondance par "
        f"défaut : {online:.1f} s de l'arrivée sur l'application aux locaux en ligne ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
        + ")"
    )
    with page.expect_download() as info:
        page.get_by_role("button", name="Rapport complet (XLSX)").click()
    assert info.value.path().read_bytes().startswith(b"PK")
    context.close()
