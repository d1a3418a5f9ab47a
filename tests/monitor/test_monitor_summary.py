"""summary(model): rows, counts (unique parameters once, checked against torch), ties, shapes."""
import pytest

import xptorch
from xptorch import nn
from xptorch.monitor import summary

torch = pytest.importorskip("torch")


def tied(lib):
    shared = lib.nn.Linear(8, 8)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), shared, lib.nn.ReLU(), shared, lib.nn.ReLU(),
                             lib.nn.Linear(8, 1))


def rows(text):
    """Table rows as lists of cells split on runs of two or more spaces."""
    import re

    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) == {"-"}]
    head = re.split(r"\s{2,}", lines[rules[0] - 1].strip())
    body = [re.split(r"\s{2,}", line.strip()) for line in lines[rules[0] + 1:rules[1]]]
    return head, body


def totals(text):
    out = {}
    for line in text.splitlines():
        for key in ("Total params", "Trainable params", "Non-trainable params"):
            if line.startswith(key + ":"):
                out[key] = int(line.split(":")[1].replace(",", ""))
    return out


def device():
    """The Device column of a module built on the default device."""
    return str(xptorch.empty(0).device)


def test_tied_mlp_counts_shared_parameters_once():
    text = summary(tied(xptorch))
    t = totals(text)
    assert t["Total params"] == sum(p.numel() for p in tied(torch).parameters()) == 121
    assert t["Trainable params"] == 121 and t["Non-trainable params"] == 0
    head, body = rows(text)
    assert head == ["Layer", "Type", "Param shapes", "Params", "Trainable", "Tied with", "Device"]
    by = {r[0]: r for r in body}
    assert list(by) == ["0", "1", "2", "3", "4", "5", "6"]
    assert by["0"][1:] == ["Linear", "8x4, 8", "40", "yes", device()]
    assert by["2"][3:] == ["72", "yes", "4", device()]
    assert by["4"][3:] == ["(72)", "yes", "2", device()]
    assert by["1"][1:] == ["ReLU", "--", "--"]
    assert "Shared parameters: 2 (2.weight = 4.weight; 2.bias = 4.bias)" in text


def test_output_shapes_with_input_size():
    text = summary(tied(xptorch), input_size=(3, 4))
    head, body = rows(text)
    assert head[2] == "Output shape"
    shapes = {r[0]: r[2] for r in body}
    assert shapes == {"0": "[3, 8]", "1": "[3, 8]", "2": "[3, 8]", "3": "[3, 8]", "4": "[3, 8]", "5": "[3, 8]",
                      "6": "[3, 1]"}


def test_nested_frozen_and_weight_tying_across_layers():
    def build(lib):
        a = lib.nn.Linear(3, 3)
        b = lib.nn.Linear(3, 3, bias=False)
        b.weight = a.weight
        inner = lib.nn.Sequential(a, lib.nn.Tanh())
        net = lib.nn.Sequential(inner, b, lib.nn.Linear(3, 2))
        net[2].requires_grad_(False)
        return net

    net = build(xptorch)
    text = summary(net)
    t = totals(text)
    tn = build(torch)
    assert t["Total params"] == sum(p.numel() for p in tn.parameters()) == 20
    assert t["Trainable params"] == sum(p.numel() for p in tn.parameters() if p.requires_grad) == 12
    assert t["Non-trainable params"] == 8
    head, body = rows(text)
    by = {r[0]: r for r in body}
    assert set(by) == {"0", "0.0", "0.1", "1", "2"}
    assert by["0.0"][-2:] == ["1", device()] and by["1"][-2:] == ["0.0", device()]
    assert by["1"][3] == "(9)"
    assert by["2"][4] == "no"
    lines = text.splitlines()
    assert any(line.startswith("  0.0") for line in lines)  # nested rows are indented


def test_single_module_and_device(simulated_cuda):
    text = summary(nn.Linear(2, 3).to(simulated_cuda))
    _, body = rows(text)
    assert body == [["Linear", "Linear", "3x2, 3", "9", "yes", "cuda:0"]]
    assert totals(text)["Total params"] == 9
