"""Adapters for every real dataset of the raw data folder, keyed by source name.

>>> sorted(ADAPTERS)[:4]
['acv', 'arcep_ftth', 'ardennes_friches', 'bretagne_tiers_lieux']
>>> ADAPTERS["laposte"].kind
'premises'
"""

from __future__ import annotations

from matcher.ingestion.adapters.base import Adapter, raw_data_dir
from matcher.ingestion.adapters.friches import ARDENNES_FRICHES, CARTOFRICHES, CARTOFRICHES_SITES
from matcher.ingestion.adapters.places import (
    BRETAGNE,
    FABLABS_2020,
    LAPOSTE,
    LAPOSTE_2016,
    OCCITANIE,
)
from matcher.ingestion.adapters.reference import ACV, ARCEP, DVF_QPV, GARES, LOVAC, QPV

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
    )
}

__all__ = ["ADAPTERS", "Adapter", "raw_data_dir"]
