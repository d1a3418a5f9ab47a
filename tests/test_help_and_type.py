"""What a reader sees: class names as PyTorch prints them, and help() with a signature and a
docstring for every public function, class and Tensor method."""
import inspect
import pydoc

import pytest

import xptorch

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("make", [
    lambda m: m.ones(2),
    lambda m: m.ones(2).shape,
    lambda m: m.float32,
    lambda m: m.device("cpu"),
    lambda m: m.nn.Parameter(m.ones(1)),
    lambda m: m.nn.Linear(2, 2),
])
def test_type_prints_like_torch(make):
    assert str(type(make(xptorch))) == str(type(make(torch))).replace("torch", "xptorch")


def test_classes_reachable_where_they_say():
    for cls in (xptorch.Tensor, xptorch.Size, xptorch.dtype, xptorch.device):
        assert getattr(__import__(cls.__module__), cls.__qualname__) is cls


def _public(namespace):
    for name in sorted(dir(namespace)):
        if name.startswith("_"):
            continue
        obj = getattr(namespace, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


def test_every_public_function_has_signature_and_doc():
    missing = [n for n, o in _public(xptorch) if not (o.__doc__ or "").strip()]
    assert not missing, f"no docstring: {missing}"
    for name, obj in _public(xptorch):
        if inspect.isfunction(obj):
            inspect.signature(obj)  # raises when there is none


def test_every_public_tensor_method_has_doc():
    missing = [n for n in dir(xptorch.Tensor) if not n.startswith("_") and callable(getattr(xptorch.Tensor, n))
               and not (getattr(xptorch.Tensor, n).__doc__ or "").strip()]
    assert not missing, f"no docstring: {missing}"


@pytest.mark.parametrize("fn,words", [
    (xptorch.ones, ["ones(*dims, size=None, dtype=None, device=None, requires_grad=False", "filled with 1"]),
    (xptorch.gather, ["gather(input, dim, index", "index[i][j]"]),
    (xptorch.normal, ["normal(mean=0.0, std=1.0, size=None", "normal distributions"]),
    (xptorch.Tensor.sum, ["sum(self, dim=None, keepdim=False", "See xptorch.sum()"]),
])
def test_help_shows_signature_and_docstring(fn, words):
    text = pydoc.render_doc(fn, renderer=pydoc.plaintext)
    for w in words:
        assert w in text, text
