"""Adapters for every real dataset of the raw data folder, keyed by source name.

>>> sorted(ADAPTERS)[:4]
['acv', 'anct_programmes', 'arcep_ftth', 'ardennes_friches']
>>> ADAPTERS["laposte"].kind
'premises'
"""

from __future__ import annotations

from matcher.ingestion.adapters.base import Adapter, raw_data_dir
from matcher.ingestion.adapters.density import DENSITY_2025
from matcher.ingestion.adapters.friches import ARDENNES_FRICHES, CARTOFRICHES, CARTOFRICHES_SITES
from matcher.ingestion.adapters.places import (
    BRETAGNE,
    FABLABS_2020,
    LAPOSTE,
    LAPOSTE_2016,
    OCCITANIE,
)
from matcher.ingestion.adapters.reference import ACV, ARCEP, DVF_QPV, GARES, LOVAC, QPV
from matcher.ingestion.adapters.territory_sources import (
    ANCT_PROGRAMMES,
    FRANCE_SERVICES,
    FRR_2025,
    HISTORY_FUSIONS,
    HISTORY_SCISSIONS,
    PVD_2021,
)

#: Every adapter by source name.
ADAPTERS: dict[str, Adapter] = {
    a.name: a
    for a in (
        CARTOFRICHES,
        CARTOFRICHES_SITES,
        ARDENNES_FRICHES,
        LAPOSTE,
        LAPOSTE_2016,
        FABLABS_2020,
        BRETAGNE,
        OCCITANIE,
        GARES,
        ARCEP,
        ACV,
        QPV,
        LOVAC,
        DVF_QPV,
        # territorial reference sources (issue 12)
        PVD_2021,
        ANCT_PROGRAMMES,
        FRANCE_SERVICES,
        FRR_2025,
        DENSITY_2025,
        HISTORY_FUSIONS,
        HISTORY_SCISSIONS,
    )
}

__all__ = ["ADAPTERS", "Adapter", "raw_data_dir"]
