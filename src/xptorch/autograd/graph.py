"""Inspecting and extending a backward pass while it runs."""
from .engine import queue_callback
from .node import Node, RemovableHandle

__all__ = ["Node", "RemovableHandle", "queue_callback"]
