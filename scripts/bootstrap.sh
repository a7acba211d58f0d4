#!/usr/bin/env bash
# Create .venv with Python >= 3.11 and install the project (and extras given as $1).
# Idempotent: re-installs only when pyproject.toml changed. Sourced by app.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

EXTRAS="${1:-}"

as_root() {
    if [ "$(id -u)" = "0" ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "Il faut être root (ou avoir sudo) pour installer : $*" >&2; return 1; fi
}

APT_UPDATED=0
apt_install() {
    # apt_install PKG... : install Debian packages that are missing.
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || { echo "apt-get absent : installez ${missing[*]}" >&2; return 1; }
    if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# OpenMP runtime for numba's parallel kernels (a launch costs ~6 µs instead of
# ~150 µs with numba's own workqueue); optional, the engine works without it.
apt_install libgomp1 || echo "libgomp1 non installé : noyaux parallèles plus lents à lancer." >&2

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
    for cand in python3.11 python3.12 python3.13 python3; do
        if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            PY="$cand"; break
        fi
    done
fi
[ -n "$PY" ] || { echo "Python 3.11 ou plus récent est requis." >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
    if ! "$PY" -m venv .venv >/dev/null 2>&1; then
        rm -rf .venv
        ver="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install "python${ver}-venv" || apt_install python3-venv
        "$PY" -m venv .venv
    fi
fi

SPEC="."
[ -n "$EXTRAS" ] && SPEC=".[${EXTRAS}]"
# Reproducible installs: constraints.txt (scripts/lock.sh) pins every version it lists;
# a dependency added since the last lock still installs, at its newest allowed version.
CONSTRAINTS=()
[ -f constraints.txt ] && CONSTRAINTS=(-c constraints.txt)
LOCKED=(pyproject.toml)
[ -f constraints.txt ] && LOCKED+=(constraints.txt)
STAMP=".venv/.installed-$(cat "${LOCKED[@]}" | sha1sum | cut -c1-12)-${EXTRAS:-base}"
if [ ! -f "$STAMP" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" || true
    if ! .venv/bin/python -m pip install -q --disable-pip-version-check "${CONSTRAINTS[@]}" \
        -e "$SPEC" 2> >(grep -v "is ignored" >&2); then
        # pyproject.toml asks for a version that constraints.txt excludes (lock older than it)
        echo "constraints.txt ne convient plus à pyproject.toml : installation sans contraintes ; relancez scripts/lock.sh." >&2
        .venv/bin/python -m pip install -q --disable-pip-version-check -e "$SPEC" 2>&1 | grep -v "is ignored" || true
    fi
    .venv/bin/python -c "import matcher, numpy, pandas, streamlit" # fails loudly if the install did
    touch "$STAMP"
fi
# Compile the scoring engine's kernels now, as part of the install (cached on disk per
# engine version), so that the first search loads them instead of compiling them.
.venv/bin/python -m matcher engine warm
