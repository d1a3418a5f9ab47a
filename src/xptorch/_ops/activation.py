"""nn.functional ops: activation."""
__all__ = []
