"""nn.functional ops: pool."""
__all__ = []
