"""Data loading: 1 ms/sample (128 samples, batches of 8); 3x224x224 float32 images (batches of 32, 19 MB)."""
import time

import pytest

from sidebyside import compare, one_sided

N, BATCH, COST_S = 128, 8, 1e-3


def _dataset(lib):
    base = lib.utils.data.Dataset

    class OneMillisecond(base):
        def __len__(self):
            return N

        def __getitem__(self, i):
            t = time.perf_counter() + COST_S
            while time.perf_counter() < t:  # busy, like decoding: a sleep would not need a core
                pass
            return lib.full((16,), float(i)), i

    return OneMillisecond()


def _epoch(lib, workers):
    kw = dict(num_workers=workers, persistent_workers=True) if workers else {}
    loader = lib.utils.data.DataLoader(_dataset(lib), batch_size=BATCH, **kw)

    def run():
        n = 0
        for x, _ in loader:
            n += x.shape[0]
        assert n == N
        return n

    return run


def test_dataloader_two_workers(benchmark):
    compare(benchmark, f"data: DataLoader(num_workers=2, persistent_workers=True), 1 ms/sample, {N} samples",
            lambda lib: _epoch(lib, 2), rounds=7, round_s=1e-3)


@pytest.mark.parametrize("workers", [0, 2])
def test_dataloader_workers_speedup(benchmark, workers):
    import xptorch

    one_sided(benchmark, f"data: xptorch DataLoader, 1 ms/sample, {N} samples", _epoch(xptorch, workers),
              f"num_workers={workers}", rounds=7)


IMAGES, IMAGE_BATCH = 256, 32


def _images(lib):
    base = lib.utils.data.Dataset

    class Images(base):
        """Each sample a fresh 3x224x224 float32 image (one fill, no decoding)."""

        def __len__(self):
            return IMAGES

        def __getitem__(self, i):
            return lib.full((3, 224, 224), float(i)), i

    return Images()


def _image_epoch(lib, workers):
    loader = lib.utils.data.DataLoader(_images(lib), batch_size=IMAGE_BATCH, num_workers=workers,
                                       persistent_workers=True)

    def run():
        total = 0.0
        for x, _ in loader:
            total += float(x.sum()) / (3 * 224 * 224)  # reads the whole batch, as training would
        assert abs(total - IMAGES * (IMAGES - 1) / 2) < 1e-3 * IMAGES ** 2
        return total

    return run


def test_dataloader_images_two_workers(benchmark):
    compare(benchmark, f"data: DataLoader(num_workers=2, persistent_workers=True), 3x224x224 float32 images, "
            f"batch {IMAGE_BATCH}, {IMAGES} samples", lambda lib: _image_epoch(lib, 2), rounds=7, round_s=1e-3)
