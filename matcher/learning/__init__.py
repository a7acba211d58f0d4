"""Preference model learned from users' decisions (see ``docs/learning.md``).

=================  ==========================================================================
``events``         decision events and the graded training data built from them
``ranker``         pairwise logistic baseline and LightGBM lambdarank (scikit-learn style)
``preset``         learned weights in the form of an expert preset
``metrics``        position-debiased NDCG per project, bootstrap intervals
``evaluation``     grouped and time-ordered evaluation, per-territory checks
``territories``    the fund's priority territories of a premise
``policy``         cold start, honesty rules, the exploration slot
``train``          events in, an evaluated and decided model out
``artefacts``      skops files and model cards, checked on loading
``rerank``         re-ranking a result list by learned weights or a re-ranker
``simulator``      simulated users acting on result lists (demo, tests)
=================  ==========================================================================
"""
