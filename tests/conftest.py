"""Shared test fixtures: device parametrisation, GPU markers, the oracle helper on sys.path.

Without a GPU, 'cuda' is the strict CuPy stand-in of strict_cupy.py, installed through
``xptorch.backend.simulate_cuda``: CuPy's rules (no NumPy operands, no implicit host conversion,
wrapping integer indices, CuPy's flags) and a count of device-to-host syncs.
"""
import contextlib
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import xptorch  # noqa: E402
from xptorch import backend  # noqa: E402

import strict_cupy  # noqa: E402


def _real_cuda():
    return xptorch.cuda.is_available() and backend._simulated is None


def pytest_collection_modifyitems(config, items):
    if _real_cuda():
        return
    reason = "needs an NVIDIA GPU with CuPy: " + (xptorch.cuda.why_unavailable() or "unavailable")
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@contextlib.contextmanager
def _strict():
    """The stand-in installed; it 'compiles' kernels/*.cu to their source text, kept out of CuPy's disk cache."""
    prev = os.environ.get("CUPY_CACHE_IN_MEMORY")
    os.environ["CUPY_CACHE_IN_MEMORY"] = "1"
    strict_cupy.set_device_count(1)
    backend.simulate_cuda(strict_cupy)
    try:
        yield strict_cupy
    finally:
        backend.device_assert.clear()  # a test's unreported device-side checks never reach the next test
        backend.simulate_cuda(None)
        strict_cupy.set_device_count(1)
        if prev is None:
            del os.environ["CUPY_CACHE_IN_MEMORY"]
        else:
            os.environ["CUPY_CACHE_IN_MEMORY"] = prev


def _simulated():
    if _real_cuda():
        yield "cuda"
        return
    with _strict():
        yield "cuda"


@pytest.fixture
def simulated_cuda():
    """'cuda:0' on the real GPU when present, else on the strict CuPy stand-in."""
    yield from _simulated()


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """Every device test runs on CPU, and on CUDA: the real GPU when present, else the strict CuPy stand-in."""
    if request.param == "cpu":
        yield "cpu"
        return
    yield from _simulated()


# Test modules whose tests take no `device` but run twice: as written ([default-cpu]) and with xptorch's
# default device set to CUDA ([default-cuda]: the strict stand-in without a GPU), so their modules, factories
# and tensors land on CUDA while torch, their oracle, stays on the CPU (results are compared through .cpu()).
DEFAULT_DEVICE_MODULES = {
    "tests/nn/test_activations.py",
    "tests/nn/test_alpha_dropout_bilinear.py",
    "tests/nn/test_attention.py",
    "tests/nn/test_batchnorm.py",
    "tests/nn/test_container.py",
    "tests/nn/test_conv.py",
    "tests/nn/test_conv_transpose.py",
    "tests/nn/test_dropout_flatten_embedding.py",
    "tests/nn/test_init.py",
    "tests/nn/test_layer_norm.py",
    "tests/nn/test_likelihood_loss.py",
    "tests/nn/test_lazy.py",
    "tests/nn/test_loss.py",
    "tests/nn/test_margin_loss.py",
    "tests/nn/test_module.py",
    "tests/nn/test_module_hooks.py",
    "tests/nn/test_module_to.py",
    "tests/nn/test_pad.py",
    "tests/nn/test_parameter.py",
    "tests/nn/test_pooling.py",
    "tests/nn/test_rnn.py",
    "tests/nn/test_sequential_fusion.py",
    "tests/nn/test_state_dict.py",
    "tests/nn/test_tied.py",
    "tests/nn/test_zoo_layers.py",
    "tests/ops/test_op_narrow_select_movedim.py",
    "tests/optim/test_optim_base.py",
    "tests/optim/test_optim_foreach.py",
    "tests/optim/test_optim_load_shapes.py",
    "tests/optim/test_optim_updates.py",
    "tests/autograd/test_function.py",
    "tests/autograd/test_functional.py",
    "tests/autograd/test_post_accumulate_hooks.py",
    "tests/test_autograd.py",
    "tests/test_inplace_views.py",
    "tests/distributions/test_distributions.py",
    "tests/monitor/test_monitor_changes.py",
    "tests/monitor/test_monitor_figures.py",
    "tests/monitor/test_monitor_hooks.py",
    "tests/monitor/test_monitor_summary.py",
    "tests/utils/test_checkpoint.py",
    "tests/test_tensor.py",
    "tests/test_deepcopy.py",
    "tests/test_serialization.py",
}
# Tests of those modules that run on the CPU only, and why.
_REPR = "compares a repr or message with torch's on the CPU; on CUDA it names the device, as torch's does there"
_DEFERRED = ("an immediate error on the CPU; on CUDA a deferred device-side check, reported at the next sync "
             "(tests/test_cuda_rules.py)")
_SLOW = "slow; its op runs on CUDA in the op table (tests/test_op_db_cuda.py) and in this file's other tests"
_STATS = "a slow statistical test of the RNG-driven init; the init functions run on CUDA in this file's other tests"
_NUMPY = ".numpy() shares a CPU tensor's memory; a CUDA tensor refuses it, as torch's does"
CPU_ONLY = {
    "tests/nn/test_container.py::test_parameter_list": _REPR,
    "tests/nn/test_container.py::test_parameter_dict": _REPR,
    "tests/nn/test_module.py::test_assigning_a_non_parameter_to_a_parameter_name": _REPR,
    "tests/nn/test_parameter.py::test_repr_and_flags": _REPR,
    "tests/nn/test_tied.py::test_gradients_sum_over_uses_and_accumulate": _REPR,
    "tests/nn/test_lazy.py::test_uninitialised_tensors_answer_what_torch_answers": _REPR,
    "tests/nn/test_module_to.py::test_casts_only_floating_tensors_and_returns_self":
        "compares each tensor's device with torch's on the CPU; device moves have their own tests in the file",
    "tests/nn/test_dropout_flatten_embedding.py::test_embedding_lookup_errors": _DEFERRED,
    "tests/nn/test_loss.py::test_class_errors_match_torch": _DEFERRED,
    "tests/nn/test_loss.py::test_bce_errors_match_torch": _DEFERRED,
    "tests/nn/test_loss.py::test_cross_entropy_weight_ignore_smoothing_match_torch": _SLOW,
    "tests/nn/test_activations.py::test_gelu_matches_torch": _SLOW,
    "tests/nn/test_attention.py::test_transformer_decoder_matches_torch":
        "slow; its layers (self- and cross-attention, feed-forward, LayerNorm) run on CUDA in the encoder's test",
    "tests/nn/test_conv.py::test_seed_lenet_parameters_forward_backward":
        "slow; conv, pooling and linear forward/backward run on CUDA in test_module_matches_torch",
    "tests/nn/test_activations.py::test_leaky_relu_matches_torch": _SLOW,
    "tests/nn/test_conv_transpose.py::test_gradcheck_finite_differences":
        "slow finite differences; on CUDA the gradients are compared with torch's in test_functional_matches_torch",
    "tests/nn/test_init.py::test_orthogonal_is_haar_distributed": _STATS,
    "tests/ops/test_op_narrow_select_movedim.py::test_index_add_refused_changes_nothing": _DEFERRED,
    "tests/nn/test_init.py::test_trunc_normal_bounds_moments_and_cdf": _STATS,
    "tests/autograd/test_function.py::test_saved_tensor_modified_in_place_raises_like_torch": _REPR,
    "tests/test_tensor.py::test_numpy_shares_memory_and_refuses_grad": _NUMPY,
    "tests/test_tensor.py::test_float_of_a_tensor_requiring_grad_warns_once_per_process":
        "runs its case in a fresh process, whose default device is the CPU",
    "tests/test_serialization.py::test_map_location_forms_on_cpu":
        "loads a CPU tensor onto the CPU; CUDA tensors' devices on load have their own tests in the file",
    "tests/test_serialization.py::test_cuda_file_on_cpu_machine_suggests_map_location":
        "checks the message of a machine without CUDA",
}
_DEVICE_FIXTURES = {"device", "strict_cuda", "simulated_cuda", "default_device"}


def pytest_generate_tests(metafunc):
    path = os.path.relpath(str(metafunc.definition.path), os.path.dirname(os.path.dirname(__file__)))
    if path not in DEFAULT_DEVICE_MODULES or _DEVICE_FIXTURES & set(metafunc.fixturenames):
        return
    if f"{path}::{metafunc.function.__name__}" in CPU_ONLY:
        return
    metafunc.fixturenames.append("default_device")
    metafunc.parametrize("default_device", ["default-cpu", "default-cuda"], indirect=True)


@pytest.fixture
def default_device(request):
    """'cpu' or 'cuda': the default device of xptorch's factories during the test (see DEFAULT_DEVICE_MODULES)."""
    return request.param.split("-")[1]


@pytest.fixture(autouse=True)
def _run_on_default_device(request):
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or callspec.params.get("default_device") != "default-cuda":
        yield
        return
    for dev in _simulated():
        xptorch.set_default_device(dev)
        try:
            yield
        finally:
            xptorch.set_default_device(None)


@pytest.fixture
def strict_cuda():
    """The strict stand-in itself (never the real GPU): for tests that count host syncs."""
    if backend._simulated is not None:
        pytest.skip("another CUDA simulation is active")
    with _strict() as module:
        yield module
