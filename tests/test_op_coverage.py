"""Every public op has an entry in the op table (tests/op_db.py): a new op cannot land untested."""
import inspect

import xptorch
import xptorch.nn.functional as F
from op_db import NOT_OPS, OPS


def public_names():
    """'add' (xptorch.add), 'Tensor.add' and 'F.relu': every public callable that is an op candidate."""
    names = set()
    for n in dir(xptorch):
        v = getattr(xptorch, n)
        if not n.startswith("_") and callable(v) and not inspect.isclass(v) and not inspect.ismodule(v):
            names.add(n)
    for n in dir(xptorch.Tensor):
        if n.startswith("_") and not (n.startswith("__") and n.endswith("__")):
            continue
        if n in object.__dict__ and getattr(xptorch.Tensor, n) is getattr(object, n):
            continue  # inherited untouched from object
        names.add(f"Tensor.{n}")
    for n in dir(F):
        v = getattr(F, n)
        if not n.startswith("_") and callable(v) and not inspect.isclass(v) and not inspect.ismodule(v):
            names.add(f"F.{n}")
    return names


def covered():
    out = set()
    for op in OPS:
        out.update(op.names)
        out.update(op.inplace_names)
    return out


def test_every_public_op_has_an_entry():
    missing = sorted(public_names() - covered() - set(NOT_OPS))
    assert not missing, f"public ops without an entry in tests/op_db.py: {missing}"


def test_table_names_exist():
    """No entry claims a name that is not public (a typo would hide a missing entry)."""
    ghost = sorted((covered() | set(NOT_OPS)) - public_names())
    assert not ghost, f"names in tests/op_db.py that xptorch does not have: {ghost}"


def test_ids_unique():
    ids = [op.name for op in OPS]
    assert len(ids) == len(set(ids))
    both = covered() & set(NOT_OPS)
    assert not both, f"both excluded and covered: {sorted(both)}"
