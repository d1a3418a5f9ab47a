"""SyncBatchNorm: batch statistics over the whole process group, not one rank's batch.

Each rank sums x and x*x per channel; one all-reduce (sum) of [sum, sum of squares, count] gives
the global mean and biased variance. The all-reduce is differentiable (its backward all-reduces
the incoming gradients), so the input gradients carry every rank's contribution, as a single
BatchNorm over the concatenated batch would.
"""
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from .batchnorm import _BatchNorm

__all__ = ["SyncBatchNorm"]


class _AllReduceSum(Function):
    @staticmethod
    def forward(ctx, x, group):
        from ... import distributed as dist

        ctx.group = group
        out = x.clone()
        dist.all_reduce(out, group=group)
        return out

    @staticmethod
    def backward(ctx, g):
        from ... import distributed as dist

        g = g.clone()
        dist.all_reduce(g, group=ctx.group)
        return g, None


class SyncBatchNorm(_BatchNorm):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input):
        from ... import distributed as dist

        self._check_input_dim(input)
        if not self.training or not dist.is_initialized() or dist.get_world_size(self.process_group) == 1:
            return super().forward(input)
        if input.shape[1] != self.num_features:
            raise ValueError(f"expected {self.num_features} channels, got input of shape {tuple(input.shape)}")
        dims = [0] + list(range(2, input.dim()))
        count = input.numel() // input.shape[1]
        local = input.new_full((1, self.num_features), float(count))
        from ... import cat

        stats = cat([input.sum(dims).unsqueeze(0), (input * input).sum(dims).unsqueeze(0), local], 0)
        stats = _AllReduceSum.apply(stats, self.process_group)
        n = stats[2]
        mean = stats[0] / n
        var = stats[1] / n - mean * mean
        if self.track_running_stats and self.running_mean is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
                m = (1.0 / float(self.num_batches_tracked)) if self.momentum is None else self.momentum
                total = float(n[0])
                self.running_mean.mul_(1 - m).add_(mean.detach() * m)
                self.running_var.mul_(1 - m).add_(var.detach() * (total / max(total - 1, 1)) * m)
        shape = [1, self.num_features] + [1] * (input.dim() - 2)
        out = (input - mean.reshape(shape)) / (var.reshape(shape) + self.eps).sqrt()
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """module with every BatchNorm*d replaced by a SyncBatchNorm sharing its parameters and buffers."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                module.track_running_stats, process_group)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            out.running_mean, out.running_var = module.running_mean, module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
