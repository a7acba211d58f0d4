"""Widget helpers shared by the pages: current user, French errors, cached reference data.

Only shared, non-personal data goes into ``st.cache_data`` /
``st.cache_resource`` (outlines, communes list, the search engine). Per-user
data is read through the services on every run, with the acting user.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from matcher import exports
from matcher.domain import (
    CONDITIONS,
    CONNECTIVITY,
    DEAL_STAGES,
    IMPORT_MODES,
    PREMISE_KINDS,
    PREMISE_STATUSES,
    PROJECT_TYPES,
    ROLES,
    TENURES,
)
from matcher.services import Actor, MatcherError, maps, places

log = logging.getLogger("matcher.app")

#: Session key holding the logged-in :class:`Actor` (its server session is checked).
AUTH_KEY = "auth_user"

LABELS = {
    "kind": PREMISE_KINDS,
    "condition": CONDITIONS,
    "connectivity": CONNECTIVITY,
    "tenure": TENURES,
    "status": PREMISE_STATUSES,
    "project_type": PROJECT_TYPES,
    "stage": DEAL_STAGES,
    "role": ROLES,
}


# --- user ----------------------------------------------------------------------------
# The login state lives in matcher.services.login_state: a server-side session whose
# signed id the browser keeps in a cookie, so that a reload or a direct URL stays
# logged in until the session expires (idle or absolute) or is revoked.
def _client() -> tuple[str, str | None]:
    """Return (throttling key of the browser's address, its user agent)."""
    from matcher.services.login_state import client_key

    def text(value: Any) -> str | None:  # AppTest's context holds mocks, not strings
        return value if isinstance(value, str) else None

    headers = {k: v for k, v in dict(st.context.headers).items() if isinstance(v, str)}
    return client_key(text(st.context.ip_address), headers), text(headers.get("User-Agent"))


def _request_cookie() -> str | None:
    from matcher.services.sessions import COOKIE_NAME

    value = st.context.cookies.get(COOKIE_NAME)
    return value if isinstance(value, str) else None


def current_user() -> Actor | None:
    """Return the logged-in actor after checking its session on the database, or None."""
    from matcher.services import login_state

    client, agent = _client()
    try:
        return login_state.current_actor(
            st.session_state, cookie=_request_cookie(), client=client, user_agent=agent
        )
    except MatcherError as exc:
        show_error(exc)
        return None


def log_in(email: str, password: str) -> Actor | None:
    """Return the actor after a (throttled) password check and a new session, or None."""
    from matcher.services import login_state

    client, agent = _client()
    return call(
        login_state.login, st.session_state, email, password, client=client, user_agent=agent
    )


def log_in_with_oidc(user_info: dict[str, Any]) -> Actor | None:
    """Return the actor of an OpenID Connect identity with a new session, or None."""
    from matcher.services import login_state

    client, agent = _client()
    return call(
        login_state.actor_from_oidc, st.session_state, user_info, client=client, user_agent=agent
    )


def start_session(actor: Actor) -> Actor | None:
    """Return ``actor`` logged in with a new session (after an invitation or a reset link)."""
    from matcher.services import login_state, sessions

    client, agent = _client()
    opened = call(sessions.open_session, actor, client=client, user_agent=agent)
    return None if opened is None else login_state.start(st.session_state, actor, opened)


def log_out() -> None:
    """End the session (server side) and forget every page's state."""
    from matcher.services import login_state

    call(login_state.logout, st.session_state)


def session_token() -> str | None:
    """Return the id of the current session (to keep it open when the password changes)."""
    from matcher.services.login_state import STATE_TOKEN

    return st.session_state.get(STATE_TOKEN)


def session_ended_message() -> str | None:
    """Return why the last session ended, in French (None when there is nothing to say)."""
    from matcher.services.login_state import STATE_ENDED
    from matcher.services.sessions import ended_message

    return ended_message(st.session_state.get(STATE_ENDED))


def sync_session_cookie() -> None:
    """Write (or delete) the browser's session cookie when it differs from the session.

    Streamlit cannot set a cookie from the server; a script run by
    ``st.html`` sets it in the page (SameSite=Strict, Secure over HTTPS). It
    only holds the signed random id; the session itself stays on the server.
    """
    import json
    from email.utils import format_datetime

    from matcher.services.login_state import cookie_to_write
    from matcher.services.sessions import COOKIE_NAME

    todo = cookie_to_write(st.session_state, _request_cookie())
    if todo is None:
        return
    value, expires_at = todo
    # A fixed expiry date (not a Max-Age counted from now) keeps the script the same on
    # every run, so the page runs it once.
    lifetime = (
        "Max-Age=0" if expires_at is None else f"Expires={format_datetime(expires_at, usegmt=True)}"
    )
    script = (
        "<script>(function(){"
        f"var c={json.dumps(COOKIE_NAME)}+'='+{json.dumps(value)}"
        f"+'; Path=/; {lifetime}; SameSite=Strict';"
        "if(location.protocol==='https:'){c+='; Secure';}"
        "document.cookie=c;"
        # Hide the empty element that carried this script (no gap above the page).
        "var s=document.currentScript,b=s&&s.closest('[data-testid=\"stElementContainer\"]');"
        "if(b){b.style.display='none';}"
        "})();</script>"
    )
    st.html(script, unsafe_allow_javascript=True)


def set_user(actor: Actor | None) -> None:
    """Log ``actor`` in with a new session, or log out with None (clears every page's state)."""
    if actor is None:
        log_out()
    else:
        start_session(actor)


def require_user(*roles: str) -> Actor:
    """Return the logged-in actor; show a French message and stop the page otherwise."""
    actor = current_user()
    if actor is None:
        st.warning(session_ended_message() or "Connectez-vous pour accéder à cette page.")
        st.stop()
    if roles and actor.role not in roles and not actor.is_admin:
        wanted = ", ".join(ROLES[r] for r in roles)
        st.error(f"Page réservée au rôle : {wanted}.")
        st.stop()
    return actor


def demo_mode() -> bool:
    """Return True when the app runs on demo data (``MATCHER_DEMO=1``)."""
    return os.environ.get("MATCHER_DEMO", "").strip().lower() in {"1", "true", "oui", "yes"}


# --- errors --------------------------------------------------------------------------
def show_error(exc: BaseException) -> None:
    """Show an error as a French message (never a traceback)."""
    if isinstance(exc, MatcherError):
        st.error(str(exc))
    else:
        log.exception("Erreur inattendue dans la page", exc_info=exc)
        st.error(
            "Une erreur inattendue s'est produite ; elle a été consignée. "
            "Réessayez ou contactez l'administrateur."
        )


@contextmanager
def french_errors() -> Iterator[None]:
    """Run a block and show any error in French (st.stop / st.rerun pass through)."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - every error becomes a French message
        show_error(exc)


def call(func, *args: Any, **kwargs: Any) -> Any:
    """Return ``func(*args, **kwargs)``, or None after showing its error in French."""
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return None


def done(func, *args: Any, **kwargs: Any) -> bool:
    """Return True when ``func(*args, **kwargs)`` succeeded (its error shown in French if not)."""
    try:
        func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        show_error(exc)
        return False
    return True


# --- labels and formatting -----------------------------------------------------------
def label(field: str, code: Any) -> str:
    """Return the French label of a code (« non renseigné » when there is none)."""
    if code is None or (isinstance(code, float) and code != code):
        return "non renseigné"
    return LABELS.get(field, {}).get(code, str(code))


def options(field: str) -> list[str]:
    """Return the codes of a vocabulary (for selectboxes with ``format_func``)."""
    return list(LABELS[field])


def fmt_int(value: Any, unit: str = "") -> str:
    """Return a number rounded to an integer with French thousands separators (« 4 655 »)."""
    try:
        if value is None or value != value:
            return "non renseigné"
        text = exports.fr_number(float(value))
    except (TypeError, ValueError):
        return str(value)
    return f"{text} {unit}".strip()


PARIS = ZoneInfo("Europe/Paris")


def fmt_datetime(value: dt.datetime | None, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """Return a stored time (UTC; naive means UTC) as French local time, or "non renseigné"."""
    if value is None or pd.isna(value):
        return "non renseigné"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(PARIS).strftime(pattern)


_TIME_COLUMNS = ("at", "created_at", "updated_at", "decided_at", "last_login_at", "answered_at")


def with_local_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a display copy with the stored times shown as French local time."""
    out = frame.copy()
    for col in _TIME_COLUMNS:
        if col in out.columns:
            out[col] = [fmt_datetime(v) if isinstance(v, dt.datetime) else v for v in out[col]]
    return out


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a display copy with vocabulary codes replaced by their French labels."""
    out = frame.copy()
    for col, vocab in LABELS.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, voc=vocab: voc.get(v, v))
    return out


def table(
    rows: list[dict[str, Any]] | pd.DataFrame,
    columns: list[str],
    *,
    key: str,
    entity: str = "premise",
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """Show rows as a French table (labels, « 1 234 m² », ids as integers, local times)."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    frame = with_local_times(frame) if len(frame) else frame
    shown = exports.display_table(frame, columns, entity=entity, headers=headers)
    return st.dataframe(shown, hide_index=True, key=key, **kwargs)


_UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button, [data-testid="stFileUploaderDropzone"] button * {
  font-size: 0 !important;
}
[data-testid="stFileUploaderDropzone"] button::after {
  content: "Choisir un fichier"; font-size: 0.9rem;
}
[data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
</style>"""


def french_uploader(limits: str) -> None:
    """Write the file uploader's own texts in French (its button and limits are English).

    ``limits`` replaces Streamlit's « 200MB per file • CSV »: say it in the label or here.
    """
    st.markdown(_UPLOADER_CSS, unsafe_allow_html=True)
    st.caption(limits)


_IMPORT_STATUS = {"committed": "Importé", "refused": "Refusé (rien écrit)"}
_IMPORT_KIND = {"premises": "Locaux", "projects": "Projets"}


def import_history(batches: list[dict[str, Any]]) -> pd.DataFrame:
    """Return import batches (``list_import_batches``) as a French display table."""
    return pd.DataFrame(
        {
            "N°": [b["id"] for b in batches],
            "Date": [fmt_datetime(b["created_at"]) for b in batches],
            "Contenu": [_IMPORT_KIND.get(b["kind"], b["kind"]) for b in batches],
            "Fichier": [b["filename"] for b in batches],
            "Mode": [IMPORT_MODES.get(b["mode"], b["mode"]) for b in batches],
            "Résultat": [_IMPORT_STATUS.get(b["status"], b["status"]) for b in batches],
            "Créés": [b["rows_inserted"] for b in batches],
            "Mis à jour": [b["rows_updated"] for b in batches],
            "Rejetés": [b["rows_rejected"] for b in batches],
            "Organisation": [b["organisation"] for b in batches],
            "Par": [b["created_by"] for b in batches],
        }
    )


# --- shared cached reference data (public: cached for every user) ----------------------
def _acting(actor: Actor | None) -> Actor:
    actor = actor or current_user()
    if actor is None:
        raise MatcherError("Connectez-vous pour afficher la carte.")
    return actor


# The leading underscore keeps the actor out of the cache key: the data is public and
# the same for everybody; the service still checks whoever fills the cache.
@st.cache_data(show_spinner="Chargement des contours des départements…")
def _national_outlines(_actor: Actor) -> dict[str, Any]:
    return maps.departement_outlines(_actor)


def national_outlines(actor: Actor | None = None) -> dict[str, Any]:
    """Return simplified département outlines (shared by every user)."""
    return _national_outlines(_acting(actor))


@st.cache_data(show_spinner=False, max_entries=64)
def _outlines_around(_actor: Actor, lon: float, lat: float, radius_km: float) -> dict[str, Any]:
    return maps.communes_around(_actor, lon, lat, radius_km)


def outlines_around(
    lon: float, lat: float, radius_km: float, actor: Actor | None = None
) -> dict[str, Any]:
    """Return commune outlines around a point (shared by every user)."""
    return _outlines_around(_acting(actor), round(lon, 3), round(lat, 3), float(radius_km))


@st.cache_data(show_spinner=False, max_entries=256)
def _place_labels(_actor: Actor, bounds: tuple[float, ...] | None) -> dict[str, Any]:
    return maps.place_labels(_actor, bounds)


def place_labels(
    bounds: tuple[float, float, float, float] | None = None, actor: Actor | None = None
) -> dict[str, Any]:
    """Return the place names of a map (départements, main towns of ``bounds``)."""
    key = None if bounds is None else tuple(round(float(v), 2) for v in bounds)
    return _place_labels(_acting(actor), key)


@st.cache_data(show_spinner=False, max_entries=256)
def _communes(_actor: Actor, text: str) -> list[dict[str, Any]]:
    return places.search_communes(_actor, text)


def commune_matches(text: str, actor: Actor | None = None) -> list[dict[str, Any]]:
    """Return the communes whose name starts with / contains ``text`` (label, code, point)."""
    return _communes(_acting(actor), text.strip())


def commune_picker(key: str, label_text: str = "Commune") -> dict[str, Any] | None:
    """Return the chosen commune (insee_code, name, lon, lat) from a search box, or None."""
    text = st.text_input(
        f"{label_text} (tapez le début du nom)", key=f"{key}_text", placeholder="ex. Albi"
    )
    if not text or len(text.strip()) < 2:
        return None
    found = commune_matches(text.strip())
    if not found:
        st.warning(f"Aucune commune ne correspond à « {text} ».")
        return None
    choices = {c["label"]: c for c in found}
    picked = st.selectbox(label_text, list(choices), key=f"{key}_choice")
    return choices[picked] if picked else None


# --- search service (integrator's matcher.services.search) ------------------------------
def search_service():
    """Return the ``matcher.services.search`` module (imported lazily: it loads the engine)."""
    from matcher.services import search

    return search


def presets() -> dict[str, dict[str, float]]:
    """Return weight presets per project type."""
    return {k: dict(v) for k, v in search_service().presets().items()}


def criteria_labels() -> dict[str, str]:
    """Return the French label of each scoring criterion."""
    return dict(search_service().criteria_labels())


@st.cache_resource(show_spinner="Préparation des données de démonstration…")
def ensure_database() -> bool:
    """Return True once the database is migrated (and seeded with the demo in demo mode)."""
    from matcher.services.setup import prepare_database

    return prepare_database(demo=demo_mode())


@st.cache_data(show_spinner="Chargement du catalogue…", max_entries=4)
def _public_catalogue(_actor: Actor, version: int) -> pd.DataFrame:
    return maps.available_premises(_actor)


def public_catalogue(actor: Actor | None = None) -> pd.DataFrame:
    """Return the available premises' public columns (shared cache keyed by catalogue version)."""
    actor = _acting(actor)
    return _public_catalogue(actor, maps.catalogue_version(actor))


@st.cache_data(show_spinner=False)
def _reference_layers(_actor: Actor) -> tuple[pd.DataFrame, pd.DataFrame]:
    return maps.reference_layers(_actor)


def reference_layers(actor: Actor | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (known tiers-lieux, white zones) from the committed reference, maybe empty."""
    return _reference_layers(_acting(actor))


def failed_reasons(explanation: Any) -> list[str]:
    """Return the French reasons of the hard constraints an explanation says failed."""
    from matcher.services.results import failed_reasons as reasons

    return reasons(explanation)
