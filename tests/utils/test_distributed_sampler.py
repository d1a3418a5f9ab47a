"""DistributedSampler against torch's: identical partitions without shuffling; with shuffling,
disjoint shares that cover the data and the same padding rule (xptorch's generator differs)."""
import collections

import pytest

from xptorch.utils.data import DistributedSampler
from xptorch.utils.data.distributed import DistributedSampler as Same

torch = pytest.importorskip("torch")
from torch.utils.data.distributed import DistributedSampler as TorchSampler  # noqa: E402

CASES = [(n, k, drop) for n in (0, 1, 5, 10, 11, 12, 13) for k in (1, 2, 3, 4, 7) for drop in (False, True)]


@pytest.mark.parametrize("n, k, drop_last", CASES)
def test_unshuffled_partitions_equal_torchs(n, k, drop_last):
    assert DistributedSampler is Same
    for r in range(k):
        ours = DistributedSampler(range(n), num_replicas=k, rank=r, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), num_replicas=k, rank=r, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("n, k, drop_last", [c for c in CASES if c[0] > 0])
def test_shuffled_shares_are_disjoint_and_cover(n, k, drop_last):
    shares = []
    for r in range(k):
        s = DistributedSampler(range(n), num_replicas=k, rank=r, shuffle=True, seed=3, drop_last=drop_last)
        s.set_epoch(2)
        shares.append(list(s))
        assert len(s) == len(TorchSampler(range(n), num_replicas=k, rank=r, drop_last=drop_last))
    counts = collections.Counter(i for share in shares for i in share)
    total = sum(len(s) for s in shares)
    if drop_last:
        assert max(counts.values(), default=1) == 1 and total == (n // k) * k  # disjoint, tail dropped
    else:
        assert set(counts) == set(range(n))  # covers everything
        assert total - n == sum(c - 1 for c in counts.values())  # the only repeats are the padding
        assert total - n < k or n < k


def test_epochs_reshuffle_and_ranks_agree():
    a = DistributedSampler(range(20), num_replicas=2, rank=0, seed=1)
    b = DistributedSampler(range(20), num_replicas=2, rank=1, seed=1)
    first = (list(a), list(b))
    assert sorted(first[0] + first[1]) == list(range(20))
    assert (list(a), list(b)) == first  # same epoch, same order
    a.set_epoch(1)
    b.set_epoch(1)
    assert list(a) != first[0] and sorted(list(a) + list(b)) == list(range(20))


def test_bad_rank_like_torch():
    for cls in (DistributedSampler, TorchSampler):
        with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
            cls(range(4), num_replicas=2, rank=2)
