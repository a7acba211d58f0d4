#!/usr/bin/env bash
# Start the Streamlit application on the embedded demo data (built on first run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh ""
export MATCHER_DEMO="${MATCHER_DEMO:-1}"
.venv/bin/python -m matcher demo build
exec .venv/bin/streamlit run app.py --server.headless true --server.port "${PORT:-8501}" "$@"
