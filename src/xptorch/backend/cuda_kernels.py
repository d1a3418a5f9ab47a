"""CUDA launches of kernels/*.cu for float32/float64 CuPy arrays; imported only once CuPy arrays exist.

Programs are compiled by NVRTC on first use, once per device, and cached on disk.  They are not built
through cupy.RawModule because CuPy always appends -ftz=true, which would flush float32 denormals and
break the bit-for-bit agreement with the NumPy twins in kernels.py.
"""
import hashlib
import math
import os
import re
import tempfile
import threading

import numpy as np

from .. import _random
from . import capture_blas, kernel_source
from .. import backend as _backend


class _CuPy:
    """The cupy module, looked up on use: backend.simulate_cuda can stand a CuPy-like module in for it.
    Like a plain ``import cupy``, it needs no GPU (NVRTC works without one)."""

    __slots__ = ()

    def __getattr__(self, name):
        return getattr(_backend._simulated or _backend._load_cupy() or _backend.cupy_module(), name)


cp = _CuPy()

# Separately rounded IEEE operations, denormals kept: the same bits as the host twins.
OPTIONS = ("--fmad=false", "-ftz=false", "--prec-div=true", "--prec-sqrt=true")

_BLOCK = 256
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_SUFFIX = {_F32: "f32", _F64: "f64"}


def nvrtc_target(cc, supported):
    """(-arch option, cubin?) for compute capability cc: SASS when NVRTC knows it, else PTX for the driver."""
    if not supported or cc in supported:
        return f"-arch=sm_{cc}", True
    older = [a for a in supported if a <= cc]
    if not older:
        raise RuntimeError(f"NVRTC supports compute capabilities {sorted(supported)}, none at or below {cc}")
    return f"-arch=compute_{max(older)}", False


def supported_archs():
    """Compute capabilities this NVRTC emits SASS for (empty when it cannot say)."""
    nvrtc = cp.cuda.nvrtc
    return tuple(nvrtc.getSupportedArchs()) if hasattr(nvrtc, "getSupportedArchs") else ()


def build_options(cc, supported):
    """(NVRTC options, cubin?) for cc; ptxas reports registers and spills into the log of a cubin build."""
    arch, cubin = nvrtc_target(cc, supported)
    return OPTIONS + ((arch, "--ptxas-options=-v") if cubin else (arch,)), cubin


def cache_key(src, options, version):
    # The whole source text is hashed (files are concatenated, never #included), so any edit recompiles.
    return hashlib.sha256(repr((src, options, version)).encode()).hexdigest()


def build(src, cc, name="xptorch.cu"):
    """Compile src for compute capability cc, bypassing the cache: (binary, NVRTC log, options, cache key)."""
    nvrtc = cp.cuda.nvrtc
    options, cubin = build_options(cc, supported_archs())
    key = cache_key(src, options, nvrtc.getVersion())
    prog = nvrtc.createProgram(src, name, (), ())
    try:
        try:
            nvrtc.compileProgram(prog, options)
        except nvrtc.NVRTCError as exc:
            raise RuntimeError(f"NVRTC failed to compile {name} with {options}:\n{nvrtc.getProgramLog(prog)}") from exc
        binary = nvrtc.getCUBIN(prog) if cubin else nvrtc.getPTX(prog)
        log = nvrtc.getProgramLog(prog)
    finally:
        nvrtc.destroyProgram(prog)
    return binary, log, options, key


def compile_program(src, cc, name="xptorch.cu"):
    """Compile src for compute capability cc (an int such as 90); returns the cubin or PTX bytes, cached on disk."""
    nvrtc = cp.cuda.nvrtc
    options, _ = build_options(cc, supported_archs())
    key = cache_key(src, options, nvrtc.getVersion())
    cached = _cache_read(key)
    if cached is not None:
        return cached
    binary, _, _, key = build(src, cc, name)
    _cache_write(key, binary)
    return binary


def _cache_dir():
    if os.environ.get("CUPY_CACHE_IN_MEMORY", "0") not in ("", "0"):
        return None
    base = os.environ.get("CUPY_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cupy", "kernel_cache")
    return os.path.join(base, "xptorch")


def _cache_read(key):
    d = _cache_dir()
    if d is None:
        return None
    try:
        with open(os.path.join(d, key + ".bin"), "rb") as f:
            return f.read()
    except OSError:
        return None


def _cache_write(key, binary):
    d = _cache_dir()
    if d is None:
        return
    try:
        os.makedirs(d, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d)
        with os.fdopen(fd, "wb") as f:
            f.write(binary)
        # Atomic: a concurrent reader sees the whole binary or none.
        os.replace(tmp, os.path.join(d, key + ".bin"))
    except OSError:
        pass


class Program:
    """kernels/*.cu files compiled together; loaded once per device on the first launch there."""

    def __init__(self, *files):
        self.files = files
        self._modules = {}
        self._lock = threading.Lock()

    def source(self):
        return kernel_source.source(*self.files)

    def binary(self, cc):
        """The cubin (or PTX) for compute capability cc, as it is loaded at run time."""
        return compile_program(self.source(), cc, self.files[-1])

    def function(self, name, dev):
        # Keyed by the module serving 'cuda' too: a stand-in switched on beside a real GPU gets its own.
        key = (dev, _backend._simulated)
        mod = self._modules.get(key)
        if mod is None:
            with self._lock:
                mod = self._modules.get(key)
                if mod is None:
                    mod = self._modules[key] = self._load(dev)
        return mod.get_function(name)

    def _load(self, dev):
        function = cp.cuda.function
        d = cp.cuda.Device(dev)
        binary = self.binary(int(d.compute_capability))
        with d:
            mod = function.Module()
            mod.load(binary)
        return mod


class LazyKernel:
    """One extern "C" kernel per dtype (pattern filled with f32/f64), looked up once per (dtype, device)."""

    def __init__(self, program, pattern):
        self.program = program
        self.pattern = pattern
        self._memo = {}

    def __call__(self, dtype, dev, grid, block, args):
        key = (dtype, dev, _backend._simulated)
        fn = self._memo.get(key)
        if fn is None:
            fn = self._memo[key] = self.program.function(self.pattern.format(_SUFFIX.get(dtype, "")), dev)
        fn(grid, block, args)


ELEMENTWISE = Program("prelude.cu", "relu.cu", "linear_epilogue.cu")
PHILOX = Program("philox.cu")

RELU = LazyKernel(ELEMENTWISE, "xpt_relu_fwd_{}")
RELU_VEC = LazyKernel(ELEMENTWISE, "xpt_relu_fwd_{}_vec")
RELU_BWD = LazyKernel(ELEMENTWISE, "xpt_relu_bwd_{}")
RELU_BWD_VEC = LazyKernel(ELEMENTWISE, "xpt_relu_bwd_{}_vec")
BIAS_ACT = LazyKernel(ELEMENTWISE, "xpt_bias_act_{}")
BIAS_ACT_VEC = LazyKernel(ELEMENTWISE, "xpt_bias_act_{}_vec")

UNIFORM = LazyKernel(PHILOX, "xpt_uniform_{}")
MASKED_UNIFORM = LazyKernel(PHILOX, "xpt_masked_uniform_{}")
NORMAL = LazyKernel(PHILOX, "xpt_normal_{}")
BERNOULLI = LazyKernel(PHILOX, "xpt_bernoulli_f32")
RANDOM_RAW = LazyKernel(PHILOX, "xpt_random_raw")

_sm_counts = {}


def _blocks(work, dev):
    """Blocks of _BLOCK threads for work items of a grid-stride kernel: at most one resident wave."""
    sms = _sm_counts.get(dev)
    if sms is None:
        sms = _sm_counts[dev] = cp.cuda.runtime.getDeviceProperties(dev)["multiProcessorCount"]
    return max(1, min(-(-work // _BLOCK), sms * (2048 // _BLOCK)))


def _aligned(*arrays):
    return all(a.data.ptr % 16 == 0 for a in arrays)


def _elementwise(scalar, vec, arrays, n):
    """Launch a 1-D relu.cu kernel over equally laid out contiguous arrays; _vec when all are 16-byte aligned."""
    if n == 0:
        return
    a = arrays[0]
    dev = a.device.id
    kernel, work = scalar, n
    if _aligned(*arrays):
        kernel, work = vec, -(-n // (16 // a.dtype.itemsize))
    kernel(a.dtype, dev, (_blocks(work, dev),), (_BLOCK,), (*arrays, np.int64(n)))


def _dense(a):
    return a if a.flags.c_contiguous or a.flags.f_contiguous else cp.ascontiguousarray(a)


def relu_forward(x):
    with x.device:
        x = _dense(x)
        # empty_like keeps x's order, so the kernel can walk both in memory order.
        y = cp.empty_like(x)
        _elementwise(RELU, RELU_VEC, (x, y), x.size)
        return y


def relu_inplace(y):
    with y.device:
        d = _dense(y)
        _elementwise(RELU, RELU_VEC, (d, d), d.size)
        if d is not y:
            y[...] = d
        return y


def relu_backward(g, out):
    with out.device:
        if g.shape != out.shape:
            g = cp.broadcast_to(g, out.shape)
        same_order = (g.flags.c_contiguous and out.flags.c_contiguous) or (g.flags.f_contiguous and out.flags.f_contiguous)
        if not same_order:
            g, out = cp.ascontiguousarray(g), cp.ascontiguousarray(out)
        gx = cp.empty_like(out)
        _elementwise(RELU_BWD, RELU_BWD_VEC, (g, out, gx), out.size)
        return gx


def linear_forward(x, w, b, relu):
    """cuBLAS GEMM into a fresh C-contiguous y, then one in-place pass for bias and ReLU."""
    with x.device:
        k, n_out = x.shape[-1], w.shape[0]
        rows = math.prod(x.shape[:-1])
        y = cp.empty((rows, n_out), x.dtype)
        if k == 0:
            y.fill(0)
        elif y.size:
            if capture_blas.active:
                capture_blas.gemm_into(x.reshape(rows, k), w.T, y)
            else:
                cp.matmul(x.reshape(rows, k), w.T, out=y)
        if b is not None:
            bias_act(y, b, relu)
        elif relu:
            _elementwise(RELU, RELU_VEC, (y, y), y.size)
        return y.reshape(x.shape[:-1] + (n_out,))


def bias_act(y, b, relu):
    """y += b over rows, then ReLU when relu: y C-contiguous 2-D, b 1-D with y.shape[1] entries."""
    rows, cols = y.shape
    if y.size == 0:
        return
    b = cp.ascontiguousarray(b)
    lanes = 16 // y.dtype.itemsize
    kernel, work = BIAS_ACT, cols
    if cols % lanes == 0 and _aligned(y, b):
        kernel, work = BIAS_ACT_VEC, cols // lanes
    bx = min(_BLOCK, 1 << (work - 1).bit_length())
    by = _BLOCK // bx
    grid = (-(-work // bx), min(-(-rows // by), 65535))
    kernel(y.dtype, y.device.id, grid, (bx, by), (y, b, np.int64(rows), np.int64(cols), np.int32(bool(relu))))


def random_fill(d, kind, args, gen):
    """Fill d from gen's stream with philox.cu; False when the host stream must do it (no kernel, or an error to raise)."""
    dtype = d.dtype
    if dtype not in _SUFFIX:
        return False
    if kind == "uniform":
        # Same validation, errors and rounded bounds as the host stream.
        lo, hi, _, _ = _random._uniform_params(args[0], args[1], dtype)
        kernel, scalars, out_dtype, per_block = UNIFORM, (lo, hi), dtype, 8 if dtype == _F32 else 4
    elif kind == "masked_uniform":
        a, threshold = args
        _random._uniform_params(-float(a), a, dtype)
        kernel, out_dtype, per_block = MASKED_UNIFORM, dtype, 8 if dtype == _F32 else 4
        scalars = (dtype.type(a), dtype.type(threshold))
    elif kind == "normal":
        mean, std = float(args[0]), float(args[1])
        if not std >= 0.0:
            return False
        if dtype == _F32:
            kernel, scalars, out_dtype, per_block = NORMAL, (np.float32(mean), np.float32(std)), dtype, 8
        else:
            kernel, scalars, out_dtype, per_block = NORMAL, (np.float64(mean), np.float64(std)), dtype, 4
    elif kind == "bernoulli":
        p = args[0]
        if not isinstance(p, (int, float, np.integer, np.floating)) or not 0.0 <= float(p) <= 1.0:
            return False
        kernel, scalars, out_dtype, per_block = BERNOULLI, (np.float32(np.float64(p)),), _F32, 8
    else:
        return False
    n = d.size
    key0, key1, ctr0 = gen._reserve(_random.stream_words(kind, n, dtype))
    if n == 0:
        return True
    with d.device:
        dev = d.device.id
        direct = d.flags.c_contiguous and out_dtype == dtype
        # Element i of the stream is element i of the C-order flattening, whatever d's layout.
        out = d if direct else cp.empty(d.shape, out_dtype)
        head = (out, np.int64(n), np.uint64(key0), np.uint64(key1), np.uint64(ctr0))
        kernel(out_dtype, dev, (_blocks(-(-n // per_block), dev),), (_BLOCK,), head + scalars)
        if not direct:
            d[...] = out
    return True


def random_raw(n, key0, key1, ctr0):
    """n raw uint64 words of the stream at (key0, key1, ctr0), for checking the GPU Philox itself."""
    out = cp.empty(n, np.uint64)
    if n:
        dev = out.device.id
        RANDOM_RAW(out.dtype, dev, (_blocks(-(-n // 4), dev),), (_BLOCK,),
                   (out, np.int64(n), np.uint64(key0), np.uint64(key1), np.uint64(ctr0)))
    return out


_PTXAS_FUNCTION = re.compile(r"Function properties for (\w+)\s*\n"
                             r"ptxas\s+\.\s+(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads"
                             r"(?:\s*\nptxas info\s+: Used (\d+) registers)?")


def resource_usage(log):
    """{function: (registers, stack bytes, spill-store bytes, spill-load bytes)} from a cubin build's ptxas log;
    registers is None for device functions that ptxas reports without a count."""
    return {m[1]: (None if m[5] is None else int(m[5]), int(m[2]), int(m[3]), int(m[4]))
            for m in _PTXAS_FUNCTION.finditer(log)}
