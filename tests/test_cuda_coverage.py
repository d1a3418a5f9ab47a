"""Every test module runs on CUDA as well as on the CPU, or says here why it does not.

Without a GPU, CUDA is the strict CuPy stand-in (tests/strict_cupy.py). A module counts as running on CUDA
when one of its tests takes a device fixture (`device`, `strict_cuda`, `simulated_cuda`), when it names a
CUDA device, or when tests/conftest.py runs it a second time with the default device on CUDA
(DEFAULT_DEVICE_MODULES). A new test module that does none of these fails here until it is given a CUDA run
or a reason below.
"""
import ast
import pathlib

import conftest

ROOT = pathlib.Path(__file__).resolve().parent
_FIXTURES = {"device", "strict_cuda", "simulated_cuda", "default_device"}

_OP_TABLE = "its ops run on CUDA through the op table (test_op_db_cuda.py, test_ops_oracle.py)"
CPU_ONLY_MODULES = {
    "autograd/test_gradcheck.py": "float64 finite differences of gradcheck itself; " + _OP_TABLE,
    "backend/test_allocator.py": "glibc's malloc thresholds: host memory only",
    "backend/test_kernel_build.py": "compiles the CUDA sources with NVRTC; no device involved",
    "backend/test_kernel_packaging.py": "checks the packaged CUDA sources; no device involved",
    "backend/test_strict_cupy_numerics.py": "the stand-in's arrays against CuPy's on a real GPU (marked cuda); no "
                                            "xptorch device involved",
    "distributed/test_collectives.py": "the mpi backend moves host arrays; NCCL's tests are in test_startup.py",
    "distributed/test_ddp.py": "DDP on the mpi backend (host arrays); NCCL needs several GPUs",
    "distributed/test_ddp_vs_torch.py": "compared with torch's gloo DDP, which is CPU-only",
    "distributed/test_run.py": "the launcher's processes and exit codes; no tensors",
    "distributed/test_run_mpi_flavours.py": "the launcher's mpiexec options and rank variables; no tensors",
    "monitor/test_monitor_export.py": "files written from host copies of the records",
    "nn/test_conv_rows.py": "the CPU's row-im2col convolution path; CUDA takes another path (test_conv.py runs there)",
    "nn/test_embedding_checks_unoptimised.py": "argument checks under python -O; no tensor math",
    "optim/test_lr_scheduler.py": "learning-rate arithmetic only; no tensors",
    "optim/test_optim_large.py": "the CPU's one-pass BLAS update of large tensors; CUDA takes the array path",
    "seeds/test_seed_verbatim.py": ("the notebooks verbatim, printed output compared with torch's on the CPU; "
                                    "test_seed_000-004 run the same cells on CUDA"),
    "test_d2l_tensor_cells.py": "printed output compared with torch's on the CPU; test_d2l_book_cells.py runs on CUDA",
    "test_fuzz_programs.py": "random programs compared with torch on the CPU; " + _OP_TABLE,
    "test_gpu_check.py": "checks the GPU script's text and options",
    "test_help_and_type.py": "docstrings, signatures and type names",
    "test_fp_warnings.py": "NumPy's host warnings filter in a subprocess; CuPy raises no floating-point warnings",
    "test_hostile_api.py": ("error types compared with torch's CPU errors; on CUDA some are device-side checks "
                            "reported later (test_cuda_rules.py)"),
    "test_op_db_hostile.py": "error types compared with torch's CPU errors (see test_hostile_api.py)",
    "test_memory.py": "tracemalloc measures host memory",
    "test_op_coverage.py": "lists the public API; no tensor math",
    "test_op_db.py": "the op table on the CPU; test_op_db_cuda.py runs it on CUDA",
    "test_op_regressions.py": "regressions compared with torch on the CPU; " + _OP_TABLE,
    "test_save_files.py": "file-system behaviour of save (temporaries, folders); CUDA tensors' files in test_serialization.py",
    "test_threads.py": "CPU thread counts (BLAS and the fill pool)",
    "test_type_info.py": "dtype limits and promotion rules: no tensor data on any device",
    "test_tour_out.py": "the tour's report folder; the tour runs on CUDA in test_tour.py",
    "testing/test_pytest_plugin.py": "the plugin's own device fixture, over every device it finds",
    "utils/test_dataloader_workers.py": "worker processes load host data",
    "utils/test_distributed_sampler.py": "index lists only",
    "amp/test_grad_scaler.py": "GradScaler on the CPU; on CUDA in amp/test_autocast_cuda.py",
}


def _runs_on_cuda(path):
    rel = "tests/" + path.relative_to(ROOT).as_posix()
    if rel in conftest.DEFAULT_DEVICE_MODULES:
        return True
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            if _FIXTURES & {a.arg for a in node.args.args}:
                return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("cuda"):
            return True
    return False


def _modules():
    return sorted(p for p in ROOT.rglob("test_*.py"))


def test_every_module_runs_on_cuda_or_says_why_not():
    missing = [p.relative_to(ROOT).as_posix() for p in _modules()
               if not _runs_on_cuda(p) and p.relative_to(ROOT).as_posix() not in CPU_ONLY_MODULES]
    assert not missing, "test modules with no CUDA run and no reason in CPU_ONLY_MODULES: " + ", ".join(missing)


def test_the_reasons_are_not_stale():
    by_name = {p.relative_to(ROOT).as_posix(): p for p in _modules()}
    gone = [m for m in CPU_ONLY_MODULES if m not in by_name]
    assert not gone, f"listed modules that no longer exist: {gone}"
    now_on_cuda = [m for m in CPU_ONLY_MODULES if _runs_on_cuda(by_name[m])]
    assert not now_on_cuda, f"listed as CPU-only but they run on CUDA now; remove them: {now_on_cuda}"
