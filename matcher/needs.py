"""What a tiers-lieux project needs, validated once, in the engine's units.

Numeric bounds come from the field registry (:mod:`matcher.fields`), the same
ones the forms and imports apply; messages use the fields' French labels.

:class:`ProjectNeeds` is built from a form, a dict or a project row (columns
:data:`matcher.domain.PROJECT_COLUMNS`) with :meth:`ProjectNeeds.from_record`.
Every invalid value raises :class:`matcher.errors.ValidationError` with a
French message naming the field and the value.

The target is either a point with an optional radius, or a set of INSEE
commune codes and/or département codes (``"35"``, ``"2A"``, ``"974"``); an
EPCI must be expanded into its communes by the caller (the territorial
reference knows the members). A point and a set may be combined: the set is
then the hard area and the point the centre of the distance score.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from matcher.domain import PROJECT_TYPES, TENURES
from matcher.engine.criteria import Decay
from matcher.errors import InvalidCodeError, ValidationError
from matcher.fields import NEEDS_FIELDS, PROJECT_FIELDS
from matcher.geo import ZONES, zone_for_departement

__all__ = ["ProjectNeeds", "DEFAULT_HALF_DISTANCE_KM"]

#: Half distance of the default exponential decay when the project gives no radius.
DEFAULT_HALF_DISTANCE_KM = 50.0

_INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_DEP_RE = re.compile(r"^(\d{2}|2[AB]|97[1-6])$")
_TRUE = {"1", "true", "vrai", "oui", "yes", "o", "y", "x"}
_FALSE = {"0", "false", "faux", "non", "no", "n", ""}


def _zone_of_point(lon: float, lat: float) -> str:
    """Return the zone containing a point, ``""`` if none (scalar twin of geo.zone_for_lonlat)."""
    for zone in ZONES.values():
        w, s, e, n = zone.bounds
        if w <= lon <= e and s <= lat <= n:
            return zone.code
    return ""


@functools.cache
def _init_names(cls: type) -> frozenset[str]:
    """Return the names of a dataclass's fields set by its constructor."""
    return frozenset(f.name for f in fields(cls) if f.init)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    kind = type(v)
    if kind is float:  # the common cases first: a search converts some fifty values
        return v != v  # NaN
    if kind is int or kind is bool or kind is tuple:
        return False
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and not v.strip():
        return True
    return v is pd.NA or v is pd.NaT


def _number(name: str, v: Any) -> float | None:
    """Return the number ``v`` of field ``name``, checked against the field registry's bounds."""
    if _missing(v):
        return None
    spec = PROJECT_FIELDS.get(name) or NEEDS_FIELDS[name]
    try:
        if isinstance(v, float | int) and not isinstance(v, bool):
            x = float(v)  # already a number: no text to clean
        else:
            x = float(
                str(v).replace(",", ".").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
            )
    except (TypeError, ValueError):
        raise ValidationError(
            f"{spec.label} : « {v} » n'est pas un nombre.", field=name, value=v
        ) from None
    message = spec.bounds_error(x)
    if message is not None:
        raise ValidationError(message, field=name, value=v)
    return x


def _label(name: str) -> str:
    """Return the French label of a needs field (the registry's)."""
    spec = PROJECT_FIELDS.get(name) or NEEDS_FIELDS.get(name)
    return spec.label if spec is not None else name


def _bool(name: str, v: Any) -> bool:
    if _missing(v):
        return False
    if isinstance(v, bool | np.bool_):
        return bool(v)
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValidationError(f"{_label(name)} : « {v} » n'est pas un oui/non.", field=name, value=v)


def _codes(name: str, v: Any) -> tuple[str, ...]:
    if _missing(v):
        return ()
    items = v.split("|") if isinstance(v, str) else list(v)
    return tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


def _date(name: str, v: Any) -> dt.date | None:
    if _missing(v):
        return None
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v
    try:
        return pd.Timestamp(v).date()
    except (TypeError, ValueError):
        raise ValidationError(
            f"{_label(name)} : « {v} » n'est pas une date (AAAA-MM-JJ attendu).",
            field=name,
            value=v,
        ) from None


@dataclass(frozen=True)
class ProjectNeeds:
    """The needs of one project, as the engine reads them (units in names)."""

    project_id: str | None = None
    project_type: str = "hybrid"
    activities: tuple[str, ...] = ()
    target_lon: float | None = None
    target_lat: float | None = None
    radius_km: float | None = None
    target_insee_codes: tuple[str, ...] = ()
    surface_min_m2: float | None = None
    surface_target_m2: float | None = None
    surface_max_m2: float | None = None
    surface_tolerance: float = 0.1
    budget_purchase_eur: float | None = None
    budget_works_eur: float | None = None
    max_rent_eur_year: float | None = None
    tenures: tuple[str, ...] = ()
    fibre_required: bool = False
    pmr_required: bool = False
    ground_floor_required: bool = False
    max_station_distance_m: float | None = None
    needed_by: dt.date | None = None
    expected_jobs: float | None = None
    expected_users: float | None = None
    fabrique_territoire: bool = False
    qpv_target: bool = False
    #: The project wants to host a public service (France Services...): scored on the gap
    #: it would fill (distance to the nearest France Services site).
    hosts_public_service: bool = False
    #: Distance decay: ``linear``, ``exponential`` or ``gaussian`` (None: exponential).
    decay: str | None = None
    #: Decay distance in km (linear: zero point; others: half distance).
    decay_scale_km: float | None = None
    _zone: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "project_id", None if _missing(self.project_id) else str(self.project_id))
        for name in (
            "radius_km",
            "surface_min_m2",
            "surface_target_m2",
            "surface_max_m2",
            "budget_purchase_eur",
            "budget_works_eur",
            "max_rent_eur_year",
            "max_station_distance_m",
            "expected_jobs",
            "expected_users",
            "decay_scale_km",
        ):
            set_(self, name, _number(name, getattr(self, name)))
        tol = _number("surface_tolerance", self.surface_tolerance)
        if tol is None:
            raise ValidationError(
                "Tolérance de surface : une valeur entre 0 et 1 est obligatoire.",
                field="surface_tolerance",
                value=self.surface_tolerance,
            )
        set_(self, "surface_tolerance", tol)
        for name in ("fibre_required", "pmr_required", "ground_floor_required"):
            set_(self, name, _bool(name, getattr(self, name)))
        for name in ("fabrique_territoire", "qpv_target", "hosts_public_service"):
            set_(self, name, _bool(name, getattr(self, name)))
        set_(self, "needed_by", _date("needed_by", self.needed_by))
        self._check_types()
        self._check_target()
        self._check_surface()
        if self.decay is not None:
            Decay(self.decay, 1.0)  # validates the kind
        set_(self, "_zone", self._compute_zone())

    def _check_types(self) -> None:
        ptype = "hybrid" if _missing(self.project_type) else str(self.project_type).strip()
        if ptype not in PROJECT_TYPES:
            raise ValidationError(
                f"Type de projet : type inconnu « {ptype} » "
                f"(attendu : {', '.join(PROJECT_TYPES)}).",
                field="project_type",
                value=ptype,
            )
        object.__setattr__(self, "project_type", ptype)
        for name, vocab in (("activities", PROJECT_TYPES), ("tenures", TENURES)):
            codes = _codes(name, getattr(self, name))
            bad = [c for c in codes if c not in vocab]
            if bad:
                raise ValidationError(
                    f"{_label(name)} : code inconnu « {bad[0]} » (attendu : {', '.join(vocab)}).",
                    field=name,
                    value=bad[0],
                )
            object.__setattr__(self, name, codes)

    def _check_target(self) -> None:
        lon, lat = self.target_lon, self.target_lat
        if _missing(lon) != _missing(lat):
            raise ValidationError(
                "Lieu visé : il faut la longitude et la latitude, ou aucune "
                f"(reçu longitude « {lon} », latitude « {lat} »).",
                field="target_lon" if _missing(lon) else "target_lat",
                value=lon if _missing(lat) else lat,
            )
        if not _missing(lon):
            try:
                lon_f = float(str(lon).replace(",", ".").strip())
                lat_f = float(str(lat).replace(",", ".").strip())
            except (TypeError, ValueError):
                raise ValidationError(
                    f"Coordonnées du centre visé invalides : « {lon} », « {lat} ».",
                    field="target_lon",
                    value=(lon, lat),
                ) from None
            if not _zone_of_point(lon_f, lat_f):
                raise ValidationError(
                    f"Le centre visé (longitude {lon_f}, latitude {lat_f}) n'est dans aucun "
                    "territoire français couvert.",
                    field="target_lon",
                    value=(lon_f, lat_f),
                )
            object.__setattr__(self, "target_lon", lon_f)
            object.__setattr__(self, "target_lat", lat_f)
        else:
            object.__setattr__(self, "target_lon", None)
            object.__setattr__(self, "target_lat", None)
        codes = tuple(c.upper() for c in _codes("target_insee_codes", self.target_insee_codes))
        for c in codes:
            if not (_INSEE_RE.match(c) or _DEP_RE.match(c)):
                raise ValidationError(
                    f"Communes visées : « {c} » n'est ni un code commune INSEE "
                    "(5 caractères) ni un code de département.",
                    field="target_insee_codes",
                    value=c,
                )
        object.__setattr__(self, "target_insee_codes", codes)
        zones = {self._zone_of_code(c) for c in codes}
        if self.has_point:
            zones.add(_zone_of_point(self.target_lon, self.target_lat))
        if len(zones) > 1:
            raise ValidationError(
                f"La zone visée mêle plusieurs territoires ({', '.join(sorted(zones))}) : "
                "une recherche porte sur un seul territoire.",
                field="target_insee_codes",
                value=codes,
            )
        if self.radius_km is not None and not self.has_point:
            raise ValidationError(
                f"Rayon de recherche : un rayon ({self.radius_km:g} km) demande un lieu visé "
                "(longitude et latitude).",
                field="radius_km",
                value=self.radius_km,
            )

    @staticmethod
    def _zone_of_code(code: str) -> str:
        dep = code[:3] if code.startswith("97") else code[:2]
        try:
            return zone_for_departement(dep)
        except InvalidCodeError as exc:
            raise ValidationError(str(exc), field="target_insee_codes", value=code) from None

    def _check_surface(self) -> None:
        lo, t, hi = self.surface_min_m2, self.surface_target_m2, self.surface_max_m2
        pairs = [("surface_min_m2", lo, "surface_target_m2", t)]
        pairs += [("surface_target_m2", t, "surface_max_m2", hi)]
        pairs += [("surface_min_m2", lo, "surface_max_m2", hi)]
        for n1, v1, n2, v2 in pairs:
            if v1 is not None and v2 is not None and v1 > v2:
                raise ValidationError(
                    f"{_label(n1)} ({v1:g} m²) et {_label(n2).lower()} ({v2:g} m²) : "
                    "le premier doit être inférieur ou égal au second.",
                    field=n1,
                    value=v1,
                )

    # --- derived views -----------------------------------------------------------

    @property
    def has_point(self) -> bool:
        """Return True when the project gives a target point."""
        return self.target_lon is not None

    @property
    def zone(self) -> str | None:
        """Return the zone (``matcher.geo.ZONES`` key) of the target, None when unplaced.

        >>> ProjectNeeds(target_lon=55.45, target_lat=-21.1).zone
        'REU'
        >>> ProjectNeeds(target_insee_codes="35238|35047").zone
        'FXX'
        """
        return self._zone

    def _compute_zone(self) -> str | None:
        if self.has_point:
            return _zone_of_point(self.target_lon, self.target_lat)
        if self.target_insee_codes:
            return self._zone_of_code(self.target_insee_codes[0])
        return None

    @property
    def radius_m(self) -> float | None:
        """Return the hard radius in metres, or None."""
        return None if self.radius_km is None else self.radius_km * 1000.0

    def decay_function(self) -> Decay:
        """Return the distance decay: the chosen kind, else exponential.

        Default scale: half the radius (or 50 km without radius); the radius is
        the cut-off.

        >>> ProjectNeeds(target_lon=2.35, target_lat=48.85, radius_km=30).decay_function()
        Decay(kind='exponential', scale_m=15000.0, cutoff_m=30000.0)
        """
        if self.decay_scale_km is not None:
            scale_m = self.decay_scale_km * 1000.0
        elif self.radius_km is not None:
            scale_m = self.radius_km * (1000.0 if self.decay == "linear" else 500.0)
        else:
            scale_m = DEFAULT_HALF_DISTANCE_KM * 1000.0
        cutoff = self.radius_m if self.radius_m is not None else float("inf")
        return Decay(self.decay or "exponential", scale_m, cutoff)

    @property
    def has_surface(self) -> bool:
        """Return True when any surface bound or target is given."""
        return any(
            v is not None
            for v in (self.surface_min_m2, self.surface_target_m2, self.surface_max_m2)
        )

    @property
    def has_budget(self) -> bool:
        """Return True when a purchase budget or a maximum rent is given."""
        return self.budget_purchase_eur is not None or self.max_rent_eur_year is not None

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | pd.Series) -> ProjectNeeds:
        """Return needs read from a mapping (unknown keys are ignored).

        >>> n = ProjectNeeds.from_record({"project_type": "fablab", "surface_min_m2": "120",
        ...                               "fibre_required": "oui", "tenures": "lease|sale"})
        >>> n.project_type, n.surface_min_m2, n.fibre_required, n.tenures
        ('fablab', 120.0, True, ('lease', 'sale'))
        """
        names = _init_names(cls)
        kwargs = {k: v for k, v in dict(record).items() if k in names and not _missing(v)}
        return cls(**kwargs)
