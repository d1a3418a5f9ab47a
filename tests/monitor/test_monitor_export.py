"""Monitor exports: CSV, JSON and PNG plots."""
import csv
import json
import math
import sys

import numpy as np
import pytest

import xptorch
from xptorch import nn, optim
from xptorch.monitor import FIGURES, Monitor, save_plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def trained():
    xptorch.manual_seed(0)
    shared = nn.Linear(4, 4)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), shared, nn.Tanh(), shared, nn.Linear(4, 1))
    opt = optim.Adam(model.parameters(), lr=0.01)
    mon = Monitor(model, every=2, optimizer=opt)
    x, y = xptorch.randn(8, 3), xptorch.randn(8, 1)
    for _ in range(6):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        mon.log(loss=loss)
    return mon


def test_csv(trained, tmp_path):
    path = trained.to_csv(tmp_path / "m.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["step", "name", "names", "shape"] + list(FIGURES)
    assert len(rows) == len(trained.records) == 4 * 6
    for row, rec in zip(rows, trained.records):
        assert int(row["step"]) == rec["step"] and row["name"] == rec["name"]
        assert row["names"].split(";") == rec["names"]
        assert row["shape"] == "x".join(map(str, rec["shape"]))
        for k in FIGURES:
            v = float(row[k])
            assert (math.isnan(v) and math.isnan(rec[k])) or v == rec[k]
    assert {r["names"] for r in rows} >= {"2.weight;4.weight", "2.bias;4.bias"}


def test_json(trained, tmp_path):
    path = trained.to_json(tmp_path / "m.json")
    with open(path) as f:
        doc = json.load(f)
    assert doc["every"] == 2 and doc["steps"] == 6
    assert [p["names"] for p in doc["parameters"]][2] == ["2.weight", "4.weight"]
    assert len(doc["records"]) == len(trained.records)
    assert [s["step"] for s in doc["scalars"]] == [1, 2, 4, 6]
    first_bias = [r for r in doc["records"] if r["name"] == "5.bias"][0]
    assert first_bias["std"] is None  # NaN becomes null: strict JSON
    with open(path) as f:
        json.load(f, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))


def test_png_plots(trained, tmp_path):
    mpimg = pytest.importorskip("matplotlib.image")
    paths = save_plots(trained, tmp_path / "plots")
    names = sorted(p.rsplit("/", 1)[-1] for p in paths)
    assert names == ["grad_norms.png", "loss.png", "weight_norms.png"]
    for p in paths:
        with open(p, "rb") as f:
            assert f.read(8) == PNG_SIGNATURE
        img = mpimg.imread(p)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
        assert np.ptp(img[..., :3]) > 0  # something was drawn


def test_plots_leave_pyplot_backend_alone(trained, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    before = matplotlib.get_backend()
    trained.plot(tmp_path)
    assert matplotlib.get_backend() == before


def test_missing_matplotlib_says_how_to_install(trained, tmp_path, monkeypatch):
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'xptorch\[viz\]'"):
        save_plots(trained, tmp_path)
    assert list(tmp_path.iterdir()) == []
