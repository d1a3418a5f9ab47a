"""Recurrent layers: LSTM and GRU, 2 layers, hidden 256, sequence 35, batch 32, forward+backward.

`python bench/rnn_interleaved.py` measures the same workloads in alternating rounds and prints the
median ratio with its spread.
"""
import numpy as np
import pytest

from sidebyside import compare

T, B, I, H = 35, 32, 256, 256


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_rnn_forward_backward(benchmark, kind):
    def build(lib):
        lib.manual_seed(0)
        net = getattr(lib.nn, kind)(I, H, num_layers=2)
        x = lib.tensor(np.random.default_rng(0).standard_normal((T, B, I)).astype("float32"))

        def step():
            out, _ = net(x)
            out.sum().backward()

        return step

    compare(benchmark, f"rnn: {kind} 2x256, seq 35, batch 32, fwd+bwd", build)
