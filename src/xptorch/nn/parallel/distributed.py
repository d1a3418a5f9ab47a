"""DistributedDataParallel: one model replica per rank, gradients averaged during backward.

Each unique Parameter (a tied one once) gets a post-accumulate-grad hook. Parameters sit in
buckets of about `bucket_cap_mb` (the first holds 1 MiB) in reverse registration order, which is
roughly the order in which backward completes them. When the last gradient of a bucket arrives,
its hook copies the gradients into the bucket's flat buffer, divides by the world size and starts
an asynchronous all-reduce; buckets start in index order on every rank, so collectives match.
A callback queued on the backward pass waits for all buckets and writes the averages back into
`.grad`. Communication of early buckets thus overlaps the rest of backward.
"""
import contextlib
import time

from ... import distributed as dist
from ...autograd import graph as _graph
from ...autograd.grad_mode import state as _grad_state
from ..modules.module import Module

_FIRST_BUCKET_BYTES = 1 << 20

_MARKED_TWICE = (
    "Expected to mark a variable ready only once. This error is caused by one of the following reasons: "
    "1) Use of a module parameter outside the `forward` function. Please make sure model parameters are not "
    "shared across multiple concurrent forward-backward passes. or try to use _set_static_graph() as a workaround "
    "if this module graph does not change during training loop.2) Reused parameters in multiple reentrant backward "
    "passes. For example, if you use multiple `checkpoint` functions to wrap the same part of your model, it would "
    "result in the same set of parameters been used by different reentrant backward passes multiple times, and "
    "hence marking a variable ready multiple times. DDP does not support such use cases in default. You can try to "
    "use _set_static_graph() as a workaround if your module graph does not change over iterations.\n"
    "Parameter at index {index} with name {name} has been marked as ready twice. This means that multiple autograd "
    "engine  hooks have fired for this particular parameter during this iteration."
)

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates "
    "that your module has parameters that were not used in producing loss. You can enable unused parameter "
    "detection by passing the keyword argument `find_unused_parameters=True` to "
    "`xptorch.nn.parallel.DistributedDataParallel`, and by \nmaking sure all `forward` function outputs participate "
    "in calculating loss. \nParameter indices which did not receive grad for rank {rank}: {indices}\n"
    "Parameters which did not receive grad for rank {rank}: {names}"
)


class _Bucket:
    __slots__ = ("params", "offsets", "buffer", "pending", "work")

    def __init__(self, params, offsets, buffer):
        self.params, self.offsets, self.buffer = params, offsets, buffer
        self.pending = len(params)
        self.work = None


class DistributedDataParallel(Module):
    """Wraps module; every rank runs it on its own data and gets the averaged gradients."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **unused):
        super().__init__()
        self.module = module
        pg = dist.distributed_c10d._pg(process_group)
        object.__setattr__(self, "process_group", pg)
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        object.__setattr__(self, "_params", [p for _, p in named])
        object.__setattr__(self, "_names", [n for n, _ in named])
        self._sync_module_states()
        object.__setattr__(self, "_buckets", self._make_buckets())
        bucket_of = {}
        for b, bucket in enumerate(self._buckets):
            for j, i in enumerate(bucket.params):
                bucket_of[i] = (b, j)
        object.__setattr__(self, "_bucket_of", bucket_of)
        object.__setattr__(self, "_handles", [p.register_post_accumulate_grad_hook(self._hook(i))
                                              for i, p in enumerate(self._params)])
        object.__setattr__(self, "_ready", [False] * len(self._params))
        self._next = 0
        self._expect_hooks = False  # between a forward that needs a reduction and its finalize
        self._finalize_queued = False
        self._unused_local = ()
        self.timings = {}

    # ---- set-up ----------------------------------------------------------------------------------
    def _sync_module_states(self):
        """Every rank starts from rank 0's parameters and buffers (one broadcast per dtype)."""
        tensors = list(self._params) + [b for _, b in self.module.named_buffers()]
        if self.process_group.size() > 1:
            _broadcast_coalesced(tensors, self.process_group)

    def _make_buckets(self):
        from ... import _factories

        buckets, current, size, cap = [], [], 0, min(_FIRST_BUCKET_BYTES, self.bucket_bytes_cap)
        key = None
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            k = (p.dtype, p.device)
            nbytes = p.numel() * p.element_size()
            if current and (k != key or size + nbytes > cap):
                buckets.append(current)
                current, size, cap = [], 0, self.bucket_bytes_cap
            current.append(i)
            size += nbytes
            key = k
        if current:
            buckets.append(current)
        out = []
        for idx in buckets:
            offsets, total = [], 0
            for i in idx:
                offsets.append(total)
                total += self._params[i].numel()
            p0 = self._params[idx[0]]
            out.append(_Bucket(idx, offsets, _factories.zeros(total, dtype=p0.dtype, device=p0.device)))
        return out

    # ---- forward -----------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._expect_hooks and any(self._ready) and not all(self._ready):
            # Some gradients were reduced last iteration, others never arrived.
            missing = [i for i, r in enumerate(self._ready) if not r]
            self._expect_hooks = False
            raise RuntimeError(_UNFINISHED.format(rank=dist.get_rank(), indices=" ".join(map(str, missing)),
                                                  names=", ".join(self._names[i] for i in missing)))
        if self.broadcast_buffers and self.process_group.size() > 1:
            buffers = [b for _, b in self.module.named_buffers()]
            if buffers:
                _broadcast_coalesced(buffers, self.process_group)
        out = self.module(*inputs, **kwargs)
        if _grad_state.enabled and self.require_backward_grad_sync:
            self._prepare_for_backward(out)
        return out

    def _prepare_for_backward(self, out):
        self._reset()
        if self.find_unused_parameters:
            reached = _reachable_leaves(out)
            unused = [i for i, p in enumerate(self._params) if id(p) not in reached]
            self._unused_local = tuple(unused)
            for i in unused:  # they take part with zeros, so every bucket completes
                self._mark_ready(i, None)

    def _reset(self):
        for b in self._buckets:
            b.pending = len(b.params)
            b.work = None
        self._ready[:] = [False] * len(self._params)
        self._next = 0
        self._expect_hooks = True
        self._finalize_queued = False
        self._unused_local = ()

    # ---- backward -----------------------------------------------------------------------------------
    def _hook(self, i):
        def hook(p):
            # Outside an iteration (no_sync, a second backward after the reduction) the
            # gradient stays local, as in PyTorch.
            if self.require_backward_grad_sync and self._expect_hooks:
                self._mark_ready(i, p)

        return hook

    def _mark_ready(self, i, p):
        if self._ready[i]:
            raise RuntimeError(_MARKED_TWICE.format(index=i, name=self._names[i]))
        self._ready[i] = True
        if self._finalize_queued is None and p is not None:  # all buckets went at forward time
            self._finalize_queued = True
            _graph.queue_callback(self._finalize)
        b, j = self._bucket_of[i]
        bucket = self._buckets[b]
        param = self._params[i]
        n = param.numel()
        off = bucket.offsets[j]
        flat = bucket.buffer._data
        if p is None or param._grad is None:
            flat[off:off + n] = 0
        else:
            flat[off:off + n] = param._grad._data.reshape(-1)
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready()
        else:
            for bk in self._buckets[:self._next]:  # let MPI progress the reductions in flight
                if bk.work is not None:
                    bk.work.is_completed()

    def _launch_ready(self):
        buckets = self._buckets
        while self._next < len(buckets) and buckets[self._next].pending == 0:
            bucket = buckets[self._next]
            n = self.process_group.size()
            buf = bucket.buffer._data
            if buf.dtype.kind == "f":
                buf /= n
            if "first_launch" not in self.timings or self._next == 0:
                self.timings["first_launch"] = time.perf_counter()
            bucket.work = dist.all_reduce(bucket.buffer, group=self.process_group, async_op=True)
            self._next += 1
        if self._next == len(buckets) and not self._finalize_queued:
            # Every bucket is on its way: wait for them at the end of the backward now running.
            try:
                _graph.queue_callback(self._finalize)
                self._finalize_queued = True
            except RuntimeError:  # launched from forward (unused parameters): queue at the first hook
                self._finalize_queued = None

    def _finalize(self):
        self.timings["backward_end"] = time.perf_counter()
        self._expect_hooks = False
        globally_used = None
        if self.find_unused_parameters:
            from ... import _factories

            used = _factories.ones(len(self._params))
            for i in self._unused_local:
                used._data[i] = 0
            dist.all_reduce(used, op=dist.ReduceOp.MAX, group=self.process_group)
            globally_used = used._data
        for bucket in self._buckets:
            bucket.work.wait()
        self.timings["wait_end"] = time.perf_counter()
        for bucket in self._buckets:
            flat = bucket.buffer._data
            for j, i in enumerate(bucket.params):
                if globally_used is not None and not globally_used[i]:
                    continue
                p = self._params[i]
                n = p.numel()
                avg = flat[bucket.offsets[j]:bucket.offsets[j] + n].reshape(p._data.shape)
                if p._grad is None:
                    p._accumulate_grad(avg.copy())
                else:
                    p._grad._data[...] = avg

    # ---- gradient accumulation ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate local gradients; the next one outside reduces the sum."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _set_static_graph(self):
        pass


def _broadcast_coalesced(tensors, pg):
    """Broadcast tensors from rank 0 with one collective per (dtype, device)."""
    from ... import _factories

    groups = {}
    for t in tensors:
        groups.setdefault((t.dtype, t.device), []).append(t)
    for (dtype, device), ts in groups.items():
        flat = _factories.empty(sum(t.numel() for t in ts), dtype=dtype, device=device)
        off = 0
        for t in ts:
            flat._data[off:off + t.numel()] = t._data.reshape(-1)
            off += t.numel()
        dist.broadcast(flat, src=dist.get_global_rank(pg, 0), group=pg)
        off = 0
        for t in ts:
            t._data[...] = flat._data[off:off + t.numel()].reshape(t._data.shape)
            off += t.numel()


def _reachable_leaves(out):
    """ids of the leaf tensors the autograd graph of out's tensors reaches."""
    from ..._tensor import Tensor
    from ...autograd.node import Node

    stack, seen, leaves = [], set(), set()
    todo = [out]
    while todo:
        o = todo.pop()
        if isinstance(o, Tensor):
            if o.grad_fn is not None:
                stack.append(o.grad_fn)
            elif o.requires_grad:
                leaves.add(id(o))
        elif isinstance(o, (list, tuple)):
            todo.extend(o)
        elif isinstance(o, dict):
            todo.extend(o.values())
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for e in node.next:
            if e is None:
                continue
            if isinstance(e, Node):
                stack.append(e)
            else:
                leaves.add(id(e))
    return leaves
