"""Give the weights of every Conv2d/ConvTranspose2d (Conv3d/ConvTranspose3d) a memory format in place."""

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, kinds):
    for m in module.modules():
        if isinstance(m, kinds):
            # The Parameter keeps its identity; only its layout changes (torch: clone, then resize_).
            m.weight.data = m.weight.detach().clone(memory_format=memory_format)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """module with its 2-d convolution weights in memory_format (e.g. channels_last); returns module."""
    from ..modules.conv import Conv2d, ConvTranspose2d

    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """module with its 3-d convolution weights in memory_format (e.g. channels_last_3d); returns module."""
    from ..modules.conv import Conv3d, ConvTranspose3d

    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
