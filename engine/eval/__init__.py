"""Benchmark and evaluator: `python -m engine.eval.bench`, `python -m engine.eval.train_evaluator`.

Only train_evaluator.py and evaluator.py import torch; the benchmark runs on
onnxruntime alone, so generation timings are those a user would see.
"""
