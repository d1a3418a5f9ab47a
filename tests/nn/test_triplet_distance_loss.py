"""nn.TripletMarginWithDistanceLoss against torch 2.13: values, gradients, the distance submodule, repr."""
import pytest

import xptorch

torch = pytest.importorskip("torch")
from devices import check  # noqa: E402
from oracle import same_repr  # noqa: E402


@pytest.mark.parametrize("kw", [{}, dict(margin=0.5, swap=True, reduction="none"), dict(reduction="sum")])
def test_module_matches_torch(kw, device):
    def run(lib):
        return lib.nn.TripletMarginWithDistanceLoss(**kw)

    check(device, [(4, 6), (4, 6), (4, 6)], run(torch), run(xptorch), dtype="float64")


def test_custom_distance_module(device):
    def run(lib):
        return lib.nn.TripletMarginWithDistanceLoss(distance_function=lib.nn.PairwiseDistance(p=1.0), swap=True)

    check(device, [(3, 5), (3, 5), (3, 5)], run(torch), run(xptorch), dtype="float64")


def test_repr_and_margin_check():
    same_repr(lambda lib: lib.nn.TripletMarginWithDistanceLoss())
    same_repr(lambda lib: lib.nn.TripletMarginWithDistanceLoss(distance_function=lib.nn.CosineSimilarity(), margin=2))
    same_repr(lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=0.0))
