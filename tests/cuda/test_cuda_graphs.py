"""xptorch.cuda.CUDAGraph / graph / make_graphed_callables over CuPy's stream capture, on the strict CuPy
stand-in (capture records the device work without running it, replay runs it, host syncs while capturing
are refused) and on a GPU."""
import math

import pytest

import xptorch
from xptorch import nn


@pytest.fixture
def gpu(strict_cuda):
    yield strict_cuda


def _events(fake, *kinds):
    return [e[0] for e in fake.events if e[0] in kinds]


def _train_step_graph_matches_eager():
    def make():
        xptorch.manual_seed(0)
        net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)).to("cuda")
        return net, xptorch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    x = xptorch.randn(8, 16, device="cuda")
    y = xptorch.randn(8, 4, device="cuda")

    def step(net, opt):
        opt.zero_grad(set_to_none=False)
        nn.functional.mse_loss(net(x), y).backward()
        opt.step()

    eager, eager_opt = make()
    graphed, graphed_opt = make()
    for _ in range(3):  # warm-up: optimizer state and gradients exist before capture
        step(eager, eager_opt)
        step(graphed, graphed_opt)
    g = xptorch.cuda.CUDAGraph()
    with xptorch.cuda.graph(g):
        step(graphed, graphed_opt)
    # Capturing records the kernels without running them: both models are still 3 steps in.
    for a, b in zip(graphed.parameters(), eager.parameters()):
        xptorch.testing.assert_close(a.detach().cpu(), b.detach().cpu())
    for _ in range(5):
        g.replay()
        step(eager, eager_opt)
    xptorch.cuda.synchronize()
    for a, b in zip(graphed.parameters(), eager.parameters()):
        xptorch.testing.assert_close(a.detach().cpu(), b.detach().cpu())


def test_capture_and_replay(gpu):
    x = xptorch.ones(4, device="cuda")
    g = xptorch.cuda.CUDAGraph()
    with xptorch.cuda.graph(g):
        y = x * 2
    # Captured work has not run: y's memory holds whatever was there.
    assert all(math.isnan(v) for v in y.tolist())
    g.replay()
    assert y.tolist() == [2.0] * 4
    x.fill_(3.0)
    g.replay()
    assert y.tolist() == [6.0] * 4
    assert _events(gpu, "begin_capture", "end_capture", "launch") == ["begin_capture", "end_capture", "launch",
                                                                      "launch"]
    with pytest.raises(RuntimeError, match="already owns a captured graph"):
        g.capture_begin()


def test_in_place_update_of_an_input_is_allowed(gpu):
    x = xptorch.zeros(3, device="cuda")
    g = xptorch.cuda.CUDAGraph()
    with xptorch.cuda.graph(g):
        y = x + 1
    x.copy_(xptorch.ones(3, device="cuda"))
    g.replay()
    assert _events(gpu, "launch") == ["launch"] and y.tolist() == [2.0] * 3


@pytest.mark.parametrize("how", ["data", "module_to", "parameter_data"])
def test_replay_after_inputs_were_reallocated_is_refused(gpu, how):
    net = nn.Linear(3, 2).to("cuda")
    x = xptorch.ones(5, 3, device="cuda")
    g = xptorch.cuda.CUDAGraph()
    with xptorch.no_grad(), xptorch.cuda.graph(g):
        y = net(x)
    g.replay()
    before = y.tolist()
    if how == "data":
        x.data = xptorch.zeros(5, 3, device="cuda")
    elif how == "module_to":
        net.to("cpu").to("cuda")
    else:
        net.weight.data = net.weight.data.clone()
    with pytest.raises(RuntimeError, match="CUDA graph replayed after one of its inputs was reallocated"):
        g.replay()
    assert _events(gpu, "launch") == ["launch"] and y.tolist() == before  # the refused replay launched nothing


def test_replay_and_capture_errors(gpu):
    with pytest.raises(RuntimeError, match="Called CUDAGraph::replay without a preceding successful capture."):
        xptorch.cuda.CUDAGraph().replay()
    with pytest.raises(RuntimeError, match="capture_end\\(\\) called without a matching capture_begin\\(\\)"):
        xptorch.cuda.CUDAGraph().capture_end()


def test_make_graphed_callables(gpu):
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU()).to("cuda")
    with pytest.raises(RuntimeError, match="captures forward passes only"):
        xptorch.cuda.make_graphed_callables(net, (xptorch.ones(2, 3, device="cuda"),))
    net.requires_grad_(False)
    sample = xptorch.ones(2, 3, device="cuda")
    graphed = xptorch.cuda.make_graphed_callables(net, (sample,))
    new = xptorch.full((2, 3), 2.0, device="cuda")
    out = graphed(new)
    assert sample.tolist() == new.tolist()  # copied into the captured input
    assert out is graphed.static_out
    with xptorch.no_grad():
        xptorch.testing.assert_close(out, net(new))
    assert _events(gpu, "launch") == ["launch"]
    with pytest.raises(TypeError, match="sample_args for each callable must contain only Tensors"):
        xptorch.cuda.make_graphed_callables(net, (3.0,))


def test_without_cuda_capture_says_why():
    if xptorch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(RuntimeError, match="CUDA graphs need a CUDA device: "):
        xptorch.cuda.CUDAGraph().capture_begin()


@pytest.mark.cuda
def test_graph_replays_a_training_free_forward_on_the_gpu():
    net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 8)).to("cuda").requires_grad_(False)
    x = xptorch.randn(32, 64, device="cuda")
    with xptorch.no_grad():
        want = net(x).cpu()
        graphed = xptorch.cuda.make_graphed_callables(net, (xptorch.zeros(32, 64, device="cuda"),))
        got = graphed(x)
        xptorch.cuda.synchronize()
    xptorch.testing.assert_close(got.cpu(), want)
    y = xptorch.randn(32, 64, device="cuda")
    with xptorch.no_grad():
        want2 = net(y).cpu()
        got2 = graphed(y).cpu()
    xptorch.testing.assert_close(got2, want2)


@pytest.mark.cuda
def test_graph_refuses_replay_after_reallocation_on_the_gpu():
    x = xptorch.ones(1024, device="cuda")
    g = xptorch.cuda.CUDAGraph()
    with xptorch.cuda.graph(g):
        y = x * 3
    g.replay()
    xptorch.cuda.synchronize()
    assert y.cpu().tolist() == [3.0] * 1024
    x.data = xptorch.zeros(1024, device="cuda")
    with pytest.raises(RuntimeError, match="reallocated"):
        g.replay()


def test_whole_training_step_captured_matches_eager(gpu):
    _train_step_graph_matches_eager()


def test_host_syncs_while_capturing_are_refused(gpu):
    x = xptorch.ones(4, device="cuda")
    g = xptorch.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="operation not permitted when stream is capturing"):
        with xptorch.cuda.graph(g):
            (x * 2).sum().item()
    assert not gpu.cuda.get_current_stream().is_capturing()


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_capturing_a_non_capturable_adam_step_is_refused(gpu, name):
    net = nn.Linear(3, 2).to("cuda")
    opt = getattr(xptorch.optim, name)(net.parameters())
    net(xptorch.ones(4, 3, device="cuda")).sum().backward()
    opt.step()
    assert not xptorch.cuda.is_current_stream_capturing()
    g = xptorch.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match=f"Attempting CUDA graph capture of step\\(\\) for an instance of {name} "
                                           "but param_groups' capturable is False."):
        with xptorch.cuda.graph(g):
            assert xptorch.cuda.is_current_stream_capturing()
            opt.step()


@pytest.mark.cuda
def test_whole_training_step_captured_matches_eager_on_the_gpu():
    _train_step_graph_matches_eager()
