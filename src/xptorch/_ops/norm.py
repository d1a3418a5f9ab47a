"""nn.functional ops: norm."""
__all__ = []
