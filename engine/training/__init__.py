"""Training-time code (corpus preparation, denoiser training, ONNX export). May import torch."""
