"""Model v2 training pieces, in-process and fast: FK losses, weight average, warm start, balancing, imputation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from engine import diffusion
from engine import features as feat
from engine.eval import demo_motion
from engine.training.balance import CaptionChooser, clip_probabilities
from engine.training.captions import STYLES
from engine.training.ema import WeightAverage
from engine.training.export import export_checkpoint, export_model
from engine.training.geometry import feature_positions, geometric_losses, heading_frame_positions
from engine.training.model import OBS_DIM, Denoiser, ModelConfig
from engine.training.warm_start import WarmStartError, load_initial_weights, onnx_state_dict

TINY = ModelConfig(width=32, layers=1, heads=2, ff=64)


def walk_features() -> torch.Tensor:
    return torch.from_numpy(feat.encode(demo_motion.walk(seconds=2.0, fps=20.0, turn_deg_per_s=20.0)))[None]


def test_fk_of_the_rotation_channels_gives_the_position_channels():
    raw = walk_features()
    fk = heading_frame_positions(raw)
    assert torch.allclose(fk, feature_positions(raw), atol=1e-4)
    assert fk[0, :, 0, 2].min() > 0.5  # the pelvis stands at its height


def test_geometric_losses_are_zero_for_the_data_and_grow_with_a_bent_arm():
    raw = walk_features()
    valid = torch.ones(raw.shape[:2])
    same = geometric_losses(raw, raw, valid, 20.0)
    assert same["pos"].item() == 0.0 and same["vel"].item() == 0.0
    bent = raw.clone()
    elbow = feat.ROT_SLICE.start + 6 * 18  # left elbow's 6D columns
    bent[:, ::2, elbow : elbow + 6] = torch.tensor([0.0, 1.0, 0.0, -1.0, 0.0, 0.0])  # 90 degrees, every other frame
    worse = geometric_losses(bent, raw, valid, 20.0)
    assert worse["pos"].item() > 0.1 and worse["vel"].item() > worse["pos"].item()


def test_geometric_losses_weigh_samples_by_their_valid_weight():
    """--geo-signal passes abar_t as the weight: a noisy sample's error counts for little."""
    raw = walk_features()
    pair = torch.cat([raw, raw])
    bent = pair.clone()
    elbow = feat.ROT_SLICE.start + 6 * 18
    bent[1, :, elbow : elbow + 6] = torch.tensor([0.0, 1.0, 0.0, -1.0, 0.0, 0.0])  # only the 2nd sample is wrong
    equal = geometric_losses(bent, pair, torch.ones(pair.shape[:2]), 20.0)["pos"].item()
    noisy_second = geometric_losses(bent, pair, torch.tensor([[1.0], [0.01]]).expand(pair.shape[:2]), 20.0)
    assert noisy_second["pos"].item() < 0.05 * equal


def test_planted_feet_that_slide_are_penalised():
    raw = walk_features()
    valid = torch.ones(raw.shape[:2])
    sliding = raw.clone()
    sliding[..., 1] += 1.0  # the root (and the planted feet with it) moves 1 m/s faster sideways
    base = geometric_losses(raw, raw, valid, 20.0)["foot"].item()
    assert geometric_losses(sliding, raw, valid, 20.0)["foot"].item() > base + 0.5


def test_weight_average_follows_the_weights_with_its_decay():
    model = torch.nn.Linear(2, 1)
    avg = WeightAverage(model, decay=0.5)
    with torch.no_grad():
        model.weight.fill_(0.0)
    start = avg.model.weight.clone()
    for _ in range(30):
        avg.update(model)
    assert torch.allclose(avg.model.weight, torch.zeros_like(start), atol=1e-6)
    assert not avg.model.weight.requires_grad


def test_imputed_model_returns_the_observed_values_where_observed():
    torch.manual_seed(0)
    model = Denoiser(ModelConfig(width=32, layers=1, heads=2, ff=64, impute=True)).eval()
    x = torch.randn(1, 8, feat.FEATURE_DIM)
    obs = torch.randn(1, 8, OBS_DIM)
    mask = torch.zeros(1, 8, OBS_DIM)
    mask[0, 3] = 1.0
    with torch.no_grad():
        out = model(x, torch.tensor([500]), torch.zeros(1, 384), obs, mask, torch.ones(1, 8))
        x_changed = model(x + 5.0 * mask[..., : feat.FEATURE_DIM], torch.tensor([500]), torch.zeros(1, 384),
                          obs, mask, torch.ones(1, 8))  # fmt: skip
    assert torch.allclose(out[0, 3], obs[0, 3, : feat.FEATURE_DIM], atol=1e-5)
    assert torch.allclose(out, x_changed, atol=1e-5)  # the noisy input at observed places is overwritten, not read


def test_rare_label_pairs_are_drawn_more_often_with_a_lower_exponent():
    lengths = np.array([100] * 98 + [100, 100])
    labels = [("walk", "normal")] * 98 + [("kick", "angry")] * 2
    by_data = clip_probabilities(lengths, labels, 80, 1.0)[-2:].sum()
    flat = clip_probabilities(lengths, labels, 80, 0.0)[-2:].sum()
    assert by_data == pytest.approx(0.02) and flat == pytest.approx(0.5)


def test_content_only_captions_leave_the_style_out():
    chooser = CaptionChooser([("kick", "angry")], content_only=1.0)
    rng = np.random.default_rng(0)
    words = set(STYLES["angry"][0] + STYLES["angry"][1])
    captions = {chooser.choose(("kick", "angry"), rng) for _ in range(20)}
    assert all("kick" in c and not any(w in c for w in words) for c in captions)
    assert set(chooser.all_captions()) >= captions


def test_warm_start_reads_an_exported_onnx_back_exactly(tmp_path):
    torch.manual_seed(0)
    model = Denoiser(TINY).eval()
    with torch.no_grad():  # distinct values everywhere, as after training (the exporter merges equal tensors)
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
    stats = {"mean": np.zeros(feat.FEATURE_DIM), "std": np.ones(feat.FEATURE_DIM)}
    export_model(model, stats, tmp_path, {})
    state = onnx_state_dict(tmp_path / "denoiser.onnx")
    for name, value in model.state_dict().items():
        assert torch.equal(state[name], value), name
    other = Denoiser(TINY)
    load_initial_weights(other, tmp_path)
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), model.state_dict().values(), strict=True))
    with pytest.raises(WarmStartError, match="does not fit"):
        load_initial_weights(Denoiser(ModelConfig(width=64, layers=1, heads=2, ff=64)), tmp_path)


def test_a_checkpoint_exports_its_average_by_default_and_its_raw_weights_on_request(tmp_path):
    torch.manual_seed(0)
    model, average = Denoiser(TINY), WeightAverage(Denoiser(TINY), decay=0.9)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
        for p in average.model.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
    checkpoint = tmp_path / "last.pt"
    torch.save({"model": model.state_dict(), "ema": average.state_dict(), "config": TINY.to_dict(), "step": 7,
                "elapsed": 60.0}, checkpoint)  # fmt: skip
    np.savez(tmp_path / "stats.npz", mean=np.zeros(feat.FEATURE_DIM), std=np.ones(feat.FEATURE_DIM))
    for raw, source in ((False, average.model), (True, model)):
        out = tmp_path / ("raw" if raw else "ema")
        out.mkdir()
        (out / "text_encoder.onnx").write_bytes(b"")  # the text files exist: the export reuses them
        (out / "tokenizer.json").write_text("{}")
        export_checkpoint(checkpoint, tmp_path, out, raw=raw)
        state = onnx_state_dict(out / "denoiser.onnx")
        assert all(torch.equal(state[name], value) for name, value in source.state_dict().items())
        assert json.loads((out / "manifest.json").read_text())["training"]["weights"] == ("raw" if raw else "ema")


def test_training_times_put_the_asked_share_at_the_noisy_end_and_are_unchanged_without_it():
    n = 20000
    plain = diffusion.training_times(np.random.default_rng(3), n)
    assert np.array_equal(plain, np.random.default_rng(3).integers(0, diffusion.NUM_TRAIN_STEPS, size=n))
    times = diffusion.training_times(np.random.default_rng(3), n, high_share=0.4)
    assert times.min() >= 0 and times.max() < diffusion.NUM_TRAIN_STEPS
    noisy = (times >= diffusion.HIGH_NOISE_FROM).mean()
    assert abs(noisy - (0.4 + 0.6 * 0.4)) < 0.015  # 40 % drawn there, and the uniform rest's 40 % share of it
