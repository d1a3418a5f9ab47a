"""vmap as a loop: call the function once per batch element and stack the results.

Correct for any function written for one example (nested vmap, grad inside vmap and vmap inside grad
included), with torch.func's argument checks and randomness modes, but not faster than the loop it is:
there are no batching rules. A batch of size 0 is refused (the loop would never learn the output's shape).
"""
import functools

from .. import _random
from .._tensor import Tensor
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]


def _name(func):
    return getattr(func, "__name__", repr(func))


def _check_out_dims(out_dims, func):
    def ok(x):
        return x is None or isinstance(x, int)

    leaves, _ = tree_flatten(out_dims)
    if not all(ok(x) for x in leaves):
        raise ValueError(
            f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python "
            "collection of ints representing where in the outputs the vmapped dimension should appear."
        )


def _flat_in_dims(func, in_dims, args):
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(
            f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
            f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}."
        )
    if len(args) == 0:
        raise ValueError(
            f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
            "to vmap over a function with no inputs. The latter is unsupported."
        )
    flat_args, spec = tree_flatten(args)
    flat = broadcast_prefix(in_dims, spec)
    if flat is None:
        raise ValueError(
            f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
            f"structure of `inputs`. in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
            f"structure {spec}."
        )
    for i, (arg, d) in enumerate(zip(flat_args, flat)):
        if not isinstance(d, int) and d is not None:
            raise ValueError(
                f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but "
                "in_dim must be either an integer dimension or None."
            )
        if isinstance(d, int) and not isinstance(arg, Tensor):
            raise ValueError(
                f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the "
                f"input is of type {type(arg)}. We cannot vmap over non-Tensor arguments, please use None as "
                "the respective in_dim"
            )
        if d is not None and (d < -arg.dim() or d >= arg.dim()):
            raise ValueError(
                f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but "
                f"that input is a Tensor of dimensionality {arg.dim()} so expected in_dim to satisfy "
                f"-{arg.dim()} <= in_dim < {arg.dim()}."
            )
        if d is not None and d < 0:
            flat[i] = d % arg.dim()
    sizes = [a.size(d) for a, d in zip(flat_args, flat) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
            f"{sizes} for the mapped dimension"
        )
    return flat_args, spec, flat, sizes[0]


class _Randomness:
    """Watches generator draws during the loop: 'error' refuses them, 'same' replays each generator's
    stream from where it stood for every batch element; 'different' lets the stream run on."""

    def __init__(self, mode, outer):
        self.mode, self.outer, self.starts = mode, outer, {}

    def __call__(self, gen):
        if self.outer is not None:
            self.outer(gen)
        if self.mode == "error":
            raise RuntimeError(
                "vmap: called random operation while in randomness error mode. Please either use the 'same' "
                "or 'different' randomness flags on vmap or perform the randomness operation out of vmap"
            )
        if self.mode == "same" and gen not in self.starts:
            self.starts[gen] = gen._block

    def rewind(self):
        for gen, block in self.starts.items():
            gen._block = block


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """func mapped over dimension in_dims of its inputs, results stacked along out_dims.

    in_dims/out_dims: an int, None (not mapped), or a (nested) tuple matching the inputs/outputs. Keyword
    arguments are passed unmapped. randomness: 'error' (random ops raise), 'different' (each element draws
    its own numbers) or 'same' (every element draws the same numbers). chunk_size is accepted and has no
    effect: the elements are computed one at a time in a Python loop (see the module docstring).
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        from .._functions import stack

        _check_out_dims(out_dims, func)
        flat_args, spec, flat_dims, batch = _flat_in_dims(func, in_dims, args)
        if batch == 0:
            raise ValueError("vmap: a batch of size 0 is not supported (the loop never calls the function)")
        watch = _Randomness(randomness, _random._vmap_randomness.get())
        token = _random._vmap_randomness.set(watch)
        try:
            outs = []
            for b in range(batch):
                watch.rewind()
                sliced = [a.select(d, b) if d is not None else a for a, d in zip(flat_args, flat_dims)]
                outs.append(func(*tree_unflatten(sliced, spec), **kwargs))
        finally:
            _random._vmap_randomness.reset(token)
        first, out_spec = tree_flatten(outs[0])
        if isinstance(outs[0], Tensor):
            if isinstance(out_dims, int) or out_dims is None:
                flat_out_dims = [out_dims]
            elif isinstance(out_dims, tuple) and len(out_dims) == 1:
                flat_out_dims = list(out_dims)
            else:
                flat_out_dims = None
        else:
            flat_out_dims = broadcast_prefix(out_dims, out_spec)
        if flat_out_dims is None:
            raise ValueError(
                f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                f"structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs has "
                f"structure {out_spec}."
            )
        per_elem = [tree_flatten(o)[0] for o in outs]
        result = []
        for j, od in enumerate(flat_out_dims):
            if od is None:
                result.append(first[j])
                continue
            if not isinstance(first[j], Tensor):
                raise ValueError(
                    f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type "
                    f"{type(first[j])}. Did you mean to set out_dims= to None for output?"
                )
            result.append(stack([p[j] for p in per_elem], dim=od))
        return tree_unflatten(result, out_spec)

    return wrapped
