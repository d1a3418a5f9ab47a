"""Philox stream: known answers, CPU/kernel bit-identity through a gcc build of the kernel, statistics."""
import ctypes
import importlib.util
import math
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
KERNEL = ROOT / "kernels" / "philox.cu"


def _load_random_module():
    # By path, so a half-built xptorch/__init__.py cannot break these tests.
    spec = importlib.util.spec_from_file_location("_xpt_random_under_test", ROOT / "src" / "xptorch" / "_random.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


R = _load_random_module()
M64 = (1 << 64) - 1

SEEDS = [0, 1, 123456789, M64, 67280421310721]
SIZES = [1, 2, 3, 7, 8, 9, 1000, 100003, (1 << 17) + 3]

# Random123 kat_vectors, Philox4x64-10: (counter, key, output).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x16554D9ECA36314C, 0xDB20FE9D672D0FDC, 0xD7E772CEE186176B, 0x7E68B68AEC7BA23B)),
    ((M64, M64, M64, M64), (M64, M64), (0x87B092C3013FE90B, 0x438C3C67BE8D0224, 0x9CC7D7C69CD777B6, 0xA09CAEBF594F0BA0)),
    (
        (0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89),
        (0x452821E638D01377, 0xBE5466CF34E90C6C),
        (0xA528F45403E61D95, 0x38C72DBD566E9788, 0xA5A1610E72FD18B5, 0x57BD43B5E52B7FE6),
    ),
]


def _words(value):
    return [(value >> (64 * i)) & M64 for i in range(4)]


def _numpy_block(counter_words, key):
    """One Philox block from numpy for the given 256-bit counter (numpy increments before generating)."""
    counter = sum(w << (64 * i) for i, w in enumerate(counter_words))
    prior = np.array(_words((counter - 1) % (1 << 256)), dtype=np.uint64)
    bitgen = np.random.Philox(key=np.array(key, dtype=np.uint64), counter=prior)
    return [int(w) for w in bitgen.random_raw(4)]


class Kernels:
    """ctypes front end for the gcc build of kernels/philox.cu."""

    _F, _D, _LL, _U = ctypes.c_float, ctypes.c_double, ctypes.c_longlong, ctypes.c_ulonglong
    _STREAM = [ctypes.c_void_p, _LL, _U, _U, _U]
    SIGNATURES = {
        "xpt_random_raw": (np.uint64, []),
        "xpt_uniform_f32": (np.float32, [_F, _F]),
        "xpt_uniform_f64": (np.float64, [_D, _D]),
        "xpt_masked_uniform_f32": (np.float32, [_F, _F]),
        "xpt_masked_uniform_f64": (np.float64, [_D, _D]),
        "xpt_normal_f32": (np.float32, [_F, _F]),
        "xpt_normal_f64": (np.float64, [_D, _D]),
        "xpt_randint_i64": (np.int64, [_LL, _U]),
        "xpt_bernoulli_f32": (np.float32, [_F]),
    }

    def __init__(self, lib):
        self.lib = lib
        for name, (_, extra) in self.SIGNATURES.items():
            fn = getattr(lib, name + "_host")
            fn.argtypes = self._STREAM + extra
            fn.restype = None
        lib.xpt_philox4x64_10_host.argtypes = [ctypes.c_void_p] * 3
        lib.xpt_philox4x64_10_host.restype = None

    def __call__(self, name, n, key, *args):
        out = np.empty(n, self.SIGNATURES[name][0])
        getattr(self.lib, name + "_host")(out.ctypes.data, n, *key, *args)
        return out

    def philox(self, counter, key):
        c = np.array(counter, dtype=np.uint64)
        k = np.array(key, dtype=np.uint64)
        out = np.zeros(4, dtype=np.uint64)
        self.lib.xpt_philox4x64_10_host(c.ctypes.data, k.ctypes.data, out.ctypes.data)
        return [int(w) for w in out]


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not found: cannot build the C reference of kernels/philox.cu")
    lib = tmp_path_factory.mktemp("philox") / "libphilox.so"
    cmd = [gcc, "-x", "c", "-DXPT_PHILOX_HOST", "-O2", "-ffp-contract=off", "-Wall", "-Wextra",
           "-shared", "-fPIC", str(KERNEL), "-o", str(lib), "-lm"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return Kernels(ctypes.CDLL(str(lib)))


def _twin(gen):
    return R.Generator().set_state(gen.get_state())


def _bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def _ulp_distance(a, b):
    """Distance in units in the last place, via the monotone integer image of the floats."""
    it = np.int32 if a.dtype == np.float32 else np.int64
    lo = np.iinfo(it).min

    def ordered(x):
        i = x.view(it).astype(np.int64)
        return np.where(i < 0, lo - i, i)

    return np.abs(ordered(a) - ordered(b))


# ---------------------------------------------------------------- known answers


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_kat_numpy_philox(counter, key, expected):
    assert _numpy_block(counter, key) == list(expected)


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_kat_kernel_philox(kernels, counter, key, expected):
    assert kernels.philox(counter, key) == list(expected)


def test_kernel_stream_blocks_follow_the_counter(kernels):
    key = (0x0123456789ABCDEF, 0)
    for ctr0 in [0, 1, 41, M64 - 2]:
        raw = kernels("xpt_random_raw", 4 * 5, (key[0], key[1], ctr0))
        for j in range(5):
            c = ctr0 + j
            expect = _numpy_block(_words(c), key)
            assert [int(w) for w in raw[4 * j : 4 * j + 4]] == expect, (ctr0, j)


def test_cpu_stream_crosses_the_64_bit_counter_carry(kernels):
    gen = R.Generator().manual_seed(99)
    gen.set_state(np.array([99, M64 - 1], dtype="<u8").view(np.uint8))
    twin = _twin(gen)
    key = twin._reserve(R.stream_words("uniform", 17, np.float64))
    assert key == (99, 0, M64 - 1)
    got = gen.uniform((17,), dtype=np.float64)
    ref = kernels("xpt_uniform_f64", 17, key, 0.0, 1.0)
    np.testing.assert_array_equal(_bits(got), _bits(ref))
    # Five blocks from 2**64 - 2 wrap the stored block index to 3.
    assert np.frombuffer(gen.get_state().tobytes(), "<u8")[1] == 3


# ---------------------------------------------------------------- CPU == kernel


UNIFORM_BOUNDS = [(0.0, 1.0), (-3.0, 7.5), (0.1, 0.2), (-10.0, 10.0), (5.0, 5.0), (-1e-30, 1e30)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("low,high", UNIFORM_BOUNDS)
def test_uniform_bit_identical_to_kernel(kernels, dtype, low, high):
    name = "xpt_uniform_f32" if dtype == np.float32 else "xpt_uniform_f64"
    for seed in SEEDS:
        gen = R.Generator().manual_seed(seed)
        for n in SIZES:
            twin = _twin(gen)
            key = twin._reserve(R.stream_words("uniform", n, dtype))
            got = gen.uniform((n,), low, high, dtype=dtype)
            ref = kernels(name, n, key, dtype(low), dtype(high))
            assert got.dtype == dtype
            np.testing.assert_array_equal(_bits(got), _bits(ref), err_msg=f"seed={seed} n={n}")
            np.testing.assert_array_equal(gen.get_state(), twin.get_state())


@pytest.mark.parametrize("dtype,low", [(np.float32, 2.0**23), (np.float64, 2.0**52)])
def test_uniform_rounding_onto_high_is_remapped_to_low(kernels, dtype, low):
    high = low + 1.0
    name = "xpt_uniform_f32" if dtype == np.float32 else "xpt_uniform_f64"
    gen = R.Generator().manual_seed(3)
    key = _twin(gen)._reserve(R.stream_words("uniform", 4096, dtype))
    got = gen.uniform((4096,), low, high, dtype=dtype)
    # u * 1 + low rounds to an integer, so every u >= 0.5 lands on high before the remap.
    assert np.all(got == dtype(low))
    np.testing.assert_array_equal(_bits(got), _bits(kernels(name, 4096, key, dtype(low), dtype(high))))


def test_uniform_split_across_more_threads_is_unchanged(kernels, monkeypatch):
    monkeypatch.setattr(R, "_N_WORKERS", 3)
    n = 7 * R._SUB + 5
    gen = R.Generator().manual_seed(11)
    key = _twin(gen)._reserve(R.stream_words("uniform", n))
    got = gen.uniform((n,), -2.0, 2.0)
    np.testing.assert_array_equal(_bits(got), _bits(kernels("xpt_uniform_f32", n, key, np.float32(-2.0), np.float32(2.0))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masked_uniform_bit_identical_to_kernel(kernels, dtype):
    name = "xpt_masked_uniform_f32" if dtype == np.float32 else "xpt_masked_uniform_f64"
    for seed in SEEDS:
        gen = R.Generator().manual_seed(seed)
        for n in SIZES:
            for a, t in [(10.0, 5.0), (0.3, 0.1)]:
                twin = _twin(gen)
                key = twin._reserve(R.stream_words("masked_uniform", n, dtype))
                got = gen.masked_uniform((n,), a, t, dtype=dtype)
                ref = kernels(name, n, key, dtype(a), dtype(t))
                np.testing.assert_array_equal(_bits(got), _bits(ref), err_msg=f"seed={seed} n={n} a={a}")
                np.testing.assert_array_equal(gen.get_state(), twin.get_state())


def test_masked_uniform_keeps_the_sign_of_dropped_values():
    w = R.Generator().manual_seed(5).masked_uniform((100000,))
    ref = R.Generator().manual_seed(5).uniform((100000,), -10.0, 10.0)
    dropped = np.abs(ref) < 5.0
    assert np.all(w[dropped] == 0.0)
    np.testing.assert_array_equal(np.signbit(w[dropped]), np.signbit(ref[dropped]))
    np.testing.assert_array_equal(w[~dropped], ref[~dropped])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.5, 2.0), (-3.0, 1e-3)])
def test_normal_matches_kernel_within_documented_ulp(kernels, dtype, mean, std):
    name = "xpt_normal_f32" if dtype == np.float32 else "xpt_normal_f64"
    # float64: glibc's and NumPy's libm agree within 2 ulp; float32: NumPy's SIMD logf/sinf/cosf
    # against glibc's, after the Box-Muller products, within the documented bound.
    ulp = R.NORMAL_F32_ULP if dtype == np.float32 else 2
    identical = total = 0
    for seed in SEEDS:
        gen = R.Generator().manual_seed(seed)
        for n in SIZES:
            twin = _twin(gen)
            key = twin._reserve(R.stream_words("normal", n, dtype))
            got = gen.normal((n,), mean, std, dtype=dtype)
            ref = kernels(name, n, key, dtype(mean), dtype(std))
            np.testing.assert_array_equal(gen.get_state(), twin.get_state())
            # Near mean the result is a difference, so the ulp is taken at the larger of it and its terms.
            scale = np.maximum(np.abs(ref), np.abs(ref.astype(np.float64) - mean)).astype(dtype)
            tol = ulp * np.spacing(scale) + (np.spacing(np.abs(ref)) if mean else 0)
            assert np.all(np.abs(got.astype(np.float64) - ref.astype(np.float64)) <= tol), f"seed={seed} n={n}"
            if mean == 0.0:
                assert _ulp_distance(got, ref).max() <= ulp
            identical += int(np.sum(_bits(got) == _bits(ref)))
            total += n
    # Only log/sin/cos differ between glibc and numpy, and mostly by no more than rounding.
    assert identical / total > (0.99 if dtype == np.float64 else 0.6)


def _normal_f32_by_the_definition(words, n, mean, std):
    """The module docstring's float32 Box-Muller, one plain NumPy float32 operation per step."""
    f = np.float32
    h = words.view(np.uint32).reshape(-1, 2)
    u1 = (h[:, 0] >> 8).astype(f) * f(2.0**-24)
    u2 = (h[:, 1] >> 8).astype(f) * f(2.0**-24)
    r = np.sqrt(f(-2.0) * np.log(np.ascontiguousarray(f(1.0) - u1)))
    t = np.ascontiguousarray(u2 * R.TWO_PI_F32)
    z = np.stack([r * np.cos(t), r * np.sin(t)], axis=1).reshape(-1)[:n] * f(std)
    return z + f(mean) if mean else z


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.0, 0.02), (-3.0, 1e-3)])
@pytest.mark.parametrize("n", [1, 7, 1000, 3 * (1 << 15) + 5])
def test_float32_normal_is_the_definition_bit_for_bit(mean, std, n):
    # The fill's fused, in-place passes round exactly as the definition's steps (same libm: NumPy's).
    gen = R.Generator().manual_seed(31)
    key0, _, ctr0 = _twin(gen)._reserve(R.stream_words("normal", n))
    words = R._positioned(key0, 0, ctr0).bit_generator.random_raw((n + 1) // 2)
    want = _normal_f32_by_the_definition(words, n, mean, std)
    np.testing.assert_array_equal(_bits(gen.normal((n,), mean, std)), _bits(want))


def test_float32_normal_uses_one_word_per_pair():
    assert R.stream_words("normal", 7, np.float32) == 4
    assert R.stream_words("normal", 7, np.float64) == 8
    g = R.Generator().manual_seed(3)
    g.normal((16,))
    assert g.get_state().view("<u8")[1] == 2  # 8 words, 2 blocks


@pytest.mark.parametrize("low,high", [(0, 10), (-5, 5), (0, 1), (-(2**40), 2**40 + 7), (-(2**63), 2**63 - 1), (-(2**63), 2**63)])
def test_randint_bit_identical_to_kernel(kernels, low, high):
    span = (high - low) & M64
    for seed in SEEDS[:3]:
        gen = R.Generator().manual_seed(seed)
        for n in SIZES:
            twin = _twin(gen)
            key = twin._reserve(R.stream_words("randint", n))
            got = gen.randint((n,), low, high)
            np.testing.assert_array_equal(got, kernels("xpt_randint_i64", n, key, low, span))
            np.testing.assert_array_equal(gen.get_state(), twin.get_state())


@pytest.mark.parametrize("p", [0.0, 0.3, 0.9, 1.0])
def test_bernoulli_bit_identical_to_kernel(kernels, p):
    gen = R.Generator().manual_seed(8)
    for n in SIZES:
        twin = _twin(gen)
        key = twin._reserve(R.stream_words("bernoulli", n))
        got = gen.bernoulli((n,), p)
        np.testing.assert_array_equal(_bits(got), _bits(kernels("xpt_bernoulli_f32", n, key, np.float32(p))))
        np.testing.assert_array_equal(gen.get_state(), twin.get_state())


def test_kernel_source_is_header_free_and_its_cuda_branch_parses(tmp_path):
    src = KERNEL.read_text()
    assert "#include" not in src and "curand" not in src
    for name in ["xpt_uniform_f32", "xpt_uniform_f64", "xpt_masked_uniform_f32", "xpt_normal_f32", "xpt_normal_f64"]:
        assert f"XPT_KERNEL({name})" in src
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ not found: cannot parse the CUDA branch")
    # Stand-ins for the CUDA built-ins, enough to check the CUDA-only branch as C++.
    stub = tmp_path / "cuda_stub.h"
    stub.write_text(
        "struct xpt_dim3 { unsigned x, y, z; };\n"
        "static xpt_dim3 blockIdx, blockDim, threadIdx, gridDim;\n"
        "#define __global__\n#define __device__\n#define __forceinline__ inline\n"
        "static inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b)"
        " { return (unsigned long long)(((unsigned __int128)a * b) >> 64); }\n"
        "static inline float __fmul_rn(float a, float b) { return a * b; }\n"
        "static inline float __fadd_rn(float a, float b) { return a + b; }\n"
        "static inline double __dmul_rn(double a, double b) { return a * b; }\n"
        "static inline double __dadd_rn(double a, double b) { return a + b; }\n"
        'extern "C" { double log(double); double sqrt(double); double sin(double); double cos(double);'
        " float logf(float); float sqrtf(float); float sinf(float); float cosf(float);"
        " double fabs(double); float fabsf(float); }\n"
    )
    cmd = [gxx, "-x", "c++", "-std=c++11", "-D__CUDACC__", "-include", str(stub), "-Wall", "-Wno-unknown-pragmas",
           "-fsyntax-only", str(KERNEL)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


# ---------------------------------------------------------------- determinism and state


def test_same_seed_same_numbers_and_different_seeds_differ():
    a = R.Generator().manual_seed(42)
    b = R.Generator().manual_seed(42)
    c = R.Generator().manual_seed(43)
    x, y, z = a.uniform((64,)), b.uniform((64,)), c.uniform((64,))
    np.testing.assert_array_equal(x, y)
    assert not np.array_equal(x, z)
    np.testing.assert_array_equal(a.normal((5, 3)), b.normal((5, 3)))


def test_successive_fills_differ_and_reserve_whole_blocks():
    g = R.Generator().manual_seed(1)
    first, second = g.uniform((3,)), g.uniform((3,))
    assert not np.array_equal(first, second)
    block = lambda: int(np.frombuffer(g.get_state().tobytes(), "<u8")[1])
    before = block()
    g.uniform((9,))  # 5 words -> 2 blocks
    assert block() == before + 2
    g.normal((3,), dtype=np.float64)  # 4 words -> 1 block
    assert block() == before + 3
    assert g._reserve(0) == (1, 0, before + 3) and block() == before + 3


def test_get_state_set_state_round_trip():
    g = R.Generator().manual_seed(2024)
    g.uniform((10,))
    state = g.get_state()
    assert state.dtype == np.uint8 and state.shape == (16,)
    x = g.uniform((100,))
    y = g.normal((7,))
    g.set_state(state)
    np.testing.assert_array_equal(g.uniform((100,)), x)
    np.testing.assert_array_equal(g.normal((7,)), y)
    other = R.Generator().set_state(state)
    assert other.initial_seed() == 2024
    state[:] = 0
    np.testing.assert_array_equal(g.set_state(g.get_state()).get_state(), g.get_state())


def test_set_state_rejects_bad_states():
    g = R.Generator()
    with pytest.raises(TypeError):
        g.set_state(np.zeros(16, dtype=np.float32))
    with pytest.raises(RuntimeError, match="size 16"):
        g.set_state(np.zeros(3, dtype=np.uint8))


def test_generator_pickles_with_its_position():
    g = R.Generator("cuda:1").manual_seed(77)
    g.uniform((5,))
    h = pickle.loads(pickle.dumps(g))
    assert h.device == "cuda:1"
    np.testing.assert_array_equal(h.uniform((20,)), g.uniform((20,)))


def test_manual_seed_mirrors_torch_conventions():
    g = R.Generator()
    assert g.initial_seed() == 67280421310721 == R.DEFAULT_SEED
    assert g.manual_seed(-1).initial_seed() == M64
    assert g.manual_seed(-(2**63)).initial_seed() == 2**63
    assert g.manual_seed(M64).initial_seed() == M64
    assert g.manual_seed(np.int64(3)).initial_seed() == 3
    with pytest.raises(ValueError, match="Overflow"):
        g.manual_seed(2**64)
    with pytest.raises(ValueError, match="Overflow"):
        g.manual_seed(-(2**63) - 1)
    for bad in [1.5, "3", True, None]:
        with pytest.raises(RuntimeError, match=f"manual_seed expected a long, but got {type(bad).__name__}"):
            g.manual_seed(bad)
    assert g.manual_seed(5) is g
    # A seed of -1 is the same stream as 2**64 - 1.
    np.testing.assert_array_equal(R.Generator().manual_seed(-1).uniform((8,)), R.Generator().manual_seed(M64).uniform((8,)))


def test_seed_is_fresh_applied_and_returned():
    g = R.Generator()
    s1, s2 = g.seed(), g.seed()
    assert isinstance(s1, int) and 0 <= s1 <= M64 and s1 != s2
    assert g.initial_seed() == s2


def test_module_level_seeding_covers_device_generators(monkeypatch):
    monkeypatch.setattr(R, "_device_generators", {})
    monkeypatch.setattr(R, "default_generator", R.Generator("cpu"))
    assert R.default_generator_for("cpu") is R.default_generator
    assert R.manual_seed(1234) is R.default_generator
    cuda = R.default_generator_for("cuda")
    assert cuda is R.default_generator_for("cuda:0") and cuda.device == "cuda:0"
    assert cuda.initial_seed() == 1234 and R.initial_seed() == 1234
    R.manual_seed("99")
    assert cuda.initial_seed() == 99 == R.default_generator.initial_seed()
    s = R.seed()
    assert cuda.initial_seed() == s == R.initial_seed()
    assert R.default_generator_for("cuda:1").initial_seed() == s
    R.manual_seed(7)
    state = R.get_rng_state()
    x = R.default_generator.uniform((6,))
    R.set_rng_state(state)
    np.testing.assert_array_equal(R.default_generator.uniform((6,)), x)


# ---------------------------------------------------------------- statistics

N_STAT = 1_000_000
Z = 6.0  # standard errors allowed: fixed seeds make this deterministic, the margin covers other seeds too


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-2.0, 3.0)])
def test_uniform_statistics(dtype, low, high):
    x = R.Generator().manual_seed(12).uniform((N_STAT,), low, high, dtype=dtype).astype(np.float64)
    assert x.min() >= low and x.max() < high
    width = high - low
    assert abs(x.mean() - (low + high) / 2) < Z * width / math.sqrt(12 * N_STAT)
    # Var of the sample variance of U(0, 1) is (1/80 - 1/144) / n.
    assert abs(x.var() - width**2 / 12) < Z * width**2 * math.sqrt((1 / 80 - 1 / 144) / N_STAT)
    counts = np.histogram(x, bins=64, range=(low, high))[0]
    expected = N_STAT / 64
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    # Chi-square with 63 degrees of freedom: mean 63, sd sqrt(126).
    assert chi2 < 63 + Z * math.sqrt(126)
    u = (x - low) / width - 0.5
    assert abs(np.mean(u[:-1] * u[1:]) * 12) < Z / math.sqrt(N_STAT)


def test_uniform_uses_both_halves_of_each_word():
    x = R.Generator().manual_seed(4).uniform((N_STAT,)).astype(np.float64) - 0.5
    even, odd = x[0::2], x[1::2]
    assert abs(np.mean(even * odd) * 12) < Z / math.sqrt(even.size)
    assert len(np.unique(x)) > 0.95 * N_STAT


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_statistics(dtype):
    mean, std = 1.5, 0.5
    x = R.Generator().manual_seed(21).normal((N_STAT + 1,), mean, std, dtype=dtype).astype(np.float64)
    assert x.dtype == np.float64 and np.all(np.isfinite(x))
    z = (x - mean) / std
    n = z.size
    assert abs(z.mean()) < Z / math.sqrt(n)
    assert abs(z.var() - 1) < Z * math.sqrt(2 / n)
    assert abs(np.mean(z**3)) < Z * math.sqrt(15 / n)
    assert abs(np.mean(z**4) - 3) < Z * math.sqrt(96 / n)
    # Probability of |z| < 1 is erf(1/sqrt 2).
    p = math.erf(1 / math.sqrt(2))
    assert abs(np.mean(np.abs(z) < 1) - p) < Z * math.sqrt(p * (1 - p) / n)
    assert abs(np.mean(z[0::2][: n // 2] * z[1::2])) < Z / math.sqrt(n / 2)


def test_masked_uniform_statistics():
    w = R.Generator().manual_seed(6).masked_uniform((N_STAT,), a=10.0, threshold=5.0)
    zero = w == 0
    assert abs(zero.mean() - 0.5) < Z * math.sqrt(0.25 / N_STAT)
    kept = w[~zero]
    assert np.all(np.abs(kept) >= 5.0) and np.all(np.abs(kept) < 10.0)
    assert abs(np.mean(kept > 0) - 0.5) < Z * math.sqrt(0.25 / kept.size)


def test_randint_bounds_dtype_and_spread():
    g = R.Generator().manual_seed(31)
    x = g.randint((N_STAT,), -3, 7)
    assert x.dtype == np.int64 and x.shape == (N_STAT,)
    assert x.min() == -3 and x.max() == 6
    counts = np.bincount(x + 3, minlength=10)
    expected = N_STAT / 10
    assert np.sum((counts - expected) ** 2 / expected) < 9 + Z * math.sqrt(18)
    big = g.randint((4, 5), 2**62, 2**63)
    assert big.shape == (4, 5) and big.min() >= 2**62
    full = g.randint((10000,), -(2**63), 2**63)
    assert (full < 0).mean() > 0.4 and (full > 0).mean() > 0.4
    assert np.all(g.randint((100,), 5, 6) == 5)


def test_permutation_is_a_permutation():
    g = R.Generator().manual_seed(17)
    for n in [0, 1, 2, 10, 1000, 60000]:
        p = g.permutation(n)
        assert p.dtype == np.int64 and p.shape == (n,)
        np.testing.assert_array_equal(np.sort(p), np.arange(n))
    p1, p2 = g.permutation(1000), g.permutation(1000)
    assert not np.array_equal(p1, p2) and not np.array_equal(p1, np.arange(1000))
    np.testing.assert_array_equal(R.Generator().manual_seed(3).permutation(500), R.Generator().manual_seed(3).permutation(500))
    # Each value lands in the first half about half the time.
    first_half = np.mean([np.argsort(g.permutation(8))[0] < 4 for _ in range(4000)])
    assert abs(first_half - 0.5) < Z * math.sqrt(0.25 / 4000)


def test_bernoulli_rate_and_array_p():
    g = R.Generator().manual_seed(41)
    x = g.bernoulli((N_STAT,), 0.8)
    assert x.dtype == np.float32 and set(np.unique(x)) <= {0.0, 1.0}
    assert abs(x.mean() - 0.8) < Z * math.sqrt(0.16 / N_STAT)
    p = np.array([0.0, 1.0, 0.5], dtype=np.float32)
    y = g.bernoulli((200000, 3), p, dtype=np.float64)
    assert y.dtype == np.float64
    assert np.all(y[:, 0] == 0) and np.all(y[:, 1] == 1)
    assert abs(y[:, 2].mean() - 0.5) < Z * math.sqrt(0.25 / 200000)


# ---------------------------------------------------------------- argument checks


def test_shapes_and_argument_errors():
    g = R.Generator()
    assert g.uniform(()).shape == () and g.uniform((2, 0, 3)).shape == (2, 0, 3)
    assert g.normal([2, 3], dtype=np.float64).dtype == np.float64 and g.uniform(4).shape == (4,)
    with pytest.raises(ValueError, match="from=2.0 > to=1.0"):
        g.uniform((3,), 2.0, 1.0)
    with pytest.raises(ValueError):
        g.uniform((3,), 0.0, math.inf)
    with pytest.raises(ValueError):
        g.uniform((3,), -3e38, 3e38)
    with pytest.raises(TypeError):
        g.uniform((3,), dtype=np.int32)
    with pytest.raises(ValueError, match="std"):
        g.normal((3,), 0.0, -1.0)
    with pytest.raises(ValueError, match="'from' to be less than 'to'"):
        g.randint((3,), 5, 5)
    with pytest.raises(ValueError):
        g.bernoulli((3,), 1.5)
    with pytest.raises(ValueError):
        g.uniform((-1,))
    with pytest.raises(ValueError):
        g.permutation(-1)


def test_states_are_uint8_tensors_as_torch():
    """Through the package, states are CPU uint8 tensors and set_state refuses anything else, as torch."""
    import xptorch
    import torch

    s, t = xptorch.get_rng_state(), torch.get_rng_state()
    assert isinstance(s, xptorch.Tensor) and s.dtype == xptorch.uint8 and s.device.type == "cpu" and t.dtype == torch.uint8
    g = xptorch.Generator().manual_seed(3)
    state = g.get_state().clone()
    a = xptorch.rand(3, generator=g)
    g.set_state(state)
    assert xptorch.rand(3, generator=g).tolist() == a.tolist()
    for bad, kind in ((state.numpy(), TypeError), (state.float(), TypeError), (state[:5], RuntimeError)):
        with pytest.raises(kind):
            g.set_state(bad)
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got numpy.ndarray"):
        g.set_state(state.numpy())
