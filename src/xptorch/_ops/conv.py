"""nn.functional ops: conv."""
__all__ = []
