"""The field registry: one description per field of premises, projects and results.

Each :class:`FieldSpec` says what a field is (type, unit, French label and
help, vocabulary), which values are refused everywhere (``minimum``,
``maximum``: a form, an import and the engine's needs all refuse them) and
which are only unusual (``usual_maximum``: accepted with a warning "à
vérifier"), and how it is shown (rounding, display unit). The forms, the
services (:mod:`matcher.services.fields` builds its coercion rules from
here), the importers, the engine's needs (:mod:`matcher.needs`) and the
exports (:mod:`matcher.exports`) all read these specs, so a bound or a label
is written once.

This module sits at library level: it imports nothing but the vocabulary
(:mod:`matcher.domain`), the errors and the value helpers (:mod:`matcher.values`,
re-exported here).

>>> spec = PREMISE_FIELDS["floor_area_m2"]
>>> spec.label, spec.unit, spec.minimum, spec.header
('Surface de plancher', 'm²', 0.0, 'Surface de plancher (m²)')
>>> spec.format(1234.5)
'1\u202f235 m²'
>>> clean_text("Ancienne\\x00 poste\\n", multiline=False)
'Ancienne poste'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from matcher.domain import (
    CONDITIONS,
    CONNECTIVITY,
    LOCATION_PRECISIONS,
    POLLUTION,
    PREMISE_KINDS,
    PREMISE_STATUSES,
    PROJECT_STATUSES,
    PROJECT_TYPES,
    TENURES,
)
from matcher.errors import ValidationError
from matcher.values import (  # noqa: F401 - part of the registry's interface
    UNKNOWN_TEXT,
    as_number,
    clean_text,
    decimals_of,
    fold,
    format_date,
    fr_number,
    is_unknown,
    round_half_up,
)

#: Field types. "text" is one line, "multiline" keeps line breaks and tabs,
#: "codes" and "insee_list" are "|"-separated lists, "urls" one web address per line.
KINDS: Final[frozenset[str]] = frozenset(
    {
        "text",
        "multiline",
        "email",
        "phone",
        "urls",
        "number",
        "integer",
        "boolean",
        "date",
        "code",
        "codes",
        "insee",
        "insee_list",
    }
)
TEXT_KINDS: Final[frozenset[str]] = frozenset({"text", "multiline", "email", "phone", "urls"})
NUMBER_KINDS: Final[frozenset[str]] = frozenset({"number", "integer"})
#: Integer fields that name an object: shown without thousands separator.
IDENTIFIER_FIELDS: Final[frozenset[str]] = frozenset(
    {"id", "premise_id", "project_id", "deal_id", "shortlist_id", "request_id", "version"}
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What one field is, which values it takes and how it is shown."""

    name: str
    label: str
    kind: str
    #: Unit of the stored value (French symbol: "m²", "€", "€/m²/an", "km", "m").
    unit: str = ""
    #: Hard bounds: a value outside is refused by forms, imports and the engine.
    minimum: float | None = None
    maximum: float | None = None
    #: True when the minimum itself is refused (a radius of 0 km).
    exclusive_minimum: bool = False
    #: True when the maximum itself is refused (a tolerance of 1).
    exclusive_maximum: bool = False
    #: Above this the value is accepted with a warning ("à vérifier").
    usual_maximum: float | None = None
    #: Longest text accepted (characters, after cleaning).
    max_length: int | None = None
    vocabulary: Mapping[str, str] | None = None
    help: str = ""
    #: Only the owning organisation (and admins) may read it.
    private: bool = False
    #: Shown rounded to this many decimals (displays and exports).
    decimals: int = 0
    #: Shown in this unit: the stored value is multiplied by ``display_scale``.
    display_unit: str | None = None
    display_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r} for {self.name}")
        if self.kind in ("code", "codes") and not self.vocabulary:
            raise ValueError(f"field {self.name} needs a vocabulary")

    @property
    def shown_unit(self) -> str:
        """Return the unit values are shown in."""
        return self.unit if self.display_unit is None else self.display_unit

    @property
    def header(self) -> str:
        """Return the French column header: the label and the shown unit.

        >>> PROJECT_FIELDS["radius_km"].header, PREMISE_FIELDS["name"].header
        ('Rayon de recherche (km)', 'Nom')
        """
        unit = self.shown_unit
        return f"{self.label} ({unit})" if unit else self.label

    def shown_number(self, value: Any) -> float | int | None:
        """Return a number scaled to the shown unit and rounded (None when unknown).

        >>> RESULT_FIELDS["distance_m"].shown_number(12_345.678)
        12.3
        >>> RESULT_FIELDS["premise_id"].shown_number(3.0)
        3
        """
        number = as_number(value)
        if number is None:
            return None
        number = round_half_up(number * self.display_scale, self.decimals)
        return int(number) if self.decimals == 0 else number

    def format(self, value: Any, *, unknown: str = UNKNOWN_TEXT) -> str:
        """Return the value as a French user reads it (label, "1 234,5 m²", "oui"...).

        >>> PREMISE_FIELDS["pmr_accessible"].format(False), PREMISE_FIELDS["kind"].format("school")
        ('non', 'École')
        >>> PREMISE_FIELDS["rent_eur_m2_year"].format(None)
        'non renseigné'
        """
        if is_unknown(value):
            return unknown
        if self.name in IDENTIFIER_FIELDS:  # « n° 1029 », never « 1 029 » nor « 3.0 »
            return str(int(float(value)))
        if self.kind == "boolean":
            return "oui" if bool(value) else "non"
        if self.kind == "code":
            return self.vocabulary.get(str(value), str(value))
        if self.kind == "codes":
            codes = [c for c in str(value).split("|") if c]
            return ", ".join(self.vocabulary.get(c, c) for c in codes) or unknown
        if self.kind in NUMBER_KINDS:
            number = self.shown_number(value)
            if number is None:
                return unknown
            text = fr_number(number, self.decimals)
            unit = self.shown_unit
            if not unit:
                return text
            if unit.startswith("/"):
                return f"{text}{unit}"  # 72/100
            return f"{text} %" if unit == "%" else f"{text} {unit}"
        if self.kind == "date":
            return format_date(value)
        return str(value)

    def bounds_error(self, number: float, shown: Any = None) -> str | None:
        """Return the French message for a number outside the hard bounds, else None.

        >>> PREMISE_FIELDS["floor_area_m2"].bounds_error(-50)
        'Surface de plancher : -50 m² est hors bornes (minimum 0 m²).'
        >>> PROJECT_FIELDS["radius_km"].bounds_error(0)
        'Rayon de recherche : 0 km est hors bornes (il faut plus de 0 km).'
        """
        low, high = self.minimum, self.maximum
        if math.isfinite(number) and not (
            (low is not None and (number < low or (self.exclusive_minimum and number == low)))
            or (high is not None and (number > high or (self.exclusive_maximum and number == high)))
        ):
            return None  # inside: no text to format (every search checks its needs)
        shown = fr_number(number, decimals_of(number)) if shown is None else shown
        unit = f" {self.unit}" if self.unit else ""
        if not math.isfinite(number):
            return f"{self.label} : valeur non finie ({shown}) hors bornes."
        low, high = self.minimum, self.maximum
        if low is not None and (number < low or (self.exclusive_minimum and number == low)):
            limit = f"{fr_number(low, decimals_of(low))}{unit}"
            rule = f"il faut plus de {limit}" if self.exclusive_minimum else f"minimum {limit}"
            return f"{self.label} : {shown}{unit} est hors bornes ({rule})."
        if high is not None and (number > high or (self.exclusive_maximum and number == high)):
            limit = f"{fr_number(high, decimals_of(high))}{unit}"
            rule = f"il faut moins de {limit}" if self.exclusive_maximum else f"maximum {limit}"
            return f"{self.label} : {shown}{unit} est hors bornes ({rule})."
        return None

    def check_number(self, number: float, value: Any = None) -> float:
        """Return ``number`` when inside the hard bounds; raise ValidationError otherwise."""
        message = self.bounds_error(number)
        if message is not None:
            raise ValidationError(
                message, field=self.name, value=number if value is None else value
            )
        return number

    def usual_warning(self, value: Any) -> str | None:
        """Return the French warning for an accepted but unusual number, else None.

        >>> PREMISE_FIELDS["rent_eur_m2_year"].usual_warning(2500)
        'Loyer : 2\u202f500 €/m²/an dépasse la valeur habituelle (2\u202f000 €/m²/an) : à vérifier.'
        """
        number = as_number(value)
        if number is None or self.usual_maximum is None or number <= self.usual_maximum:
            return None
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"{self.label} : {fr_number(number, decimals_of(number))}{unit} dépasse la valeur "
            f"habituelle ({fr_number(self.usual_maximum)}{unit}) : à vérifier."
        )


# --- the registry -------------------------------------------------------------------------

_YES_NO = "oui / non ; laissez « non renseigné » si vous ne savez pas"


def _spec(name: str, label: str, kind: str, **kw: Any) -> tuple[str, FieldSpec]:
    return name, FieldSpec(name=name, label=label, kind=kind, **kw)


#: Every field of a premise (stored columns), in the order of the form.
PREMISE_FIELDS: Final[dict[str, FieldSpec]] = dict(
    [
        _spec("kind", "Type de local", "code", vocabulary=PREMISE_KINDS,
              help="Ce qu'était ou est le bâtiment : poste, école, friche…"),
        _spec("name", "Nom", "text", max_length=300, help="Nom usuel du local."),
        _spec("address", "Adresse", "text", max_length=500),
        _spec("insee_code", "Code INSEE de la commune", "insee"),
        _spec("lon", "Longitude", "number", unit="°", minimum=-180.0, maximum=180.0, decimals=5,
              help="WGS84, en degrés décimaux (ex. 2,14639)."),
        _spec("lat", "Latitude", "number", unit="°", minimum=-90.0, maximum=90.0, decimals=5,
              help="WGS84, en degrés décimaux (ex. 43,92890)."),
        _spec("location_precision", "Précision de la position", "code",
              vocabulary=LOCATION_PRECISIONS),
        _spec("floor_area_m2", "Surface de plancher", "number", unit="m²", minimum=0.0,
              maximum=5_000_000.0, usual_maximum=100_000.0,
              help="Surface de plancher du bâtiment (pas celle du terrain)."),
        _spec("land_area_m2", "Surface du terrain", "number", unit="m²", minimum=0.0,
              maximum=100_000_000.0, usual_maximum=5_000_000.0),
        _spec("levels", "Nombre de niveaux", "integer", minimum=0, maximum=60, usual_maximum=20,
              help="Rez-de-chaussée compris."),
        _spec("ground_floor_access", "Accès de plain-pied", "boolean", help=_YES_NO),
        _spec("condition", "État du bâtiment", "code", vocabulary=CONDITIONS),
        _spec("works_estimate_eur", "Travaux estimés", "number", unit="€", minimum=0.0,
              maximum=1_000_000_000.0, usual_maximum=50_000_000.0),
        _spec("tenure", "Mise à disposition", "code", vocabulary=TENURES),
        _spec("price_eur", "Prix de vente", "number", unit="€", minimum=0.0,
              maximum=1_000_000_000.0, usual_maximum=50_000_000.0),
        _spec("rent_eur_m2_year", "Loyer", "number", unit="€/m²/an", minimum=0.0,
              maximum=20_000.0, usual_maximum=2_000.0,
              help="Loyer annuel hors charges, par mètre carré."),
        _spec("available_from", "Disponible à partir du", "date"),
        _spec("connectivity", "Connexion internet", "code", vocabulary=CONNECTIVITY),
        _spec("distance_to_station_m", "Distance à la gare", "number", unit="m", minimum=0.0,
              maximum=1_000_000.0, usual_maximum=100_000.0, display_unit="km",
              display_scale=0.001, decimals=1),
        # Bounded so that every accepted value fits a 32-bit INTEGER column (PostgreSQL).
        _spec("parking_spaces", "Places de stationnement", "integer", minimum=0,
              maximum=100_000, usual_maximum=5_000),
        _spec("pmr_accessible", "Accessible PMR", "boolean", help=_YES_NO),
        _spec("pollution", "Pollution des sols", "code", vocabulary=POLLUTION),
        _spec("heritage_listed", "Bâtiment protégé (patrimoine)", "boolean", help=_YES_NO),
        _spec("status", "Statut", "code", vocabulary=PREMISE_STATUSES),
        _spec("description", "Description", "multiline", max_length=5_000,
              help="Ce qu'un porteur de projet doit savoir : volumes, usages possibles…"),
        _spec("links", "Photos et liens", "urls", max_length=5_000,
              help="Une adresse web par ligne (photos, plans, annonce), http:// ou https://."),
        _spec("source", "Source", "text", max_length=100),
        _spec("source_id", "Identifiant dans la source", "text", max_length=200),
        _spec("synthetic", "Donnée de démonstration", "boolean"),
        _spec("contact_name", "Contact", "text", max_length=200, private=True),
        _spec("contact_email", "E-mail du contact", "email", max_length=254, private=True),
        _spec("contact_phone", "Téléphone du contact", "phone", max_length=40, private=True),
        _spec("internal_notes", "Notes internes", "multiline", max_length=10_000, private=True,
              help="Visibles seulement par votre organisation."),
    ]
)  # fmt: skip

#: Every field of a project (stored columns).
PROJECT_FIELDS: Final[dict[str, FieldSpec]] = dict(
    [
        _spec("name", "Nom du projet", "text", max_length=300),
        _spec("project_type", "Type de projet", "code", vocabulary=PROJECT_TYPES,
              help="Donne les poids conseillés des critères."),
        _spec("activities", "Activités", "codes", vocabulary=PROJECT_TYPES),
        _spec("target_lon", "Longitude du lieu visé", "number", unit="°", minimum=-180.0,
              maximum=180.0, decimals=5),
        _spec("target_lat", "Latitude du lieu visé", "number", unit="°", minimum=-90.0,
              maximum=90.0, decimals=5),
        _spec("radius_km", "Rayon de recherche", "number", unit="km", minimum=0.0,
              exclusive_minimum=True, maximum=20_000.0, usual_maximum=300.0, decimals=1),
        _spec("target_insee_codes", "Communes visées", "insee_list"),
        _spec("surface_min_m2", "Surface minimale", "number", unit="m²", minimum=0.0,
              maximum=1_000_000.0, usual_maximum=100_000.0),
        _spec("surface_target_m2", "Surface cible", "number", unit="m²", minimum=0.0,
              maximum=1_000_000.0, usual_maximum=100_000.0),
        _spec("surface_max_m2", "Surface maximale", "number", unit="m²", minimum=0.0,
              maximum=1_000_000.0, usual_maximum=100_000.0),
        _spec("budget_purchase_eur", "Budget d'achat", "number", unit="€", minimum=0.0,
              maximum=1_000_000_000.0, usual_maximum=20_000_000.0, private=True),
        _spec("budget_works_eur", "Budget travaux", "number", unit="€", minimum=0.0,
              maximum=1_000_000_000.0, usual_maximum=20_000_000.0, private=True),
        _spec("max_rent_eur_year", "Loyer maximal", "number", unit="€/an", minimum=0.0,
              maximum=100_000_000.0, usual_maximum=1_000_000.0, private=True),
        _spec("tenures", "Modes de mise à disposition acceptés", "codes", vocabulary=TENURES),
        _spec("fibre_required", "Fibre exigée", "boolean"),
        _spec("pmr_required", "Accessibilité PMR exigée", "boolean"),
        _spec("ground_floor_required", "Rez-de-chaussée exigé", "boolean"),
        _spec("max_station_distance_m", "Gare à moins de", "number", unit="m", minimum=0.0,
              maximum=1_000_000.0, usual_maximum=50_000.0, display_unit="km",
              display_scale=0.001, decimals=1),
        _spec("needed_by", "Besoin du lieu avant le", "date"),
        _spec("expected_jobs", "Emplois attendus", "number", minimum=0.0, maximum=100_000.0,
              usual_maximum=5_000.0),
        _spec("expected_users", "Usagers attendus", "number", minimum=0.0,
              maximum=10_000_000.0, usual_maximum=1_000_000.0),
        _spec("fabrique_territoire", "Fabrique de territoire", "boolean"),
        _spec("qpv_target", "Public des quartiers prioritaires", "boolean"),
        _spec("hosts_public_service", "Accueille un service public (France Services…)",
              "boolean", help="Le lieu accueillera un service public : la proximité d'une "
              "maison France Services compte alors dans le classement."),
        _spec("source", "Source", "text", max_length=100),
        _spec("source_id", "Identifiant dans la source", "text", max_length=200),
        _spec("synthetic", "Donnée de démonstration", "boolean"),
        _spec("status", "Statut du projet", "code", vocabulary=PROJECT_STATUSES),
        _spec("contact_email", "E-mail du contact", "email", max_length=254, private=True),
        _spec("internal_notes", "Notes internes", "multiline", max_length=10_000, private=True),
    ]
)  # fmt: skip

#: Engine parameters of a project's needs that are not stored (see matcher.needs).
NEEDS_FIELDS: Final[dict[str, FieldSpec]] = dict(
    [
        _spec("surface_tolerance", "Tolérance de surface", "number", minimum=0.0, maximum=1.0,
              exclusive_maximum=True, decimals=2),
        _spec("decay_scale_km", "Distance de décroissance", "number", unit="km", minimum=0.0,
              exclusive_minimum=True, maximum=20_000.0, decimals=1),
    ]
)  # fmt: skip

#: Free texts of the other objects a user writes (requests, shortlists).
MESSAGE_FIELDS: Final[dict[str, FieldSpec]] = dict(
    [
        _spec("message", "Message", "multiline", max_length=5_000),
        _spec("answer", "Réponse", "multiline", max_length=5_000),
        _spec("shortlist_name", "Nom de la liste", "text", max_length=200),
        _spec("note", "Note", "multiline", max_length=2_000),
        _spec("explanation", "Explication", "multiline", max_length=20_000),
        _spec("caption", "Légende", "text", max_length=200),
    ]
)  # fmt: skip

#: Computed columns of search results and lists (displays and exports only).
RESULT_FIELDS: Final[dict[str, FieldSpec]] = dict(
    [
        _spec("rank", "Rang", "integer"),
        _spec("premise_id", "N° du local", "integer"),
        _spec("project_id", "N° du projet", "integer"),
        _spec("id", "N°", "integer"),
        _spec("score_0_100", "Score", "number", unit="/100"),
        _spec("score_total", "Score", "number", unit="/100"),
        _spec("completeness", "Complétude", "number", unit="%", display_scale=100.0),
        _spec("distance_m", "Distance", "number", unit="m", display_unit="km",
              display_scale=0.001, decimals=1),
        _spec("commune", "Commune", "text"),
        _spec("departement", "Département", "text"),
        _spec("owner_org", "Propriétaire", "text"),
        _spec("holder_org", "Porteur", "text"),
        _spec("eligible", "Compatible", "boolean"),
        _spec("failed", "Contraintes non satisfaites", "text"),
        _spec("missing", "Données manquantes", "text"),
        _spec("explanation", "Explication", "multiline"),
        _spec("version", "Version", "integer"),
    ]
)  # fmt: skip

#: Fields that must be given when a premise / a project is created.
PREMISE_REQUIRED: Final[tuple[str, ...]] = ("kind",)
PROJECT_REQUIRED: Final[tuple[str, ...]] = ("name", "project_type")


def spec_for(name: str, *, entity: str = "premise") -> FieldSpec | None:
    """Return the spec of a column name for display: the entity's fields, then results.

    >>> spec_for("radius_km", entity="project").unit, spec_for("distance_m").display_unit
    ('km', 'km')
    >>> spec_for("colour") is None
    True
    """
    first = PROJECT_FIELDS if entity == "project" else PREMISE_FIELDS
    for table in (first, RESULT_FIELDS, PREMISE_FIELDS, PROJECT_FIELDS, MESSAGE_FIELDS):
        if name in table:
            return table[name]
    return None


def label_of(name: str, *, entity: str = "premise") -> str:
    """Return the French label of a field name (the name itself when unknown).

    >>> label_of("floor_area_m2"), label_of("score_0_100"), label_of("xyz")
    ('Surface de plancher', 'Score', 'xyz')
    """
    spec = spec_for(name, entity=entity)
    return spec.label if spec is not None else name
