"""Data-parallel training under torchrun: `torchrun --nproc_per_node N -m engine.training.train ...`.

torchrun starts N copies of train.py and sets RANK, WORLD_SIZE and
LOCAL_RANK; `setup` joins them into one process group (NCCL when CUDA is
available, gloo on CPU). Each rank draws its own batches from its own random
stream (`own_rng`) of `share(batch)` windows, so the global batch is the
--batch given; DistributedDataParallel averages the gradients, so every rank
takes the same optimizer step. Only rank 0 prints, checkpoints and exports;
the others stop at `finish`, which also checks that every rank ended with the
same weights. Without torchrun (WORLD_SIZE unset or 1) every call here is a
no-op and training runs exactly as before.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from ..errors import RequestError


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def main(self) -> bool:
        """True on the one process that prints, checkpoints and exports."""
        return self.rank == 0

    def share(self, batch: int) -> int:
        """This rank's part of the global batch (which must split evenly)."""
        if batch % self.world:
            raise RequestError(f"--batch {batch} does not split evenly over {self.world} processes; "
                               f"use a multiple of {self.world}")  # fmt: skip
        return batch // self.world

    def own_rng(self, rng: np.random.Generator) -> np.random.Generator:
        """A random stream of this rank's own: rank 0 keeps the checkpointed one, the others derive theirs."""
        if self.rank == 0:
            return rng
        return np.random.default_rng([int(rng.integers(2**62)), self.rank])

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The module to call in training: DDP (gradients averaged over ranks) or the model itself."""
        if self.world == 1:
            return model
        devices = [self.local_rank] if self.backend == "nccl" else None
        return DistributedDataParallel(model, device_ids=devices)

    def agree(self, seconds: float) -> float:
        """`seconds` made the same on every rank (the largest), so all agree on budgets and lr."""
        if self.world == 1:
            return seconds
        value = torch.tensor([seconds], dtype=torch.float64, device=self._device())
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return float(value.item())

    def main_first(self, fn, *args):
        """fn(*args) on rank 0, then on the others (for steps that write shared files once, then reuse them)."""
        if self.world == 1:
            return fn(*args)
        if self.main:
            result = fn(*args)
        dist.barrier()
        if not self.main:
            result = fn(*args)
        return result

    def finish(self, model: torch.nn.Module) -> None:
        """Check that all ranks hold the same weights and leave the group; ranks other than 0 end here."""
        if self.world == 1:
            return
        flat = torch.cat([p.detach().double().flatten() for p in model.parameters()])
        low, high = flat.clone(), flat.clone()
        dist.all_reduce(low, op=dist.ReduceOp.MIN)
        dist.all_reduce(high, op=dist.ReduceOp.MAX)
        spread = float((high - low).abs().max().item())
        if self.main:
            print(f"distributed: {self.world} ranks ({self.backend}), weights identical across ranks "
                  f"(largest difference {spread:.1e})" if spread == 0 else
                  f"distributed: WARNING weights differ across ranks by up to {spread:.1e}", flush=True)  # fmt: skip
        dist.barrier()
        dist.destroy_process_group()
        if not self.main:
            sys.exit(0)

    def _device(self) -> torch.device:
        return torch.device("cuda", self.local_rank) if self.backend == "nccl" else torch.device("cpu")


def setup(seed: int) -> Ranks:
    """Join torchrun's process group (if any); per-rank torch seed (noise, dropout); quiet ranks other than 0."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Ranks()
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(local_rank)  # `--device cuda` then means this rank's GPU
    dist.init_process_group(backend)
    if rank != 0:
        torch.manual_seed(seed + 7919 * rank)  # own noise and dropout; DDP gives every rank rank 0's weights
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    return Ranks(rank, world, local_rank, backend)
