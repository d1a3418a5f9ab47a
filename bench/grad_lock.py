"""Cost of the lock around `.grad` accumulation on a single-threaded training step.

Interleaved rounds in one process: the step with Tensor._accumulate_grad as shipped (locked)
against the same method without the lock. Prints the median ratio and its spread.
Run: PYTHONPATH=src python bench/grad_lock.py
"""
import statistics
import time

import xptorch
from xptorch import nn, optim
from xptorch._tensor import Tensor, _inplace, C

locked = Tensor._accumulate_grad


def unlocked(self, g):
    if g.dtype != self._data.dtype:
        g = g.astype(self._data.dtype)
    if g.shape != self._data.shape:
        g = C.get_xp(g).broadcast_to(g, self._data.shape)
    cur = self._grad
    if cur is None:
        if not g.flags.writeable or g.base is not None or g is self._data:
            g = g.copy()
        self._grad = C.wrap(g, self._device)
    else:
        cur._data += g
        _inplace.bump(cur)


def main(rounds=30, steps=200):
    xptorch.manual_seed(0)
    net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = optim.SGD(net.parameters(), lr=1e-3)
    x, y = xptorch.randn(8, 16), xptorch.randn(8, 1)

    def run():
        t0 = time.perf_counter()
        for _ in range(steps):
            opt.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
        return time.perf_counter() - t0

    ratios = []
    for r in range(rounds):  # which one runs first alternates, so neither gains from going second
        times = {}
        for name, fn in (("unlocked", unlocked), ("locked", locked))[::1 if r % 2 else -1]:
            Tensor._accumulate_grad = fn
            times[name] = run()
        ratios.append(times["locked"] / times["unlocked"])
    Tensor._accumulate_grad = locked
    q = statistics.quantiles(ratios, n=4)
    print(f"locked/unlocked step time: median {statistics.median(ratios):.4f}, quartiles {q[0]:.4f}-{q[2]:.4f}, "
          f"{rounds} rounds x {steps} steps, 6-parameter MLP, batch 8")
    # The lock's own cost per accumulation, against one whole step.
    p = net[0].weight
    p.grad = None
    g = p.detach()._data * 0
    per = {}
    for name, fn in (("unlocked", unlocked), ("locked", locked), ("unlocked", unlocked), ("locked", locked)):
        t0 = time.perf_counter()
        for _ in range(20000):
            fn(p, g)
        per.setdefault(name, []).append((time.perf_counter() - t0) / 20000)
    step = min(run() for _ in range(3)) / steps
    extra = min(per["locked"]) - min(per["unlocked"])
    print(f"per accumulation: unlocked {min(per['unlocked']) * 1e6:.2f} us, locked {min(per['locked']) * 1e6:.2f} us; "
          f"6 accumulations per step = {6 * extra / step * 100:.2f}% of a {step * 1e6:.0f} us step")


if __name__ == "__main__":
    main()
