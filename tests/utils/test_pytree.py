"""xptorch.utils._pytree against torch.utils._pytree: leaves, specs, round trips, maps and errors."""
import pickle
import warnings
from collections import OrderedDict, defaultdict, deque, namedtuple

import pytest
import torch
import torch.utils._pytree as tp

import xptorch
import xptorch.utils._pytree as xp

Point = namedtuple("Point", "x y")


def _trees(m, device="cpu"):
    t = m.arange(3.0, device=device)
    return [
        1, None, t, [], (), {}, [None], (1,), [1, [2, [3, [4]]]],
        {"b": [1, (2, None)], "a": Point(3, OrderedDict(z=4, y=t)), "d": defaultdict(list, {2: 6}),
         "q": deque([7, 8], maxlen=3), "e": ()},
        OrderedDict([("k", {"n": (t, t)}), ("j", [Point(None, [])])]),
        Point(x=[1, 2], y={"u": deque([3])}),
        [m.max(m.ones(2, 2, device=device), 0)],
    ]


def _same(a, b):
    """Structural equality, with tensors compared by identity."""
    if type(a).__name__ != type(b).__name__ and not (a is None or b is None):
        return False
    if isinstance(a, (list, tuple, deque)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a is b or a == b


def _spec_text(spec):
    return repr(spec).replace("xptorch", "torch")


@pytest.mark.parametrize("i", range(13))
def test_flatten_like_torch_and_round_trip(i, device):
    tree, ttree = _trees(xptorch, device)[i], _trees(torch)[i]
    leaves, spec = xp.tree_flatten(tree)
    tleaves, tspec = tp.tree_flatten(ttree)
    assert len(leaves) == len(tleaves) == spec.num_leaves == tspec.num_leaves
    for a, b in zip(leaves, tleaves):
        assert type(a).__name__ == type(b).__name__
        if isinstance(a, xptorch.Tensor):
            assert a.cpu().tolist() == b.tolist()
        else:
            assert a == b
    assert (spec.num_nodes, spec.num_children, spec.is_leaf()) == (tspec.num_nodes, tspec.num_children,
                                                                   tspec.is_leaf())
    assert _spec_text(spec) == _spec_text(tspec)
    back = xp.tree_unflatten(leaves, spec)
    assert _same(back, tree) and type(back) is type(tree)
    assert all(a is b for a, b in zip(xp.tree_leaves(tree), leaves, strict=True))
    assert xp.tree_structure(tree) == spec and hash(xp.tree_structure(tree)) == hash(spec)
    assert pickle.loads(pickle.dumps(spec)) == spec


def test_map_any_all_and_leaf_predicate():
    for m, P in ((torch, tp), (xptorch, xp)):
        tree = {"a": [1, 2.5, None], "b": (m.ones(2), "s")}
        out = P.tree_map(lambda v: v * 2 if isinstance(v, (int, float)) else v, tree)
        assert out["a"] == [2, 5.0, None] and out["b"][1] == "s"
        only = P.tree_map_only(m.Tensor, lambda t: t.sum().item(), tree)
        assert only["b"] == (2.0, "s") and only["a"] == tree["a"]
        only = P.tree_map_only((int, float), lambda v: -v, tree)
        assert only["a"] == [-1, -2.5, None]
        assert P.tree_map(lambda x, y: [x] + y, [5, 6], [[7, 9], [1, 2]]) == [[5, 7, 9], [6, 1, 2]]
        assert P.tree_all(lambda v: v is not None, tree) is False
        assert P.tree_any(lambda v: isinstance(v, m.Tensor), tree) is True
        assert P.tree_all_only(int, lambda v: v > 0, tree) is True
        assert P.tree_any_only(str, lambda v: v == "t", tree) is False
        by_tuple = P.tree_leaves(tree, is_leaf=lambda v: isinstance(v, tuple))
        assert len(by_tuple) == 4 and isinstance(by_tuple[-1], tuple)
        seen = []
        assert P.tree_map_(seen.append, [1, (2,)]) == [1, (2,)] and seen == [1, 2]
        assert P.tree_unflatten(*reversed(P.tree_flatten([1, 2]))) == [1, 2]  # spec first is accepted too


def test_paths_like_torch():
    for_t = {"a": [1, Point(2, 3)], "b": OrderedDict(c=deque([4]))}
    got = [(xp.keystr(k), v) for k, v in xp.tree_flatten_with_path(for_t)[0]]
    want = [(tp.keystr(k), v) for k, v in tp.tree_flatten_with_path(for_t)[0]]
    assert got == want
    for k, v in xp.tree_leaves_with_path(for_t):
        assert xp.key_get(for_t, k) == v
    assert xp.tree_map_with_path(lambda k, v: xp.keystr(k), for_t) == \
        tp.tree_map_with_path(lambda k, v: tp.keystr(k), for_t)


class Box:
    def __init__(self, a, b):
        self.a, self.b = a, b


def test_register_pytree_node_like_torch():
    for P in (tp, xp):
        cls = type("Box", (Box,), {})
        P.register_pytree_node(cls, lambda b: ([b.a, b.b], "ctx"), lambda v, c: cls(*v))
        leaves, spec = P.tree_flatten([cls(1, (2, 3)), 4])
        assert leaves == [1, 2, 3, 4] and spec.child(0).context == "ctx"
        back = P.tree_unflatten([5, 6, 7, 8], spec)
        assert back[0].a == 5 and back[0].b == (6, 7) and back[1] == 8
        with pytest.raises(ValueError, match="is already registered as pytree node"):
            P.register_pytree_node(cls, lambda b: ([], None), lambda v, c: cls(0, 0))
        with pytest.raises(ValueError, match="Did not find a flatten_with_keys_fn"):
            P.tree_flatten_with_path(cls(1, 2))


@pytest.mark.parametrize("case", [
    lambda P: P.tree_structure([1, 2]).unflatten([1]),
    lambda P: P.tree_map(lambda a, b: a, [1, 2], (1, 2)),
    lambda P: P.tree_map(lambda a, b: a, [1, 2], [1]),
    lambda P: P.tree_map(lambda a, b: a, {"a": 1}, {"b": 1}),
    lambda P: P.tree_map(lambda a, b: a, Point(1, 2), namedtuple("Q", "x y")(1, 2)),
    lambda P: P.tree_unflatten([1], [1]),
])
def test_errors_like_torch(case):
    with pytest.raises(Exception) as te:
        case(tp)
    with pytest.raises(type(te.value)) as xe:
        case(xp)
    assert str(xe.value) == str(te.value)


def test_leafspec_deprecated_like_torch():
    for P in (tp, xp):
        with pytest.warns(FutureWarning, match="`isinstance\\(treespec, LeafSpec\\)` is deprecated"):
            leaf = P.LeafSpec()
        assert repr(leaf) == "*" and leaf.is_leaf() and P.tree_structure(1) == leaf
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert P.tree_structure(None).is_leaf()
    assert set(xp.__all__) <= set(tp.__all__)
    assert xptorch.utils._pytree is xp
