"""A lazy model after its first call against the same eager model: training-step time, interleaved.

Both are xptorch (the claim is that materialisation leaves nothing behind); rounds alternate the
two models and the script prints the median ratio lazy/eager with its spread.

    python bench/lazy_interleaved.py [rounds]
"""
import statistics
import sys
import time

import xptorch
from xptorch import nn


def models():
    lazy = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
    eager = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    X = xptorch.rand(64, 20)
    lazy(X)
    eager.load_state_dict(lazy.state_dict())
    return lazy, eager, X


def step(net, opt, X):
    opt.zero_grad()
    net(X).square().mean().backward()
    opt.step()


def main(rounds):
    lazy, eager, X = models()
    opts = {id(lazy): xptorch.optim.SGD(lazy.parameters(), lr=0.01),
            id(eager): xptorch.optim.SGD(eager.parameters(), lr=0.01)}
    times = {id(lazy): [], id(eager): []}
    reps = 200
    for _ in range(rounds):
        for net in (lazy, eager):
            opt = opts[id(net)]
            t0 = time.perf_counter()
            for _ in range(reps):
                step(net, opt, X)
            times[id(net)].append((time.perf_counter() - t0) / reps)
    ratios = [a / b for a, b in zip(times[id(lazy)], times[id(eager)])]
    print(f"MLP 20-256-10, batch 64, SGD step: lazy {statistics.median(times[id(lazy)]) * 1e6:.1f} us, "
          f"eager {statistics.median(times[id(eager)]) * 1e6:.1f} us, ratio median {statistics.median(ratios):.3f} "
          f"(spread {min(ratios):.3f}-{max(ratios):.3f}), {rounds} rounds")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
