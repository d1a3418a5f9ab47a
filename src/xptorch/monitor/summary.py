"""summary(model): a terminal table of a model's layers, parameters, ties and devices."""
from ..autograd.grad_mode import no_grad
from ..nn.utils.ties import parameter_names

__all__ = ["summary", "format_table"]


def format_table(head, rows, right=()):
    """Columns padded to their widest cell; columns whose index is in `right` are right-aligned."""
    widths = [len(h) for h in head]
    for row in rows:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([line(head), rule] + [line(r) for r in rows] + [rule])


def _shape(obj):
    shape = getattr(obj, "shape", None)
    if shape is not None:
        return str(list(shape))
    if isinstance(obj, (tuple, list)):
        return ", ".join(_shape(o) for o in obj)
    return "-"


def _output_shapes(model, input_size, device, dtype):
    """Run one forward pass on zeros; each module's output shapes, in call order."""
    from .._factories import zeros

    sizes = [input_size] if input_size and isinstance(input_size[0], int) else list(input_size)
    inputs = [zeros(tuple(s), device=device, dtype=dtype) for s in sizes]
    shapes = {}
    handles = []
    seen = set()
    for _, m in model.named_modules():
        if id(m) in seen:
            continue
        seen.add(id(m))
        handles.append(m.register_forward_hook(
            lambda mod, args, out: shapes.setdefault(id(mod), []).append(_shape(out))))
    try:
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return shapes


def summary(model, input_size=None, dtype=None):
    """The layers of `model` as a table, with totals that count each (possibly tied) parameter once.

    Columns: layer name (indented by depth), type, output shape (when `input_size`, a shape or a
    list of shapes, is given: one forward pass on zeros), the layer's own parameter shapes and
    count, whether they train, the layers it shares parameters with, and their device. A layer's
    count shows in parentheses when its parameters were already counted on an earlier row.
    """
    params = list(model.parameters())
    names_of = parameter_names(model)
    first = params[0] if params else None
    device = first.device if first is not None else None
    if dtype is None and first is not None:
        dtype = first.dtype
    shapes = _output_shapes(model, input_size, device, dtype) if input_size is not None else None

    # module name -> ids of its own parameters; parameter id -> the modules that hold it
    entries = list(model.named_modules(remove_duplicate=False))
    if len(entries) > 1 and not entries[0][1]._parameters:
        entries = entries[1:]
    holders = {}
    for name, m in entries:
        for p in m._parameters.values():
            if p is not None:
                holders.setdefault(id(p), []).append(name or type(m).__name__)
    calls = {}
    counted = set()
    rows = []
    for name, m in entries:
        own = [p for p in m._parameters.values() if p is not None]
        label = name or type(m).__name__
        depth = name.count(".") if name else 0
        row = ["  " * depth + label, type(m).__name__]
        if shapes is not None:
            k = calls.get(id(m), 0)
            calls[id(m)] = k + 1
            got = shapes.get(id(m), [])
            row.append(got[k] if k < len(got) else (got[-1] if got else "-"))
        n = sum(p.numel() for p in own)
        fresh = [p for p in own if id(p) not in counted]
        counted.update(id(p) for p in own)
        if not own:
            count, trainable = "--", ""
        else:
            count = f"{n:,}" if fresh else f"({n:,})"
            flags = {p.requires_grad for p in own}
            trainable = "partly" if len(flags) == 2 else ("yes" if True in flags else "no")
        tied = []
        for p in own:
            for other in holders[id(p)]:
                if other != label and other not in tied:
                    tied.append(other)
        devices = sorted({str(p.device) for p in own})
        row += [", ".join("x".join(map(str, p.shape)) or "scalar" for p in own) or "--", count, trainable,
                ", ".join(tied), ", ".join(devices)]
        rows.append(row)
    head = ["Layer", "Type"] + (["Output shape"] if shapes is not None else []) + [
        "Param shapes", "Params", "Trainable", "Tied with", "Device"]
    right = {head.index("Params")}
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    nbytes = sum(p.numel() * p.element_size() for p in params)
    lines = [f"{type(model).__name__} summary", format_table(head, rows, right)]
    lines.append(f"Total params: {total:,}")
    lines.append(f"Trainable params: {trainable:,}")
    lines.append(f"Non-trainable params: {total - trainable:,}")
    lines.append(f"Params size: {nbytes / 1024:.2f} KiB")
    tied_groups = [names for names in names_of.values() if len(names) > 1]
    if tied_groups:
        lines.append(f"Shared parameters: {len(tied_groups)} (" +
                     "; ".join(" = ".join(g) for g in tied_groups) + "), each counted once")
    return "\n".join(lines)
