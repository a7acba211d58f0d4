"""Every project against every premise, tile by tile: on one machine, or on Apache Spark.

=================  ==========================================================================
``tiles``          square tiles per CRS zone with a halo; which tile owns a point
``blocks``         parsed premise rows (the engine's parser), as Arrow tables, into snapshots
``kernels``        compiled top-k of projects per premise (the engine's criteria and parts)
``score``          the plan of a batch (projects compiled once, tiling) and one tile scored
``sources``        premises streamed from Parquet, a frame or the database; projects read
``output``         partitioned Parquet with metadata, atomic writes, reading a batch back
``stream``         the streaming, resumable batch on one machine
``spark``          the same tiles scored inside Spark (``pyspark``, local or cluster)
=================  ==========================================================================

Both drivers score each tile with :func:`matcher.scale.score.score_tile`, so they give
the same pairs, ranks and scores to the last bit, equal to
:func:`matcher.engine.batch.batch_match` on the whole catalogue (see ``docs/scale.md``).
"""
