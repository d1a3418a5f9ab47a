"""Code cells after the book Dive into Deep Learning (d2l.ai), preliminaries through transformers, run under
torch and under xptorch with the import swap, on the CPU and on CUDA (xptorch's default device set to it):
each cell must print what torch prints.

The cells live in tests/d2l_book/ (one file per part of the book, cells separated by '# %%', the section
named after it); the helpers they take from the book's d2l library are rebuilt in tests/d2l_book/d2l_min.py.
A cell tagged `random` prints values that depend on the random stream, which differs between the
libraries: only its printed structure (shapes, dtypes, names, layout) is compared. Numbers elsewhere must
agree to float32 precision (one unit in the last printed digit, or a relative 1e-6).
"""
import ast
import contextlib
import io
import os
import re
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import xp_message  # noqa: E402

HERE = os.path.join(os.path.dirname(__file__), "d2l_book")
PARTS = ["preliminaries", "builders_guide", "cnn", "rnn", "attention"]


def cells(part):
    with open(os.path.join(HERE, part + ".py")) as f:
        chunks = f.read().split("# %%")[1:]
    return [(head.strip().split(), body) for head, _, body in (c.partition("\n") for c in chunks)]


def _namespace(lib):
    from d2l_book import d2l_min

    def det_init(module, seed=0):
        """Every parameter of module set from a fixed NumPy stream: the same weights under both libraries."""
        g = np.random.default_rng(seed)
        with lib.no_grad():
            for p in module.parameters():
                vals = g.standard_normal(tuple(p.shape)).astype("float32") * 0.5
                p.copy_(lib.tensor(vals, device=p.device))

    return {"torch": lib, "nn": lib.nn, "F": lib.nn.functional, "d2l": d2l_min.build(lib), "det_init": det_init,
            "__name__": "__d2l_cells__"}


def run_part(lib, part):
    """Each cell's output as a notebook shows it: its prints, then the repr of a final expression. Warnings
    are left out: PyTorch gives some once per process, so whether one shows depends on the tests run before."""
    lib.manual_seed(0)
    ns, outs = _namespace(lib), []
    for tags, body in cells(part):
        buf = io.StringIO()
        if lib is xptorch:  # the import swap
            body = re.sub(r"\b(import|from) torch\b", r"\1 xptorch", body)
        tree = ast.parse(body)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        try:
            with contextlib.redirect_stdout(buf), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(tree, f"<{part}>", "exec"), ns)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), f"<{part}>", "eval"), ns)
                    if value is not None:
                        print(repr(value))
        except Exception as e:  # noqa: BLE001  (a cell that fails in torch too must fail alike)
            buf.write(f"{type(e).__name__}: {e}\n")
        outs.append((tags, buf.getvalue()))
    return outs


_NUM = re.compile(r"-?(?:\d+\.\d*|\d*\.\d+|\d+)(?:e[+-]?\d+)?|nan|inf")


def _canonical(s):
    return re.sub(r" at 0x[0-9a-f]+>", " at 0x...>", s)


def _shape_only(s):
    return re.sub(r"\s+", "", _NUM.sub("#", s))


def _close(p, q):
    a, b = float(p), float(q)
    if a == b:
        return True
    decimals = len(p.split("e")[0].partition(".")[2])
    last_digit = 10.0 ** -decimals * (10.0 ** int(p.split("e")[1]) if "e" in p else 1.0)
    return abs(a - b) <= 1.01 * last_digit or abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def same_print(t, x, random):
    if x == t:
        return True
    if _shape_only(x) != _shape_only(t):
        return False
    if random:
        return True
    tn, xn = _NUM.findall(t), _NUM.findall(x)
    return len(tn) == len(xn) and all(_close(p, q) for p, q in zip(tn, xn))


_torch_outputs = {}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the file I/O cells write their files here


@pytest.mark.parametrize("part", PARTS)
def test_book_cells_print_as_torch(part, device, tmp_path):
    if part not in _torch_outputs:
        _torch_outputs[part] = run_part(torch, part)
    expected = _torch_outputs[part]
    if device != "cpu":
        xptorch.set_default_device(device)
    try:
        got = run_part(xptorch, part)
    finally:
        xptorch.set_default_device(None)
    assert len(got) == len(expected)
    if device != "cpu":  # the cells did run there
        assert any("device='cuda:0'" in x for _, x in got)
    bad = []
    for n, ((tags, t), (_, x)) in enumerate(zip(expected, got)):
        if device != "cpu":
            if "cpu-only" in tags:  # host-memory views (Tensor.numpy) refuse CUDA tensors in torch as well
                continue
            x = re.sub(r",\s*device='cuda:0'", "", x)
        t, x = _canonical(xp_message(t)), _canonical(x)
        if not same_print(t, x, "random" in tags):
            bad.append(f"cell {n} {' '.join(tags)}\n--- torch:\n{t}--- xptorch:\n{x}")
    assert not bad, "\n".join(bad)
