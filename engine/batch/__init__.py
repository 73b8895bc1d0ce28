"""Batch generation: many job files in, one output per job, on local processes or a Ray cluster.

`python -m engine batch --jobs DIR_OR_JSONL --out DIR [--ray auto|local|ADDRESS]`.
Workers compute (models load once per worker); only the driver writes files,
atomically, so an interrupted or failing batch never leaves half-written
outputs. Ray is imported only by ray_pool.py, and only when asked for.
"""
