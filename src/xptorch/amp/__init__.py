"""Automatic mixed precision: autocast regions and the gradient scaler, under PyTorch's names."""
from .autocast_mode import (autocast, custom_bwd, custom_fwd, get_autocast_dtype, is_autocast_available,
                            is_autocast_enabled)
from .grad_scaler import GradScaler

__all__ = ["autocast", "custom_bwd", "custom_fwd", "GradScaler", "is_autocast_available", "is_autocast_enabled", "get_autocast_dtype"]
