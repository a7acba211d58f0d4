#!/usr/bin/env bash
# Install everything the tests need (pip and Debian packages) and run the whole suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh "dev"
# Real browser (Debian's Chromium, driven by Playwright) and a real PostgreSQL server.
# poppler-utils: pdftotext reads the fund's committee packs and reports in tests/fund/
apt_install chromium chromium-driver postgresql fonts-dejavu-core poppler-utils
# Java for the Spark tests of the batch (pyspark in local mode; no jar is downloaded).
apt_install openjdk-17-jre-headless
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
.venv/bin/python -m matcher territory build
.venv/bin/ruff check matcher tests benchmarks app_pages app.py
.venv/bin/ruff format --check matcher tests benchmarks app_pages app.py
# Security lint: medium and high findings fail (a justified one carries `# nosec <id>` and why).
.venv/bin/bandit -q -r matcher app.py app_pages -ll
# pytest exits 5 when it collected nothing: that is a failure too.
if [ "$#" -gt 0 ]; then
    .venv/bin/python -m pytest -n 2 --dist loadgroup -q "$@"
else
    # The browser journeys first, alone: they measure what a user waits for, and beside
    # the Spark and multi-process tests on two cores their waits would measure the load.
    .venv/bin/python -m pytest -q -m browser tests/browser
    # Then everything else on both cores (-n 2: the machine has two).
    .venv/bin/python -m pytest -n 2 --dist loadgroup -q -m "not browser"
fi
