"""torch.backends.cpu: the CPU's vector capability as PyTorch names it ('NO AVX', 'AVX2', 'AVX512')."""


def get_cpu_capability():
    """The widest x86 vector extension the CPU reports in /proc/cpuinfo ('DEFAULT' elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return "DEFAULT"
    if " avx512f" in flags:
        return "AVX512"
    if " avx2" in flags:
        return "AVX2"
    return "NO AVX" if " sse" in flags else "DEFAULT"
