"""One-to-one allocation of projects to premises over scored pairs (assignment problem).

The pairs come from :func:`matcher.engine.batch.batch_match` (or any scored pairs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.errors import ValidationError

__all__ = ["allocate"]


def allocate(pairs: pd.DataFrame, score_column: str = "score_0_100") -> pd.DataFrame:
    """Return a one-to-one assignment maximising the total score of ``pairs``.

    ``pairs`` has project_id, premise_id and a score; each project gets at most
    one premise and each premise at most one project (some stay unassigned).
    Solved per connected component with :func:`scipy.optimize.linear_sum_assignment`
    (sparse matching for very large components). Input order does not matter.
    """
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

    cols = ["project_id", "premise_id", score_column]
    missing = [c for c in cols if c not in pairs.columns]
    if missing:
        raise ValidationError(f"Colonne « {missing[0]} » absente des paires.", field=missing[0])
    df = pairs[cols].dropna(subset=[score_column])
    if (df[score_column] < 0).any():
        raise ValidationError("Les scores des paires doivent être positifs.", field=score_column)
    df = df.sort_values(["project_id", "premise_id"], kind="stable")
    df = df.drop_duplicates(["project_id", "premise_id"], keep="first")
    if df.empty:
        return pd.DataFrame(columns=cols)
    pj, proj_ids = pd.factorize(df["project_id"], sort=True)
    pm, prem_ids = pd.factorize(df["premise_id"], sort=True)
    s = df[score_column].to_numpy(float)
    n_p, n_m = len(proj_ids), len(prem_ids)
    graph = coo_matrix((np.ones(len(s)), (pj, n_p + pm)), shape=(n_p + n_m, n_p + n_m))
    _, label = connected_components(graph, directed=False)
    chosen: list[tuple[int, int, float]] = []
    comp_of_pair = label[pj]
    for comp in np.unique(comp_of_pair):
        sel = np.flatnonzero(comp_of_pair == comp)
        rp, rp_inv = np.unique(pj[sel], return_inverse=True)
        rm, rm_inv = np.unique(pm[sel], return_inverse=True)
        if len(rp) * len(rm) <= 4_000_000:
            cost = np.zeros((len(rp), len(rm)))
            cost[rp_inv, rm_inv] = -s[sel]
            ri, ci = linear_sum_assignment(cost)
            good = cost[ri, ci] < 0
            chosen += [(rp[a], rm[b], -cost[a, b]) for a, b in zip(ri[good], ci[good], strict=True)]
        else:  # sparse: one private dummy premise per project allows "unassigned"
            nr = len(rp)
            data = np.concatenate([s[sel] + 1.0, np.full(nr, 1.0)])
            r_idx = np.concatenate([rp_inv, np.arange(nr)])
            c_idx = np.concatenate([rm_inv, len(rm) + np.arange(nr)])
            mat = coo_matrix((data, (r_idx, c_idx)), shape=(nr, len(rm) + nr)).tocsr()
            ri, ci = np.arange(nr), min_weight_full_bipartite_matching(mat, maximize=True)[1]
            real = ci < len(rm)
            lookup = dict(zip(zip(rp_inv, rm_inv, strict=True), s[sel], strict=True))
            chosen += [
                (rp[a], rm[b], lookup[(a, b)]) for a, b in zip(ri[real], ci[real], strict=True)
            ]
    out = pd.DataFrame(
        {
            "project_id": [proj_ids[a] for a, _, _ in chosen],
            "premise_id": [prem_ids[b] for _, b, _ in chosen],
            score_column: [v for _, _, v in chosen],
        }
    )
    return out.sort_values("project_id", kind="stable").reset_index(drop=True)
