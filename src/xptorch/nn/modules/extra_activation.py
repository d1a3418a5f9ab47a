"""nn.modules.extra_activation."""
__all__ = []
