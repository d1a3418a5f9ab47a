"""Random fills: nn.init functions and Tensor.normal_/uniform_ on 4096x4096 float32."""
import pytest

from sidebyside import compare

FILLS = {
    "normal_": lambda lib, w: lib.nn.init.normal_(w),
    "uniform_": lambda lib, w: lib.nn.init.uniform_(w),
    "kaiming_uniform_": lambda lib, w: lib.nn.init.kaiming_uniform_(w),
    "kaiming_normal_": lambda lib, w: lib.nn.init.kaiming_normal_(w),
    "xavier_uniform_": lambda lib, w: lib.nn.init.xavier_uniform_(w),
    "Tensor.normal_": lambda lib, w: w.normal_(),
    "Tensor.uniform_": lambda lib, w: w.uniform_(),
}


@pytest.mark.parametrize("fill", list(FILLS))
def test_init_fill(benchmark, fill):
    def build(lib):
        lib.manual_seed(0)
        w = lib.empty(4096, 4096)
        f = FILLS[fill]
        return lambda: f(lib, w)

    compare(benchmark, f"init: {fill} 4096x4096", build, rounds=9, round_s=0.05)
