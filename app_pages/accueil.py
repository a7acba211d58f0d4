"""Accueil / carte nationale : à quoi sert l'outil, carte hors ligne et chiffres clés."""

import pandas as pd
import streamlit as st

from app_pages import _common as ui
from matcher import keyfigures, mapview

actor = ui.require_user()
st.title("Locaux vacants et tiers-lieux")
st.write(
    "Cet outil aide les **collectivités et propriétaires** à proposer leurs locaux vides, les "
    "**porteurs de projets de tiers-lieux** à trouver le lieu qui leur convient, et le "
    "**fonds ISR de 50 M€** à suivre les conversions et leur impact."
)

with ui.french_errors():
    premises = ui.public_catalogue()
    tiers_lieux, white = ui.reference_layers()

    st.subheader("Carte nationale")
    st.caption(
        "Points bleus : locaux disponibles · points verts : tiers-lieux connus · halos rouges : "
        f"villes de {ui.fmt_int(keyfigures.WHITE_ZONE_MIN_POPULATION)} habitants et plus à plus de "
        f"{keyfigures.WHITE_ZONE_DISTANCE_M / 1000:.0f} km d'un tiers-lieu connu. La liste des "
        "tiers-lieux connus est partielle (fablabs 2020, tiers-lieux bretons) : ces zones blanches "
        "sont indicatives."
    )
    deck = mapview.national_deck(
        ui.national_outlines(), premises, tiers_lieux=tiers_lieux, white_zones=white
    )
    st.pydeck_chart(deck, height=520, key="home_map")
    if tiers_lieux.empty:
        st.caption("Référence des tiers-lieux non disponible : zones blanches non calculées.")

    st.subheader("Chiffres clés")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Locaux disponibles", ui.fmt_int(len(premises)))
    share = keyfigures.share_outside_metropoles(premises)
    c2.metric("Hors métropoles", "inconnu" if share != share else f"{share * 100:.0f} %")
    from matcher.services.catalogue import projects_frame

    projects = projects_frame()
    c3.metric("Projets de tiers-lieux", ui.fmt_int(len(projects)))
    c4.metric("Tiers-lieux connus", ui.fmt_int(len(tiers_lieux)))

    left, right = st.columns(2)
    with left:
        st.markdown("**Locaux par type**")
        by_kind = keyfigures.counts_by(premises, "kind")
        st.bar_chart(by_kind.set_index("label")["count"], horizontal=True, height=320, sort=False)
    with right:
        st.markdown("**Locaux par région**")
        by_region = premises["region_name"].fillna("inconnue").value_counts()
        st.dataframe(
            pd.DataFrame({"Région": by_region.index, "Locaux": by_region.to_numpy()}),
            hide_index=True,
            height=320,
        )

    if actor.role in ("fund", "admin"):
        from matcher.services import deals

        st.markdown("**Pipeline du fonds**")
        totals = keyfigures.pipeline_totals(deals.list_deals(actor))
        st.dataframe(
            totals.rename(
                columns={"label": "Étape", "deals": "Dossiers", "tickets_eur": "Tickets (€)"}
            )[["Étape", "Dossiers", "Tickets (€)"]],
            hide_index=True,
        )
