"""Accueil / carte nationale : à quoi sert l'outil, carte hors ligne et chiffres clés."""

import streamlit as st

from app_pages import _common as ui
from matcher import mapview
from matcher.services import territory as territory_service

actor = ui.require_user()
st.title("Locaux vacants et tiers-lieux")
st.write(
    "Cet outil aide les **collectivités et propriétaires** à proposer leurs locaux vides, les "
    "**porteurs de projets de tiers-lieux** à trouver le lieu qui leur convient, et le "
    "**fonds ISR de 50 M€** à suivre les conversions et leur impact."
)

with ui.french_errors():
    premises = ui.public_catalogue()
    layers = territory_service.home_layers(actor)
    figures = territory_service.home_figures(actor)
    offer = territory_service.catalogue_figures(actor, premises)
    white = layers.white_zones

    st.subheader("Carte nationale")
    st.caption(
        "Points bleus : locaux disponibles · points verts : tiers-lieux connus · halos rouges : "
        "vides urbains, halos orange : vides ruraux (grille de densité de l'INSEE, 2025) — villes "
        f"de {ui.fmt_int(offer.white_zone_min_population)} habitants et plus, ou bourgs "
        f"ruraux de 3 000 habitants et plus, à plus de "
        f"{offer.white_zone_distance_km:.0f} km d'un tiers-lieu connu."
    )
    st.caption(
        f"La liste des tiers-lieux connus est partielle : {ui.fmt_int(figures.tiers_lieux_known)} "
        "lieux (fablabs 2020, tiers-lieux bretons 2020) pour environ 3 500 en France "
        "(France Tiers-Lieux, 2023). Chaque zone blanche indique la couverture de la liste dans "
        "son département ; les départements sans liste ne sont pas marqués (inconnu n'est pas "
        f"blanc). Zones affichées : {ui.fmt_int(figures.white_zones_urban)} vides urbains, "
        f"{ui.fmt_int(figures.white_zones_rural)} vides ruraux."
    )
    deck = mapview.national_deck(ui.national_outlines(), premises, tiers_lieux=layers.tiers_lieux)
    if len(white):
        # under the tiers-lieux and premises, above the outlines
        deck.layers.insert(
            1,
            mapview.points_layer(
                white,
                layer_id="zones_blanches",
                color_column="color",
                radius_m=4000,
                radius_min_pixels=3,
                opacity=0.35,
                columns=("name", "tip"),
            ),
        )
    st.pydeck_chart(deck, height=520, key="home_map")
    if layers.tiers_lieux.empty:
        st.caption("Référence des tiers-lieux non disponible : zones blanches non calculées.")
    with st.expander("Couverture de la liste des tiers-lieux par département"):
        st.caption(
            "Attendus : environ 3 500 tiers-lieux répartis selon la population 2022 de chaque "
            "département, ordre de grandeur indicatif et non recensement."
        )
        st.dataframe(figures.coverage, hide_index=True, height=320)

    st.subheader("Chiffres clés")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Locaux disponibles", ui.fmt_int(offer.available))
    share = offer.share_outside_metropoles
    c2.metric("Hors métropoles", "inconnu" if share != share else f"{share * 100:.0f} %")
    c3.metric("Projets de tiers-lieux", ui.fmt_int(figures.projects))
    c4.metric("Tiers-lieux connus", ui.fmt_int(figures.tiers_lieux_known))

    left, right = st.columns(2)
    with left:
        st.markdown("**Locaux par type**")
        st.bar_chart(
            offer.by_kind.set_index("Type de local")["Locaux"],
            horizontal=True,
            height=320,
            sort=False,
        )
    with right:
        st.markdown("**Locaux par région**")
        st.dataframe(offer.by_region, hide_index=True, height=320)

    st.subheader("Territoires prioritaires")
    st.caption(
        "Calculés par l'outil à partir des listes officielles (Petites Villes de Demain, France "
        "Ruralités Revitalisation, France Services), comparés aux chiffres que publient les sources."
    )
    st.dataframe(figures.key_figures, hide_index=True)
    st.markdown("**Communes et population par niveau de densité** (INSEE, grille 2025)")
    st.dataframe(figures.density, hide_index=True)
    rural_c = f"{figures.rural_share_communes * 100:.1f}".replace(".", ",")
    rural_p = f"{figures.rural_share_population * 100:.1f}".replace(".", ",")
    st.caption(
        f"Communes rurales (niveaux 5 à 7) : {rural_c} % des communes et {rural_p} % de la "
        "population 2022 (l'INSEE indique environ 88 % des communes et un tiers de la population)."
    )

    if offer.pipeline is not None:
        st.markdown("**Pipeline du fonds**")
        st.dataframe(offer.pipeline, hide_index=True)
