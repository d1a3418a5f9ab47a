"""nn.functional ops: loss."""
__all__ = []
