"""Pytrees: nested containers (list, tuple, dict, OrderedDict, defaultdict, deque, namedtuple and
registered types) taken apart into their leaves and a TreeSpec that puts them back.

Leaves come out depth first, children in the container's own order (dicts in insertion order,
not sorted).  Anything whose exact type is not registered is a leaf: None, tensors, numbers, and
subclasses of the containers above.
"""
import functools
import threading
import types
import warnings
from collections import OrderedDict, defaultdict, deque, namedtuple
from typing import Any, Callable, NamedTuple, Optional

__all__ = [
    "PyTree", "Context", "FlattenFn", "UnflattenFn", "PyTreeSpec", "TreeSpec", "LeafSpec", "keystr", "key_get",
    "register_pytree_node", "tree_is_leaf", "tree_flatten", "tree_flatten_with_path", "tree_unflatten", "tree_iter",
    "tree_leaves", "tree_leaves_with_path", "tree_structure", "tree_map", "tree_map_with_path", "tree_map_",
    "tree_map_only", "tree_map_only_", "tree_all", "tree_any", "tree_all_only", "tree_any_only", "is_namedtuple",
    "is_namedtuple_class", "is_namedtuple_instance",
]

PyTree = Any
Context = Any
FlattenFn = Callable[[PyTree], "tuple[list[Any], Context]"]
UnflattenFn = Callable[[Any, Context], PyTree]


class NodeDef(NamedTuple):
    type: Any
    flatten_fn: Callable
    unflatten_fn: Callable
    flatten_with_keys_fn: Optional[Callable]


SUPPORTED_NODES = {}
_registry_lock = threading.Lock()


def _register(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn=None):
    with _registry_lock:
        SUPPORTED_NODES[cls] = NodeDef(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn)


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None, to_dumpable_context=None,
                         from_dumpable_context=None, flatten_with_keys_fn=None):
    """Make ``cls`` a container: ``flatten_fn(obj) -> (children, context)`` and
    ``unflatten_fn(children, context) -> obj``; ``flatten_with_keys_fn(obj)`` returns
    ``([(key, child), ...], context)`` for the *_with_path functions.  The serialization
    arguments are accepted for compatibility (TreeSpec serialization is not provided)."""
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    if (to_dumpable_context is None) ^ (from_dumpable_context is None):
        raise ValueError(f"Both to_dumpable_context and from_dumpable_context for {cls} must be None or registered.")
    _register(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn)


# ---- keys: how a leaf is reached from the root -------------------------------------------------
class SequenceKey(NamedTuple):
    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"

    def get(self, sequence):
        return sequence[self.idx]


class MappingKey(NamedTuple):
    key: Any

    def __str__(self):
        return f"[{self.key!r}]"

    def get(self, mapping):
        return mapping[self.key]


class GetAttrKey(NamedTuple):
    name: str

    def __str__(self):
        return f".{self.name}"

    def get(self, obj):
        return getattr(obj, self.name)


def keystr(kp):
    """A key path as text, e.g. ``[0]['a'].b``."""
    return "".join(str(k) for k in kp)


def key_get(obj, kp):
    """The part of ``obj`` that the key path ``kp`` leads to."""
    for k in kp:
        obj = k.get(obj)
    return obj


# ---- the built-in containers -------------------------------------------------------------------
def is_namedtuple_class(cls):
    return isinstance(cls, type) and issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple) \
        and all(isinstance(f, str) for f in cls._fields) and callable(getattr(cls, "_make", None))


def is_namedtuple_instance(obj):
    return is_namedtuple_class(type(obj))


def is_namedtuple(obj):
    """A namedtuple class or instance."""
    return is_namedtuple_class(obj if isinstance(obj, type) else type(obj))


def _seq_keys(seq):
    return [(SequenceKey(i), v) for i, v in enumerate(seq)]


_register(tuple, lambda t: (list(t), None), lambda v, c: tuple(v), lambda t: (_seq_keys(t), None))
_register(list, lambda t: (list(t), None), lambda v, c: list(v), lambda t: (_seq_keys(t), None))
_register(dict, lambda d: (list(d.values()), list(d)), lambda v, keys: dict(zip(keys, v)),
          lambda d: ([(MappingKey(k), x) for k, x in d.items()], list(d)))
_register(namedtuple, lambda t: (list(t), type(t)), lambda v, cls: cls(*v),
          lambda t: ([(GetAttrKey(f), x) for f, x in zip(t._fields, t)], type(t)))
_register(OrderedDict, lambda d: (list(d.values()), list(d)), lambda v, keys: OrderedDict(zip(keys, v)),
          lambda d: ([(MappingKey(k), x) for k, x in d.items()], list(d)))
_register(defaultdict, lambda d: (list(d.values()), [d.default_factory, list(d)]),
          lambda v, c: defaultdict(c[0], zip(c[1], v)),
          lambda d: ([(MappingKey(k), x) for k, x in d.items()], [d.default_factory, list(d)]))
_register(deque, lambda d: (list(d), d.maxlen), lambda v, maxlen: deque(v, maxlen=maxlen),
          lambda d: (_seq_keys(d), d.maxlen))


def _register_return_types():
    """xptorch.return_types' (values, indices)-style tuples are nodes of their own type, as torch's structseqs."""
    from .. import return_types

    for name, cls in vars(return_types).items():
        if not name.startswith("_") and isinstance(cls, type) and issubclass(cls, tuple):
            _register(cls, lambda t: (list(t), None), lambda v, c, cls=cls: cls(v), lambda t: (_seq_keys(t), None))


_register_return_types()

_BUILTIN_TYPES = frozenset({tuple, list, dict, namedtuple, OrderedDict, defaultdict, deque})
_DICT_TYPES = frozenset({dict, OrderedDict, defaultdict})


def _node_type(tree):
    t = type(tree)
    return namedtuple if t not in SUPPORTED_NODES and is_namedtuple_class(t) else t


def tree_is_leaf(tree, is_leaf=None):
    """True when ``tree`` is not a registered container (or ``is_leaf(tree)`` says so)."""
    if is_leaf is not None and is_leaf(tree):
        return True
    return _node_type(tree) not in SUPPORTED_NODES


# ---- TreeSpec ------------------------------------------------------------------------------------
class TreeSpec:
    """The shape of a pytree: node type, its context (keys, class, maxlen...) and child specs."""

    __slots__ = ("type", "_context", "_children", "num_nodes", "num_leaves", "num_children")

    def __init__(self, type, context, children_specs):
        children = list(children_specs)
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "_context", context)
        object.__setattr__(self, "_children", children)
        if type is None:
            if context is not None:
                raise AssertionError("leaf node should not have a context")
            if children:
                raise AssertionError("leaf node should not have children")
            counts = (1, 1, 0)
        else:
            counts = (1 + sum(c.num_nodes for c in children), sum(c.num_leaves for c in children), len(children))
        for name, value in zip(("num_nodes", "num_leaves", "num_children"), counts):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field '{name}'")

    def __repr__(self, indent=0):
        head = f"TreeSpec({self.type.__name__}, {self._context}, ["
        if not self._children:
            return head + "])"
        indent += 2
        parts = [c.__repr__(indent) for c in self._children]
        return head + (",\n" + " " * indent).join(parts) + "])"

    def __eq__(self, other):
        if self is other:
            return True
        if other.__class__ is not self.__class__:
            return NotImplemented
        return str(self.type) == str(other.type) and self._context == other._context \
            and self._children == other._children

    def __hash__(self):
        ctx = self._context
        if self.type is defaultdict:
            ctx = (ctx[0], tuple(ctx[1]))
        elif self.type in (dict, OrderedDict):
            ctx = tuple(ctx)
        elif not (self.type is None or self.type in _BUILTIN_TYPES):
            ctx = None
        return hash((self.type, ctx, tuple(self._children)))

    def __reduce__(self):
        return (TreeSpec, (self.type, self._context, self._children))

    @property
    def context(self):
        return self._context

    @property
    def children_specs(self):
        warnings.warn("`treespec.children_specs` is deprecated. Use `treespec.child(index)` to access a single "
                      "child, or `treespec.children()` to get all children.", FutureWarning, stacklevel=2)
        return self._children

    def is_leaf(self):
        return self.num_nodes == 1 and self.num_leaves == 1

    def children(self):
        return list(self._children)

    def child(self, index):
        return self._children[index]

    def flatten_up_to(self, tree):
        """The subtrees of ``tree`` at this spec's leaves (``tree`` must have this spec as a prefix)."""
        out = []
        stack = [(self, tree)]
        while stack:
            spec, node = stack.pop()
            if spec.is_leaf():
                out.append(node)
                continue
            stack.extend(reversed(list(zip(spec._children, spec._match(node)))))
        return out

    def _match(self, node):
        """node's children in this spec's order, after checking node has this spec's type and arity."""
        node_type = _node_type(node)
        if self.type not in _BUILTIN_TYPES:
            if node_type != self.type:
                raise ValueError(f"Type mismatch; expected {self.type!r}, but got {node_type!r}.")
            children, context = SUPPORTED_NODES[node_type].flatten_fn(node)
            if len(children) != self.num_children:
                raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got {len(children)}.")
            if context != self._context:
                raise ValueError(f"Node context mismatch for custom node type {self.type!r}.")
            return children
        dicts = self.type in _DICT_TYPES and node_type in _DICT_TYPES
        if not dicts and node_type != self.type:
            raise ValueError(f"Node type mismatch; expected {self.type!r}, but got {node_type!r}.")
        if len(node) != self.num_children:
            raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got {len(node)}.")
        if dicts:
            keys = self._context[1] if self.type is defaultdict else self._context
            got, want = set(node), set(keys)
            if got != want:
                msg = ""
                if want - got:
                    msg += f"; missing key(s): {want - got}"
                if got - want:
                    msg += f"; extra key(s): {got - want}"
                raise ValueError(f"Node keys mismatch{msg}.")
            return [node[k] for k in keys]
        children, context = SUPPORTED_NODES[node_type].flatten_fn(node)
        if node_type is not deque and context != self._context:  # a deque's maxlen may differ
            raise ValueError(f"Node context mismatch for node type {self.type!r}; expected {self._context!r}, "
                             f"but got {context!r}.")
        return children

    def unflatten(self, leaves):
        """The pytree of this shape holding ``leaves`` in order."""
        if not isinstance(leaves, (list, tuple)):
            leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers "
                             f"to a pytree that holds {self.num_leaves} items ({self}).")
        return self._build(leaves, 0)

    def _build(self, leaves, start):
        if self.is_leaf():
            return leaves[start]
        children = []
        for c in self._children:
            children.append(c._build(leaves, start))
            start += c.num_leaves
        return SUPPORTED_NODES[self.type].unflatten_fn(children, self._context)


PyTreeSpec = TreeSpec


class LeafSpec(TreeSpec):
    """The spec of a single leaf (deprecated in favour of ``TreeSpec.is_leaf()``)."""

    __slots__ = ()

    def __init__(self):
        warnings.warn("`isinstance(treespec, LeafSpec)` is deprecated, use `isinstance(treespec, TreeSpec) and "
                      "treespec.is_leaf()` instead.", FutureWarning, stacklevel=2)
        super().__init__(None, None, [])

    def __repr__(self, indent=0):
        return "*"

    def __reduce__(self):
        return (_leaf_spec, ())


def _leaf_spec():
    return _LEAF


_LEAF = object.__new__(LeafSpec)
TreeSpec.__init__(_LEAF, None, None, [])


def treespec_leaf():
    return _LEAF


def treespec_tuple(iterable=(), /):
    children = list(iterable)
    if not all(isinstance(c, TreeSpec) for c in children):
        raise ValueError(f"Expected a tuple of TreeSpec values, got: {children!r}.")
    return TreeSpec(tuple, None, children)


def treespec_dict(mapping=(), /, **kwargs):
    d = dict(mapping, **kwargs)
    if not all(isinstance(c, TreeSpec) for c in d.values()):
        raise ValueError(f"Expected a dictionary of TreeSpec values, got: {d!r}.")
    return TreeSpec(dict, list(d), list(d.values()))


# ---- flatten / unflatten / map -------------------------------------------------------------------
def tree_flatten(tree, is_leaf=None):
    """``(leaves, spec)``: the leaves depth first and the TreeSpec that tree_unflatten needs."""
    leaves = []

    def walk(node):
        if tree_is_leaf(node, is_leaf):
            leaves.append(node)
            return _LEAF
        node_type = _node_type(node)
        children, context = SUPPORTED_NODES[node_type].flatten_fn(node)
        return TreeSpec(node_type, context, [walk(c) for c in children])

    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, treespec):
    """The inverse of tree_flatten."""
    if not isinstance(treespec, TreeSpec):
        if not isinstance(leaves, TreeSpec):
            raise TypeError(f"Expected `treespec` to be an instance of PyTreeSpec but got item of type "
                            f"{type(treespec)}.")
        leaves, treespec = treespec, leaves
    return treespec.unflatten(leaves)


def tree_iter(tree, is_leaf=None):
    """The leaves, lazily, in tree_flatten's order."""
    if tree_is_leaf(tree, is_leaf):
        yield tree
        return
    children, _ = SUPPORTED_NODES[_node_type(tree)].flatten_fn(tree)
    for c in children:
        yield from tree_iter(c, is_leaf)


def tree_leaves(tree, is_leaf=None):
    return list(tree_iter(tree, is_leaf))


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """A tree of ``tree``'s shape with ``func(leaf, *matching parts of rests)`` at each leaf.

    Each of ``rests`` must have ``tree``'s structure as a prefix."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat = [leaves] + [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(map(func, *flat))


def tree_map_(func, tree, *rests, is_leaf=None):
    """Call ``func`` on every leaf (for its side effects); returns ``tree`` itself."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat = [leaves] + [spec.flatten_up_to(r) for r in rests]
    for args in zip(*flat):
        func(*args)
    return tree


def map_only(type_or_types_or_pred, /):
    """Decorator: the function applies to values of the given type(s) (or passing the predicate);
    other values pass through unchanged."""
    if isinstance(type_or_types_or_pred, (type, tuple, types.UnionType)):
        kinds = type_or_types_or_pred
        pred = lambda x: isinstance(x, kinds)  # noqa: E731
    elif callable(type_or_types_or_pred):
        pred = type_or_types_or_pred
    else:
        raise TypeError("Argument must be a type, a tuple of types, or a callable.")

    def wrap(func):
        @functools.wraps(func)
        def only(x):
            return func(x) if pred(x) else x

        return only

    return wrap


def tree_map_only(type_or_types_or_pred, /, func, tree, is_leaf=None):
    """tree_map applying ``func`` only to leaves of the given type(s) or passing the predicate."""
    return tree_map(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred, /, func, tree, is_leaf=None):
    return tree_map_(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_all(pred, tree, is_leaf=None):
    return all(map(pred, tree_iter(tree, is_leaf)))


def tree_any(pred, tree, is_leaf=None):
    return any(map(pred, tree_iter(tree, is_leaf)))


def tree_all_only(type_or_types, /, pred, tree, is_leaf=None):
    return all(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


def tree_any_only(type_or_types, /, pred, tree, is_leaf=None):
    return any(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


# ---- key paths -----------------------------------------------------------------------------------
def _keyed_children(node):
    node_type = _node_type(node)
    entry = SUPPORTED_NODES[node_type]
    if entry.flatten_with_keys_fn is None:
        raise ValueError(f"Did not find a flatten_with_keys_fn for type: {node_type}. Please pass a "
                         "flatten_with_keys_fn argument to register_pytree_node.")
    return entry.flatten_with_keys_fn(node)[0]


def tree_flatten_with_path(tree, is_leaf=None):
    """``([(key path, leaf), ...], spec)``; a key path is a tuple of SequenceKey/MappingKey/GetAttrKey."""
    spec = tree_structure(tree, is_leaf)
    return tree_leaves_with_path(tree, is_leaf), spec


def tree_leaves_with_path(tree, is_leaf=None):
    out = []

    def walk(node, path):
        if tree_is_leaf(node, is_leaf):
            out.append((path, node))
            return
        for key, child in _keyed_children(node):
            walk(child, path + (key,))

    walk(tree, ())
    return out


def tree_map_with_path(func, tree, *rests, is_leaf=None):
    """tree_map where ``func`` also gets each leaf's key path first."""
    keyed, spec = tree_flatten_with_path(tree, is_leaf)
    paths, leaves = zip(*keyed) if keyed else ((), ())
    flat = [paths, leaves] + [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(func(*args) for args in zip(*flat))
