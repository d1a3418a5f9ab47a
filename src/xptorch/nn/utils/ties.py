"""Which parameter names share one Parameter object (beyond PyTorch)."""


def tied_parameters(module):
    """Groups of names bound to the same Parameter, for every Parameter that has more than one name.

    `Sequential(shared, relu, shared)` gives `[['0.weight', '2.weight'], ['0.bias', '2.bias']]`,
    in first-appearance order.
    """
    groups = {}
    for name, p in module.named_parameters(remove_duplicate=False):
        groups.setdefault(id(p), []).append(name)
    return [names for names in groups.values() if len(names) > 1]


def parameter_names(module):
    """id(Parameter) -> every name it goes by, in traversal order."""
    out = {}
    for name, p in module.named_parameters(remove_duplicate=False):
        out.setdefault(id(p), []).append(name)
    return out
