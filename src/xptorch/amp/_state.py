"""Autocast state read by the ops. `active` counts enabled autocast regions in all threads, so an op pays
one module-attribute test when no region is open; the per-thread settings are read only after it."""
import threading

active = 0
_lock = threading.Lock()
_tls = threading.local()

# Ops whose inputs autocast lowers to the region's dtype, and ops it runs in float32, per device type.
LOWER = frozenset({"mm", "bmm", "matmul", "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                   "conv_transpose2d", "conv_transpose3d", "prelu", "addmm", "baddbmm", "addbmm",
                   "scaled_dot_product_attention"})
_LOSSES = {"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy", "kl_div",
           "binary_cross_entropy_with_logits", "soft_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "cosine_embedding_loss", "poisson_nll_loss", "triplet_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss"}
FLOAT32 = {
    "cpu": frozenset(_LOSSES | {"binary_cross_entropy", "prod"}),
    "cuda": frozenset(_LOSSES | {"softmax", "log_softmax", "softmin", "layer_norm", "group_norm", "norm", "prod",
                                 "cumsum", "cumprod", "sum", "exp", "log", "pow", "logsumexp", "cosine_similarity",
                                 "normalize", "cdist", "dist", "pdist", "renorm"}),
}


def settings():
    s = getattr(_tls, "s", None)
    if s is None:
        s = _tls.s = {"cpu": [False, None], "cuda": [False, None], "cache": {}, "depth": 0}
    return s


def _device_type(tensors):
    for t in tensors:
        dev = getattr(t, "_device", None)
        if dev is not None:
            return dev.type
    return None


def _cast(t, target, cache):
    d = t._data.dtype
    if d.kind != "f" or d.itemsize == 8 or d == target.np:
        return t
    # Parameters are cast once per region (torch's cast cache): leaves that require grad.
    if cache is not None and t._rg and t.grad_fn is None:
        hit = cache.get(id(t))
        if hit is not None and hit[0] is t and hit[1] == t._version:
            return hit[2]
        out = t.to(target)
        cache[id(t)] = (t, t._version, out)
        return out
    return t.to(target)


def cast(op, *tensors):
    """tensors as op sees them in the current thread's autocast region (unchanged outside one)."""
    dt = _device_type(tensors)
    s = settings()
    mode = s.get(dt)
    if mode is None or not mode[0]:
        return tensors
    if op == "binary_cross_entropy" and dt == "cuda":
        raise RuntimeError(
            "xptorch.nn.functional.binary_cross_entropy and xptorch.nn.BCELoss are unsafe to autocast.\n"
            "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
            "In this case, combine the two layers using xptorch.nn.functional.binary_cross_entropy_with_logits\n"
            "or xptorch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
            "safe to autocast.")
    if op in LOWER:
        target = mode[1]
    elif op in FLOAT32[dt]:
        from .. import _dtype

        target = _dtype.float32
    else:
        return tensors
    cache = s["cache"] if s.get("cache_enabled", True) else None
    return tuple(t if t is None or not hasattr(t, "_data") else _cast(t, target, cache) for t in tensors)
