"""Counter-based random numbers: one Philox4x64-10 stream shared bit-for-bit by CPU and GPU.

Stream definition (kernels/philox.cu implements exactly the same):

* Key: ``(seed, 0)`` where ``seed`` is the generator's seed as an unsigned 64-bit integer.
* Block counter: a Generator keeps a 64-bit block index ``B`` (0 after seeding).  A fill that
  needs ``w`` uint64 words reserves ``ceil(w / 4)`` whole blocks: it gets ``ctr0 = B`` and
  ``B`` becomes ``(B + ceil(w / 4)) mod 2**64``.
* Block ``j`` of a fill is Philox4x64-10 applied to the 256-bit counter ``ctr0 + j`` stored as
  little-endian 64-bit words ``((ctr0 + j) mod 2**64, carry, 0, 0)`` with the key above; it
  yields 4 uint64 words.  Word ``k`` of the fill is word ``k % 4`` of block ``k // 4``.
  (numpy's Philox increments its counter before generating, so it is given ``ctr0 - 1``.)
* Unit uniforms, as numpy's ``Generator.random``:
  float32 element ``i`` takes the 32-bit half ``i % 2`` (low half first) of word ``i // 2``,
  ``u = (h >> 8) * 2**-24``; float64 element ``i`` takes word ``i``, ``u = (w >> 11) * 2**-53``.
* ``uniform(low, high)`` in dtype T, every operation rounded to T, no fused multiply-add:
  ``lo = T(low)``, ``hi = T(high)``, ``span = T(float64(hi) - float64(lo))``,
  ``x = u * span + lo``, then ``x = lo`` where ``x >= hi`` (rounding can reach ``hi``; this
  is the remap torch's CUDA backend uses).  Words: ``ceil(n / 2)`` (float32), ``n`` (float64).
* ``masked_uniform(a, threshold)``: ``uniform(-a, a)`` then ``x = x * (|x| >= T(threshold))``
  with the comparison as 1.0/0.0, so dropped negatives become ``-0.0`` exactly as torch's
  ``w *= w.abs() >= t``.  Words as ``uniform``.
* ``normal(mean, std)``, float32: Box-Muller in float32, every operation rounded to float32, no
  fused multiply-add.  Output pair ``p`` (elements ``2p``, ``2p + 1``) uses the float32 unit
  uniforms of word ``p``: ``u1`` from its low half, ``u2`` from its high half (float32 uniform
  elements ``2p`` and ``2p + 1``); ``r = sqrt(-2 * log(1 - u1))`` (argument in [2**-24, 1]),
  ``t = u2 * float32(2 pi)``, ``z0 = r * cos(t)``, ``z1 = r * sin(t)``,
  ``x = z * float32(std) + float32(mean)`` (the mean added only when nonzero, so a zero mean
  keeps the sign of a zero).  Words: ``ceil(n / 2)``.  Only log/sin/cos differ
  between libraries (NumPy's SIMD float32 functions, glibc's and CUDA's libm): CPU and CUDA
  agree within ``NORMAL_F32_ULP`` ulp of ``z * std`` before the mean is added.
* ``normal(mean, std)``, float64: Box-Muller in float64.  Output pair ``p`` uses float64 uniforms
  ``u1`` from word ``2p`` and ``u2`` from word ``2p + 1``: ``r = sqrt(-2.0 * log(1.0 - u1))``
  (argument in (0, 1]), ``t = u2 * 6.283185307179586``, ``z0 = r * cos(t)``, ``z1 = r * sin(t)``,
  ``x = z * std + mean``.  Words: ``2 * ceil(n / 2)``.  Only log/sin/cos may differ between
  libraries: CPU and CUDA agree within ``NORMAL_F64_ULP`` ulp of ``z * std`` (4 seen on an H200
  with CuPy 14; CUDA's double log, sin and cos are each within 1-2 ulp).
* ``randint(low, high)``: word ``i`` gives ``low + mulhi64(w, high - low)`` (high 64 bits of the
  128-bit product), bias at most ``(high - low) / 2**64``.  Words: ``n``.
* ``bernoulli(p)``: float32 ``uniform(0, 1)`` ``u`` then ``1`` where ``u < float32(p)``.
  Words as float32 ``uniform``.
* ``permutation(n)``: word ``i`` with its low ``b = max(1, bit_length(n - 1))`` bits replaced by
  ``i``; the keys are sorted ascending and their low ``b`` bits are the permutation.  Words: ``n``.
"""
import contextvars
import math
import operator
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = [
    "Generator",
    "default_generator",
    "default_generator_for",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
    "stream_words",
]

DEFAULT_SEED = 67280421310721
_M64 = (1 << 64) - 1
_M256 = (1 << 256) - 1
_WORDS_PER_BLOCK = 4
_STATE_BYTES = 16
TWO_PI = 6.283185307179586
TWO_PI_F32 = np.float32(TWO_PI)
# Largest distance, in ulp of z * std, between CPU and CUDA float32 normals (documented above).
NORMAL_F32_ULP = 8
NORMAL_F64_ULP = 6

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_U01_MAX = {_F32: np.float32(1.0 - 2.0**-24), _F64: np.float64(1.0 - 2.0**-53)}

# Sub-chunk length in elements: small enough to stay in L2, a multiple of every block width.
_SUB = 1 << 15


def stream_words(kind, n, dtype=np.float32):
    """Number of uint64 words a fill of ``n`` elements consumes; pass it to ``Generator._reserve``."""
    n = operator.index(n)
    dtype = np.dtype(dtype)
    if kind in ("uniform", "masked_uniform", "bernoulli"):
        if kind == "bernoulli" or dtype == _F32:
            return (n + 1) // 2
        return n
    if kind == "normal":
        return (n + 1) // 2 if dtype == _F32 else 2 * ((n + 1) // 2)
    if kind in ("randint", "permutation", "raw"):
        return n
    raise ValueError(f"unknown fill kind {kind!r}")


def _check_seed(seed):
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = operator.index(seed)
    if not -(1 << 63) <= seed <= _M64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _M64


def _fresh_seed():
    return int.from_bytes(os.urandom(8), "little")


def _as_shape(shape):
    if isinstance(shape, (tuple, list)):
        shape = tuple(map(operator.index, shape))
    else:
        shape = (operator.index(shape),)
    for s in shape:
        if s < 0:
            raise ValueError(f"negative dimension in shape {shape}")
    return shape


def _float_dtype(dtype, what):
    dtype = np.dtype(dtype)
    if dtype not in (_F32, _F64):
        raise TypeError(f"{what} supports float32 and float64, got {dtype}")
    return dtype


# Set by func.vmap while it runs: called with the generator before each draw ('error' refuses the draw,
# 'same' notes where the generator stood so that every batch element draws the same numbers).
_vmap_randomness = contextvars.ContextVar("xptorch_vmap_randomness", default=None)


def _tensor_class():
    """xptorch.Tensor, or None when this module was loaded on its own (the generator's own tests)."""
    try:
        from ._tensor import Tensor
    except ImportError:
        return None
    return Tensor


class Generator:
    """A seeded Philox4x64-10 stream; fills reserve whole blocks so every device consumes it alike."""

    def __init__(self, device="cpu"):
        self._device = device
        self._lock = threading.Lock()
        self._seed = DEFAULT_SEED
        self._block = 0

    @property
    def device(self):
        return self._device

    def __getstate__(self):
        return {"device": self._device, "seed": self._seed, "block": self._block}

    def __setstate__(self, state):
        self.__init__(state["device"])
        self._seed, self._block = state["seed"], state["block"]

    def __repr__(self):
        return f"<xptorch Generator device={self._device!s} seed={self._seed} block={self._block}>"

    def manual_seed(self, seed):
        seed = _check_seed(seed)
        with self._lock:
            self._seed = seed
            self._block = 0
        return self

    def seed(self):
        s = _fresh_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 CPU tensor (seed and position), for set_state."""
        with self._lock:
            words = np.array([self._seed, self._block], dtype="<u8")
        arr = words.view(np.uint8).copy()
        Tensor = _tensor_class()
        return arr if Tensor is None else Tensor._from_array(arr)

    def set_state(self, state):
        """Restore a state from get_state(): a uint8 tensor, as PyTorch requires."""
        Tensor = _tensor_class()
        if Tensor is not None:
            if not isinstance(state, Tensor):
                raise TypeError(f"expected a torch.ByteTensor, but got {type(state).__module__}.{type(state).__name__}")
            state = state.detach().cpu().numpy()
            if state.dtype != np.uint8:
                raise TypeError("RNG state must be a torch.ByteTensor")
        arr = np.asarray(state)
        if arr.dtype != np.uint8:
            raise TypeError(f"RNG state must be a uint8 array, got dtype {arr.dtype}")
        if arr.size != _STATE_BYTES:
            raise RuntimeError(
                f"Expected an RNG state of size {_STATE_BYTES} but found the input RNG state size to be {arr.size}"
            )
        seed, block = (int(v) for v in np.ascontiguousarray(arr).reshape(-1).view("<u8"))
        with self._lock:
            self._seed = seed
            self._block = block
        return self

    def _reserve(self, n_uint64):
        """Reserve ``ceil(n_uint64 / 4)`` blocks; returns ``(key0, key1, ctr0)`` for this fill."""
        watch = _vmap_randomness.get()
        if watch is not None:
            watch(self)
        n = operator.index(n_uint64)
        if n < 0:
            raise ValueError(f"cannot reserve {n} words")
        blocks = -(-n // _WORDS_PER_BLOCK)
        with self._lock:
            ctr0 = self._block
            self._block = (ctr0 + blocks) & _M64
            key0 = self._seed
        return key0, 0, ctr0

    def uniform(self, shape, low=0.0, high=1.0, dtype=np.float32, out=None):
        """out, when given, is a C-contiguous array of shape and dtype filled in place."""
        dtype = _float_dtype(dtype, "uniform")
        shape = _as_shape(shape)
        lo, hi, span, remap = _uniform_params(low, high, dtype)
        out = np.empty(math.prod(shape), dtype) if out is None else out.reshape(-1)
        key = self._reserve(stream_words("uniform", out.size, dtype))
        fill = lambda g, x: _uniform_chunk(g, x, lo, span, hi, remap)
        _fill(out, _elems_per_block(dtype), key, fill)
        return out.reshape(shape)

    def masked_uniform(self, shape, a=10.0, threshold=5.0, dtype=np.float32):
        dtype = _float_dtype(dtype, "masked_uniform")
        shape = _as_shape(shape)
        lo, hi, span, remap = _uniform_params(-float(a), a, dtype)
        t = dtype.type(threshold)
        out = np.empty(math.prod(shape), dtype)
        key = self._reserve(stream_words("masked_uniform", out.size, dtype))

        def fill(g, x):
            _uniform_chunk(g, x, lo, span, hi, remap)
            x *= np.abs(x) >= t

        _fill(out, _elems_per_block(dtype), key, fill)
        return out.reshape(shape)

    def normal(self, shape, mean=0.0, std=1.0, dtype=np.float32, out=None):
        dtype = _float_dtype(dtype, "normal")
        shape = _as_shape(shape)
        mean, std = float(mean), float(std)
        if not std >= 0.0:
            raise ValueError(f"normal expects std >= 0.0, but found std {std}")
        out = np.empty(math.prod(shape), dtype) if out is None else out.reshape(-1)
        key = self._reserve(stream_words("normal", out.size, dtype))
        if dtype == _F32:
            m32, s32 = np.float32(mean), np.float32(std)
            # Four words per block, one word per pair of outputs.
            _fill(out, 8, key, lambda g, x: _normal_f32_chunk(g, x, m32, s32))
        else:
            # Four words per block, one word per output.
            _fill(out, 4, key, lambda g, x: _normal_chunk(g, x, mean, std))
        return out.reshape(shape)

    def randint(self, shape, low, high):
        low, high = operator.index(low), operator.index(high)
        if not low < high:
            raise ValueError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        if low < -(1 << 63) or high > (1 << 63):
            raise ValueError(f"randint bounds [{low}, {high}) exceed int64")
        shape = _as_shape(shape)
        out = np.empty(math.prod(shape), np.int64)
        key = self._reserve(stream_words("randint", out.size))
        span, base = high - low, np.uint64(low & _M64)
        fill = lambda g, x: _randint_chunk(g, x, span, base)
        _fill(out, 4, key, fill)
        return out.reshape(shape)

    def permutation(self, n):
        n = operator.index(n)
        if n < 0:
            raise ValueError(f"permutation expects n >= 0, but got {n}")
        key0, key1, ctr0 = self._reserve(stream_words("permutation", n))
        words = _positioned(key0, key1, ctr0).bit_generator.random_raw(n)
        # Index bits in place of the low bits make every key unique, so any sort gives one order.
        bits = max(1, (n - 1).bit_length())
        low = np.uint64((1 << bits) - 1)
        words &= ~low
        words |= np.arange(n, dtype=np.uint64)
        words.sort()
        words &= low
        return words.view(np.int64)

    def bernoulli(self, shape, p, dtype=np.float32):
        """1 where a float32 unit uniform ``u < float32(p)``, else 0 (dropout keeps with ``p`` = keep prob)."""
        dtype = np.dtype(dtype)
        shape = _as_shape(shape)
        n = math.prod(shape)
        p_arr = np.asarray(p, dtype=np.float64)
        if p_arr.size and not (np.all(p_arr >= 0.0) and np.all(p_arr <= 1.0)):
            raise ValueError(f"bernoulli expects p to be in [0, 1], but got p={p}")
        if p_arr.ndim == 0:
            p32 = np.float32(p_arr)
            out = np.empty(n, dtype)
            key = self._reserve(stream_words("bernoulli", n))
            fill = lambda g, x: np.less(g.random(dtype=np.float32, out=np.empty(x.size, np.float32)), p32, out=x)
            _fill(out, 8, key, fill)
            return out.reshape(shape)
        p32 = np.broadcast_to(p_arr.astype(np.float32), shape)
        return (self.uniform(shape) < p32).astype(dtype)


def _elems_per_block(dtype):
    return 8 if dtype == _F32 else 4


_uniform_cache = {}


def _uniform_params(low, high, dtype):
    """``(lo, hi, span, remap)`` in ``dtype`` for ``uniform(low, high)``, memoised per bounds."""
    low, high = float(low), float(high)
    # The signs separate -0.0 from 0.0, which compare and hash equal.
    key = (low, high, math.copysign(1.0, low), math.copysign(1.0, high), dtype)
    hit = _uniform_cache.get(key)
    if hit is not None:
        return hit
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"uniform_ expects finite bounds, but found from={low} to={high}")
    if low > high:
        raise ValueError(f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}")
    with np.errstate(over="ignore"):
        lo, hi = dtype.type(low), dtype.type(high)
        span = dtype.type(float(hi) - float(lo))
    if not np.isfinite(span):
        raise ValueError(f"uniform_ expects to-from <= {np.finfo(dtype).max}, but found to={high} and from={low}")
    # Rounding is monotone, so the largest unit uniform bounds every result.
    remap = bool(_U01_MAX[dtype] * span + lo >= hi)
    if len(_uniform_cache) > 256:
        _uniform_cache.clear()
    hit = _uniform_cache[key] = (lo, hi, span, remap)
    return hit


_TWO_M24 = np.float32(2.0**-24)
_TWO_M53 = np.float64(2.0**-53)


def _u01(gen, x):
    """x filled with the stream's unit uniforms of x's dtype (numpy's Generator.random, in bulk).

    Raw words first, then vector shifts and scales: the same values as Generator.random, without
    its call per element.
    """
    n = x.size
    if x.dtype == _F32:
        h = gen.bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]
        np.right_shift(h, np.uint32(8), out=h)
        np.multiply(h, _TWO_M24, out=x, dtype=np.float32, casting="unsafe")
    else:
        w = gen.bit_generator.random_raw(n)
        np.right_shift(w, np.uint64(11), out=w)
        np.multiply(w, _TWO_M53, out=x, dtype=np.float64, casting="unsafe")
    return x


def _uniform_chunk(gen, x, lo, span, hi, remap):
    n = x.size
    # (h * 2**-k) * span == h * (span * 2**-k) exactly (a power-of-two scale), so the unit uniform
    # and the span take one rounded multiply, as the definition's u * span does.
    if x.dtype == _F32:
        h = gen.bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]
        np.right_shift(h, np.uint32(8), out=h)
        scale = span * _TWO_M24
    else:
        h = gen.bit_generator.random_raw(n)
        np.right_shift(h, np.uint64(11), out=h)
        scale = span * _TWO_M53
    # The shifted words fit the signed type, whose conversion to float is one vector instruction
    # (exact: fewer bits than the mantissa); the unsigned one is not.
    np.copyto(x, h.view(np.int32 if x.dtype == _F32 else np.int64), casting="unsafe")
    if span == 0 or abs(scale) >= np.finfo(x.dtype).tiny:
        x *= scale
    else:  # span so small that the scaled factor is subnormal: scale in two steps
        x *= _TWO_M24 if x.dtype == _F32 else _TWO_M53
        x *= span
    if lo != 0:
        x += lo
    if remap:
        np.putmask(x, x >= hi, lo)


def _normal_chunk(gen, x, mean, std):
    pairs = (x.size + 1) // 2
    u = gen.random(2 * pairs)
    r = np.subtract(1.0, u[0::2])
    np.log(r, out=r)
    r *= -2.0
    np.sqrt(r, out=r)
    t = u[1::2] * TWO_PI
    z = np.empty(2 * pairs)
    np.multiply(r, np.cos(t), out=z[0::2])
    np.multiply(r, np.sin(t, out=t), out=z[1::2])
    z *= std
    z += mean
    x[...] = z[: x.size]


_U64_40 = np.uint64(40)
_U32_8 = np.uint32(8)
_TWO_24 = np.uint32(1 << 24)
# u2 * 2pi == h * (2**-24 * 2pi) exactly: a power-of-two scale, so one rounded multiply as defined.
_TWO_PI_M24 = np.float32(TWO_PI_F32 * _TWO_M24)


def _normal_f32_chunk(gen, x, mean, std):
    pairs = (x.size + 1) // 2
    w = gen.bit_generator.random_raw(pairs)
    # Contiguous operands throughout: NumPy's SIMD float32 log/sin/cos leave their vector paths on
    # strided ones, and casts from int32 (every value < 2**24) are one vector instruction.
    lo = w.astype(np.uint32)  # low halves
    np.right_shift(w, _U64_40, out=w)
    hi = w.astype(np.uint32)  # high halves >> 8
    # u1 = (low >> 8) * 2**-24, so 1 - u1 = (2**24 - (low >> 8)) * 2**-24 exactly.
    np.right_shift(lo, _U32_8, out=lo)
    np.subtract(_TWO_24, lo, out=lo)
    r = lo.view(np.int32).astype(np.float32)
    r *= _TWO_M24
    t = hi.view(np.int32).astype(np.float32)
    t *= _TWO_PI_M24
    np.log(r, out=r)
    r *= np.float32(-2.0)
    np.sqrt(r, out=r)
    c = np.cos(t)
    np.sin(t, out=t)
    direct = x.size % 2 == 0
    z = x.reshape(-1, 2) if direct else np.empty((pairs, 2), np.float32)
    np.multiply(r, c, out=z[:, 0])
    np.multiply(r, t, out=z[:, 1])
    if std != 1:
        z *= std
    if mean != 0:
        z += mean
    if not direct:
        x[...] = z.reshape(-1)[: x.size]


def _mulhi64(w, span):
    m32 = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    wl, wh = w & m32, w >> s32
    if span < (1 << 32):
        s = np.uint64(span)
        # wh*s <= 2**64 - 2**33 + 1 and the carry term < 2**32, so nothing overflows.
        return (wh * s + ((wl * s) >> s32)) >> s32
    sl, sh = np.uint64(span & 0xFFFFFFFF), np.uint64(span >> 32)
    lh, hl = wl * sh, wh * sl
    mid = ((wl * sl) >> s32) + (lh & m32) + (hl & m32)
    return wh * sh + (lh >> s32) + (hl >> s32) + (mid >> s32)


def _randint_chunk(gen, x, span, base):
    w = gen.bit_generator.random_raw(x.size)
    v = w if span == (1 << 64) else _mulhi64(w, span)
    v += base
    x[...] = v.view(np.int64)


_tls = threading.local()


def _positioned(key0, key1, block):
    """This thread's numpy Generator whose next Philox block is the 256-bit counter ``block``."""
    gen = getattr(_tls, "gen", None)
    if gen is None:
        gen = _tls.gen = np.random.Generator(np.random.Philox(key=0))
    if 0 < block <= _M64:
        counter = (block - 1, 0, 0, 0)
    else:
        c = (block - 1) & _M256
        counter = (c & _M64, (c >> 64) & _M64, (c >> 128) & _M64, c >> 192)
    # The Philox state setter indexes plain tuples, which is cheaper than building arrays.
    gen.bit_generator.state = {
        "bit_generator": "Philox",
        "state": {"counter": counter, "key": (key0, key1)},
        "buffer": (0, 0, 0, 0),
        "buffer_pos": 4,
        "has_uint32": 0,
        "uinteger": 0,
    }
    return gen


_pool = None
_pool_lock = threading.Lock()


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_N_WORKERS = max(1, min(_cpu_count(), 16))


def _get_pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, _N_WORKERS - 1), thread_name_prefix="xptorch-rng")
        return _pool


def set_fill_threads(n):
    """Use n threads (the caller's included) for large fills; the next fill builds a pool that size."""
    global _N_WORKERS, _pool
    with _pool_lock:
        _N_WORKERS = max(1, min(int(n), 64))
        old, _pool = _pool, None
    if old is not None:
        old.shutdown(wait=False)


def _forget_pool():
    global _pool, _pool_lock
    # Pool threads do not survive fork; the child builds its own.
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _fill_blocks(out, epb, key, b0, b1, fill):
    key0, key1, ctr0 = key
    gen = _positioned(key0, key1, ctr0 + b0)
    stop = min(b1 * epb, out.size)
    for a in range(b0 * epb, stop, _SUB):
        fill(gen, out[a : min(a + _SUB, stop)])


def _fill(out, epb, key, fill):
    """Run ``fill(gen, chunk)`` over ``out`` in block-aligned chunks, split across threads when large."""
    n = out.size
    if n == 0:
        return
    if n <= _SUB:
        fill(_positioned(*key), out)
        return
    nblocks = -(-n // epb)
    # Each thread gets at least a whole sub-chunk; below that a hand-off costs more than it saves.
    parts = min(_N_WORKERS, n // _SUB)
    if parts <= 1:
        _fill_blocks(out, epb, key, 0, nblocks, fill)
        return
    per = -(-nblocks // parts)
    pool = _get_pool()
    futures = [pool.submit(_fill_blocks, out, epb, key, b, min(b + per, nblocks), fill) for b in range(per, nblocks, per)]
    try:
        _fill_blocks(out, epb, key, 0, per, fill)
    finally:
        for f in futures:
            f.result()


default_generator = Generator("cpu")
_device_generators = {}
_registry_lock = threading.Lock()
_global_seed = DEFAULT_SEED


def _device_key(device):
    s = str(device)
    return "cuda:0" if s == "cuda" else s


def default_generator_for(device="cpu"):
    """The default generator of ``device``; non-CPU ones are made lazily with the last global seed."""
    key = _device_key(device)
    if key == "cpu":
        return default_generator
    with _registry_lock:
        gen = _device_generators.get(key)
        if gen is None:
            gen = Generator(key).manual_seed(_global_seed)
            _device_generators[key] = gen
        return gen


def _seed_all(s):
    global _global_seed
    with _registry_lock:
        _global_seed = s
        gens = list(_device_generators.values())
    for gen in gens:
        gen.manual_seed(s)


def manual_seed(seed):
    """Seed every default generator (CPU and CUDA); returns the CPU generator."""
    seed = _check_seed(int(seed))
    _seed_all(seed)
    return default_generator.manual_seed(seed)


def seed():
    """Seed every default generator from a fresh random number; returns that seed."""
    s = default_generator.seed()
    _seed_all(s)
    return s


def initial_seed():
    """The seed the default CPU generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default CPU generator's state, as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(state):
    """Restore the default CPU generator's state from get_rng_state()."""
    default_generator.set_state(state)
