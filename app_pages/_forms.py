"""Form widgets that never answer for the user and say what is wrong, next to the field.

* Selects start on « Non renseigné » (or « Choisir… » for a required field):
  a form never stores an answer nobody gave. Yes/no questions have three
  answers (oui, non, non renseigné), so « non accessible PMR » is never
  written by default.
* Numbers have no widget bounds: the service checks them (field registry)
  and its French message is shown under the field, instead of a red field
  and a button that does nothing.
* :class:`FormState` gives each rendered form a token (a double submit
  creates one object: the services recognise the token) and a generation
  (widget keys change after a save, so the form comes back empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from matcher.services import MatcherError
from matcher.services.fields import PREMISE_FIELDS, PROJECT_FIELDS, FieldSpec, read_shown_number
from matcher.services.submissions import new_token

#: What a select shows when nothing was chosen.
NOT_GIVEN = "Non renseigné"
CHOOSE = "Choisir…"


def spec_of(entity: str, name: str) -> FieldSpec:
    """Return the registry's spec of a premise or project field."""
    return (PROJECT_FIELDS if entity == "project" else PREMISE_FIELDS)[name]


class FormState:
    """The token and generation of one form (kept in the session between reruns)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._gen_key = f"{name}__generation"
        self._token_key = f"{name}__token"
        st.session_state.setdefault(self._gen_key, 0)
        if not st.session_state.get(self._token_key):
            st.session_state[self._token_key] = new_token()

    @property
    def generation(self) -> int:
        """Return how many times this form was saved (part of every widget key)."""
        return int(st.session_state[self._gen_key])

    @property
    def token(self) -> str:
        """Return the token of this rendering of the form (sent with the submission)."""
        return str(st.session_state[self._token_key])

    def key(self, field: str) -> str:
        """Return the widget key of a field for the current generation."""
        return f"{self.name}_{self.generation}_{field}"

    def saved(self, message: str | None = None) -> None:
        """Forget the form's values and token after a save (the next rendering is empty)."""
        st.session_state[self._gen_key] = self.generation + 1
        st.session_state[self._token_key] = new_token()
        if message:
            st.session_state[f"{self.name}__flash"] = message

    def flash(self) -> None:
        """Show (once) the success message of the last save."""
        message = st.session_state.pop(f"{self.name}__flash", None)
        if message:
            st.success(message)


class Messages:
    """Placeholders under the fields of a form, filled with the service's French messages."""

    def __init__(self) -> None:
        self._slots: dict[str, Any] = {}
        self._general: Any = None

    def slot(self, *fields: str) -> None:
        """Reserve the place under the widget just drawn for the messages of ``fields``."""
        holder = st.empty()
        for field in fields:
            self._slots[field] = holder

    def general(self) -> None:
        """Reserve the place of messages that belong to no field (e.g. above the button)."""
        self._general = st.empty()

    def show(self, exc: BaseException) -> None:
        """Show an error: each field's message under its field, the rest in the general place."""
        errors: Mapping[str, str] = getattr(exc, "errors", None) or (
            {getattr(exc, "field", None) or "": str(exc)} if isinstance(exc, MatcherError) else {}
        )
        if not errors:
            from app_pages._common import show_error

            show_error(exc)
            return
        self.show_messages(errors)

    def show_messages(self, errors: Mapping[str, str]) -> None:
        """Show French messages, each under the field it names (``{field: message}``)."""
        leftovers = []
        by_slot: dict[int, tuple[Any, list[str]]] = {}
        for field, message in errors.items():
            holder = self._slots.get(field)
            if holder is None:
                leftovers.append(message)
            else:
                by_slot.setdefault(id(holder), (holder, []))[1].append(message)
        for holder, messages in by_slot.values():
            holder.error(" ".join(messages))
        if leftovers:
            (self._general or st).error(" ".join(leftovers))


def choice(
    label: str,
    vocabulary: Mapping[str, str],
    *,
    key: str,
    value: str | None = None,
    required: bool = False,
    help: str | None = None,
    on_change: Any = None,
) -> str | None:
    """Return the code chosen in a select that starts on « Non renseigné » / « Choisir… »."""
    codes: list[str | None] = [None, *vocabulary]
    index = codes.index(value) if value in vocabulary else 0
    return st.selectbox(
        label,
        codes,
        index=index,
        format_func=lambda c: (CHOOSE if required else NOT_GIVEN) if c is None else vocabulary[c],
        key=key,
        help=help or None,
        on_change=on_change,
    )


_YES_NO: dict[Any, str] = {None: NOT_GIVEN, True: "Oui", False: "Non"}


def yes_no(
    label: str, *, key: str, value: bool | None = None, help: str | None = None
) -> bool | None:
    """Return True, False or None (not given) from a three-answer select."""
    answers = [None, True, False]
    current = None if value is None else bool(value)
    return st.selectbox(
        label, answers, index=answers.index(current), format_func=_YES_NO.get, key=key,
        help=help or None,
    )  # fmt: skip


def shown(spec: FieldSpec, value: Any) -> str:
    """Return a stored number as a French user types it (« 1234,5 »: no thousands space)."""
    if value is None or value != value:
        return ""
    number = float(value) * spec.display_scale
    decimals = 5 if spec.unit == "°" else 6
    text = f"{number:.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def number(
    spec: FieldSpec,
    *,
    key: str,
    value: Any = None,
    label: str | None = None,
    step: float | None = None,
) -> str | float | None:
    """Return the number typed, as text (French « 12,5 » or « 1 250 »): the service reads it.

    A text field rather than a number widget: the decimal comma works, nothing is
    silently clamped, and a wrong value gets the service's message under the field.
    ``step`` is kept for the callers' sake (a text field has no arrows).
    """
    unit = spec.shown_unit
    text = label or (f"{spec.label} ({unit})" if unit else spec.label)
    kwargs: dict[str, Any] = {"key": key, "placeholder": "non renseigné", "help": spec.help or None}
    if key not in st.session_state:
        kwargs["value"] = shown(spec, value)
    typed = st.text_input(text, **kwargs)
    if spec.display_scale == 1.0:
        return typed
    try:  # typed in the shown unit (km): the service reads it back in the stored unit (m)
        return read_shown_number(spec, typed)
    except MatcherError:
        return typed  # the service names the problem when the form is saved


def date(label: str, *, key: str, value: Any = None) -> str:
    """Return the date typed as text (JJ/MM/AAAA): the service reads and checks it."""
    kwargs: dict[str, Any] = {"key": key, "placeholder": "JJ/MM/AAAA"}
    if key not in st.session_state and value is not None:
        kwargs["value"] = value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value)
    return st.text_input(label, **kwargs)


def text(
    spec: FieldSpec,
    *,
    key: str,
    value: Any = None,
    label: str | None = None,
    area: bool = False,
    placeholder: str | None = None,
) -> str:
    """Return the text typed in an input (or a text area); the service cleans and checks it."""
    widget = st.text_area if area else st.text_input
    return widget(
        label or spec.label,
        value="" if value is None else str(value),
        key=key,
        help=spec.help or None,
        placeholder=placeholder,
    )
