"""Every CUDA program built by NVIDIA's compiler (NVRTC from the test extra) for every architecture it
supports from sm_70 up, through the runtime's own compile path: no compile error, no spill, and no kernel
above the register bound below. Needs no GPU."""
import os
import sys

import pytest

try:
    from cupy.cuda import nvrtc

    nvrtc.getVersion()  # loads libnvrtc: fails when the nvidia-cuda-nvrtc wheel is missing
except Exception as exc:  # pragma: no cover - depends on the install
    if os.environ.get("CI"):
        raise RuntimeError(f"CI installs the test extra, which brings CuPy and NVRTC: {exc}") from exc
    pytest.skip(f"CuPy's NVRTC is not usable here ({type(exc).__name__}: {exc})", allow_module_level=True)

from xptorch.backend import cuda_kernels as ck  # noqa: E402

FIRST_ARCH = 70
# Registers per thread. 64 leaves 4 blocks of 256 threads resident per SM; Volta's ptxas needs more
# for the 64-bit Philox products (86 measured with NVRTC 12.9), so it has its own bound.
REGISTER_BOUND = {70: 96, 72: 96}
DEFAULT_REGISTER_BOUND = 64

ARCHS = [cc for cc in ck.supported_archs() if cc >= FIRST_ARCH]
PROGRAMS = {p.files[-1]: p for p in vars(ck).values() if isinstance(p, ck.Program)}
LAUNCHED = {}
for _lk in vars(ck).values():
    if isinstance(_lk, ck.LazyKernel):
        LAUNCHED.setdefault(_lk.program.files[-1], set()).update(_lk.pattern.format(s) for s in ("f32", "f64"))


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """{(program, cc): (binary, log, options, key)}, each made by Program.binary with an empty cache."""
    cache = tmp_path_factory.mktemp("kernel_cache")
    made = {}
    real_build = ck.build

    def spy(src, cc, name="xptorch.cu"):
        out = real_build(src, cc, name)
        made[(name, cc)] = out
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CUPY_CACHE_DIR", str(cache))
        mp.delenv("CUPY_CACHE_IN_MEMORY", raising=False)
        mp.setattr(ck, "build", spy)
        binaries = {(name, cc): p.binary(cc) for name, p in PROGRAMS.items() for cc in ARCHS}
    for k, binary in binaries.items():
        assert made[k][0] == binary, k
    return made, cache


def test_nvrtc_covers_the_architectures():
    assert PROGRAMS.keys() == {"linear_epilogue.cu", "philox.cu"}
    # Volta through Blackwell: at least sm_70, sm_80 and sm_90 must be there for the check to mean anything.
    assert {70, 80, 90} <= set(ARCHS), ARCHS


@pytest.mark.parametrize("cc", ARCHS)
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_builds_without_spills_within_the_register_bound(builds, name, cc):
    made, _ = builds
    binary, log, options, _ = made[(name, cc)]
    assert binary[:4] == b"\x7fELF", "expected a cubin"
    assert f"-arch=sm_{cc}" in options and set(ck.OPTIONS) <= set(options)
    usage = ck.resource_usage(log)
    entries = {f: u for f, u in usage.items() if u[0] is not None}
    assert LAUNCHED[name] <= set(entries), LAUNCHED[name] - set(entries)
    bound = REGISTER_BOUND.get(cc, DEFAULT_REGISTER_BOUND)
    for function, (registers, _stack, spill_stores, spill_loads) in usage.items():
        assert spill_stores == 0 and spill_loads == 0, f"{function} spills on sm_{cc}:\n{log}"
        assert registers is None or registers <= bound, f"{function} uses {registers} registers on sm_{cc} (bound {bound})"


def test_cache_key_and_reuse(builds, monkeypatch):
    made, cache = builds
    name, cc = "philox.cu", ARCHS[0]
    binary, _, options, key = made[(name, cc)]
    src = PROGRAMS[name].source()
    assert key == ck.cache_key(src, options, nvrtc.getVersion())
    assert (cache / "xptorch" / f"{key}.bin").read_bytes() == binary
    # A second load is served from disk: NVRTC is not called.
    monkeypatch.setenv("CUPY_CACHE_DIR", str(cache))
    monkeypatch.setattr(ck, "build", lambda *a: pytest.fail("recompiled a cached program"))
    assert PROGRAMS[name].binary(cc) == binary
    # Any edit of the source text, or another architecture, is another key.
    assert ck.cache_key(src + "\n", options, nvrtc.getVersion()) != key
    other, _ = ck.build_options(ARCHS[-1], ck.supported_archs())
    assert ck.cache_key(src, other, nvrtc.getVersion()) != key


def test_compile_error_shows_the_nvrtc_log(tmp_path, monkeypatch):
    monkeypatch.setenv("CUPY_CACHE_DIR", str(tmp_path))
    bad = 'extern "C" __global__ void broken(float* y) { y[0] = undefined_name; }\n'
    with pytest.raises(RuntimeError, match="NVRTC failed to compile broken.cu") as err:
        ck.compile_program(bad, 90, "broken.cu")
    assert "undefined_name" in str(err.value) and "is undefined" in str(err.value)
    assert not (tmp_path / "xptorch").exists() or not os.listdir(tmp_path / "xptorch")


def test_newer_gpu_than_nvrtc_gets_ptx_of_the_newest_older_arch():
    assert ck.nvrtc_target(200, (70, 90, 120)) == ("-arch=compute_120", False)
    options, cubin = ck.build_options(200, (70, 90, 120))
    assert not cubin and "--ptxas-options=-v" not in options
    with pytest.raises(RuntimeError, match="none at or below 60"):
        ck.nvrtc_target(60, (70, 90))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
