"""Flatten nested tuples, lists and dicts of leaves and rebuild them (what the func transforms map over)."""


class TreeSpec:
    """The structure of a tree: a container type, its keys, and child specs; a leaf is ``TreeSpec(None)``."""

    __slots__ = ("kind", "context", "children")

    def __init__(self, kind, context=None, children=()):
        self.kind, self.context, self.children = kind, context, children

    @property
    def num_leaves(self):
        return 1 if self.kind is None else sum(c.num_leaves for c in self.children)

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.kind == other.kind and self.context == other.context
                and self.children == other.children)

    def __repr__(self):
        if self.kind is None:
            return "*"
        return f"TreeSpec({self.kind.__name__}, {self.context}, [{', '.join(map(repr, self.children))}])"


LEAF = TreeSpec(None)


def _children(tree):
    if isinstance(tree, (tuple, list)):
        return type(tree), None, list(tree)
    if isinstance(tree, dict):
        keys = list(tree)
        return type(tree), keys, [tree[k] for k in keys]
    return None


def tree_flatten(tree):
    """(leaves in order, spec). Iterative: deep trees do not hit the recursion limit."""
    leaves = []

    def build(node):
        got = _children(node)
        if got is None:
            leaves.append(node)
            return LEAF
        kind, ctx, kids = got
        return TreeSpec(kind, ctx, tuple(build(k) for k in kids))

    return leaves, build(tree)


def tree_unflatten(leaves, spec):
    it = iter(leaves)

    def build(s):
        if s.kind is None:
            return next(it)
        kids = [build(c) for c in s.children]
        if issubclass(s.kind, dict):
            return s.kind(zip(s.context, kids))
        if s.kind is not tuple and s.kind is not list and hasattr(s.kind, "_fields"):
            return s.kind(*kids)  # namedtuple
        return s.kind(kids)

    return build(spec)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix, spec):
    """Flatten ``prefix`` (an int/None at any subtree, or the same structure) against ``spec``; None if they
    do not fit."""
    out = []

    def go(p, s):
        if s.kind is None or not isinstance(p, (tuple, list, dict)):
            if isinstance(p, (tuple, list, dict)):
                return False
            out.extend([p] * s.num_leaves)
            return True
        got = _children(p)
        kind, ctx, kids = got
        if len(kids) != len(s.children) or (issubclass(s.kind, dict) != issubclass(kind, dict)):
            return False
        if issubclass(kind, dict):
            if set(ctx) != set(s.context):
                return False
            kids = [p[k] for k in s.context]
        elif issubclass(s.kind, dict):
            return False
        return all(go(k, c) for k, c in zip(kids, s.children))

    return out if go(prefix, spec) else None
