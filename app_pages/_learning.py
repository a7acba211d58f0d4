"""Section "poids experts / poids appris": a page calls :func:`render_learned_weights`.

Everything shown comes from :mod:`matcher.services.learning`; the section only lays it
out and returns the weights the user chose, ready for ``search_premises``.
"""

from __future__ import annotations

import streamlit as st

from app_pages import _common as ui
from matcher.services._common import Actor
from matcher.services.learning import learned_weights_view, weights_for_search


def render_learned_weights(
    actor: Actor, project_type: str = "hybrid", *, key: str = "learned"
) -> dict[str, float] | None:
    """Return the weights chosen (None: the expert preset), after showing both side by side.

    Fund officers and admins also see the per-territory check (QPV, Petites Villes de
    Demain and small towns, rural communes, métropoles; share of the top 10 outside
    métropoles before and after).
    """
    view = ui.call(learned_weights_view, actor, project_type)
    if view is None:  # the service's French message is shown
        return None
    st.subheader("Poids experts ou poids appris")
    choices = view.choices
    choice = st.radio(
        "Pondération des critères",
        options=list(choices),
        format_func=choices.get,
        horizontal=True,
        key=f"{key}_choice",
    )
    if view.adopt:
        st.success(view.message)
    else:
        st.info(view.message)
    st.dataframe(view.weights_table, hide_index=True)
    if view.figures:
        with st.expander("Évaluation des poids appris"):
            st.dataframe(view.figures_table, hide_index=True)
            st.caption(
                "NDCG@10 : qualité de l'ordre des 10 premiers locaux au regard de ce que les "
                "utilisateurs en ont fait (1 = parfait), corrigée de l'attention que reçoit le "
                "haut de la liste ; intervalle à 95 % par rééchantillonnage des projets."
            )
    if view.per_territory is not None:
        st.markdown("**Contrôle par territoire** (mandat territorial du fonds)")
        st.dataframe(view.per_territory, hide_index=True)
    return ui.call(weights_for_search, actor, project_type, choice)
