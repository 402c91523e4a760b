"""Grid encoder geometry: strides follow the view size as documented."""

import gymnasium
import numpy as np
import pytest
import torch

from agents.networks import GridEncoder, NetworkConfig


def _encoder(view: int, channels: int = 3) -> GridEncoder:
    space = gymnasium.spaces.Box(0, 255, (view, view, channels), np.uint8)
    return GridEncoder(space, NetworkConfig())


def _strides(enc: GridEncoder) -> list[int]:
    return [m.stride[0] for m in enc.conv if isinstance(m, torch.nn.Conv2d)]


def test_large_views_use_the_configured_strides_in_every_layer():
    # 15x15 -> 7x7x8 -> 3x3x16 (NetworkConfig.conv_strides docstring)
    enc = _encoder(15)
    assert _strides(enc) == [2, 2]
    assert enc.fc[0].in_features == 3 * 3 * 16
    assert _encoder(11).fc[0].in_features == 2 * 2 * 16


@pytest.mark.parametrize("view,flat", [(5, 1 * 1 * 16), (7, 3 * 3 * 16)])
def test_small_views_keep_full_resolution(view, flat):
    enc = _encoder(view)
    assert _strides(enc) == [1, 1]
    assert enc.fc[0].in_features == flat


def test_encoder_output_shape_and_scale():
    enc = _encoder(15)
    obs = torch.full((4, 15, 15, 3), 255, dtype=torch.uint8)
    out = enc(obs)
    assert out.shape == (4, enc.output_size)
    assert enc.scale == pytest.approx(1 / 255)
