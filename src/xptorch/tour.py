"""The guided tour: the parameter-management notebooks run cell by cell, then a monitored training
run whose report (summary, metrics, plots, index.html) is written to a folder.

Each cell's code is printed and then executed exactly as shown, so what you read is what ran.
"""
import ast
import html
import os
import shutil
import sys
import time

from ._staging import staging_name, sweep_stale

__all__ = ["run_tour", "Progress", "ReportDirError", "pick_device"]

DEFAULT_STEPS = 200
DEFAULT_OUT = "xptorch-report"
REPORT_FILES = ("summary.txt", "metrics.csv", "metrics.json", "weight_norms.png", "grad_norms.png",
                "loss.png", "index.html")


class ReportDirError(OSError):
    """The report folder cannot be written."""


# ---- progress bar ---------------------------------------------------------------------------------
class Progress:
    """A text progress bar: redrawn in place on a terminal, one line per 10% otherwise.

    Extra fields (such as loss=tensor) are converted to numbers only when a line is drawn, so a
    GPU run is not synchronised on every step.
    """

    def __init__(self, total, stream=None, width=28, label="train", min_interval=0.1):
        self.total = max(int(total), 1)
        self.stream = stream if stream is not None else sys.stdout
        self.width = width
        self.label = label
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval = min_interval
        self._next_tenth = 1
        self._last_draw = 0.0
        self._start = time.perf_counter()
        self.n = 0

    def _line(self, n, fields):
        filled = self.width * n // self.total
        bar = "#" * filled + "." * (self.width - filled)
        pct = 100 * n // self.total
        rate = n / max(time.perf_counter() - self._start, 1e-9)
        extra = "".join(f"  {k} {float(v):.4f}" for k, v in fields.items())
        return f"{self.label} [{bar}] {n:>{len(str(self.total))}}/{self.total} {pct:3d}%  {rate:,.0f} it/s{extra}"

    def update(self, n, **fields):
        """Report that n of total steps are done."""
        self.n = n
        if self.tty:
            now = time.perf_counter()
            if n >= self.total or now - self._last_draw >= self.min_interval:
                self._last_draw = now
                self.stream.write("\r" + self._line(n, fields))
                self.stream.flush()
            return
        if 10 * n >= self._next_tenth * self.total:
            while 10 * n >= self._next_tenth * self.total:
                self._next_tenth += 1
            self.stream.write(self._line(n, fields) + "\n")
            self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# ---- notebook-style cells -------------------------------------------------------------------------
class _Notebook:
    """Prints each cell's code, runs it in one shared namespace, and shows its last expression."""

    def __init__(self, namespace, stream):
        self.ns = namespace
        self.stream = stream
        self.count = 0

    def say(self, text):
        self.stream.write("\n" + text.strip("\n") + "\n")

    def cell(self, code):
        code = code.strip("\n")
        self.count += 1
        self.stream.write(f"\nIn [{self.count}]:\n{code}\n\n")
        self.stream.flush()
        tree = ast.parse(code)
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        if last is not None:
            tree.body.pop()
        exec(compile(tree, f"<tour cell {self.count}>", "exec"), self.ns)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), f"<tour cell {self.count}>", "eval"), self.ns)
            if value is not None:
                self.stream.write(repr(value) + "\n")
        self.stream.flush()


# ---- report folder --------------------------------------------------------------------------------
_STAGE_PREFIX = ".xptorch-report-"

def _prepare_out(out):
    """A fresh staging folder for the report, created where the report will live.

    Raises ReportDirError naming `out` at once when it cannot be written, before any work.
    """
    out = os.path.abspath(os.fspath(out))
    try:
        if os.path.exists(out) and not os.path.isdir(out):
            raise ReportDirError(f"cannot write the report to {out}: it exists and is not a folder")
        if os.path.isdir(out):
            _check_targets(out, REPORT_FILES)
        parent = out if os.path.isdir(out) else os.path.dirname(out)
        os.makedirs(parent, exist_ok=True)
        sweep_stale(parent, _STAGE_PREFIX)  # folders of earlier runs that were killed
        stage = os.path.join(parent, staging_name(_STAGE_PREFIX))
        os.mkdir(stage, 0o700)
    except ReportDirError:
        raise
    except OSError as exc:
        raise ReportDirError(f"cannot write the report to {out}: {exc.strerror or exc}") from exc
    return out, stage


def _check_targets(out, names):
    """Every report file must be able to replace what `out` holds under its name."""
    for name in names:
        target = os.path.join(out, name)
        if os.path.isdir(target) and not os.path.islink(target):
            raise ReportDirError(f"cannot write the report to {out}: {target} is a folder")


def _publish(stage, out):
    """Move the finished report into place: a rename of the whole folder when `out` is new,
    else one atomic replace per file (other files already in `out` are left alone)."""
    if not os.path.isdir(out):
        os.replace(stage, out)
        return
    names = os.listdir(stage)
    _check_targets(out, names)  # again, all before the first move: nothing is published by halves
    for name in names:
        os.replace(os.path.join(stage, name), os.path.join(out, name))
    os.rmdir(stage)


def pick_device(choice):
    """'auto' -> 'cuda' when a CUDA GPU is usable, else 'cpu'; 'cuda' without one is an error."""
    from . import cuda

    if choice == "auto":
        return "cuda" if cuda.is_available() else "cpu"
    if choice == "cuda" and not cuda.is_available():
        raise RuntimeError(f"--device cuda was asked for but CUDA is not available: {cuda.why_unavailable()}")
    if choice not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {choice!r}: use auto, cpu or cuda")
    return choice


# ---- the tour -------------------------------------------------------------------------------------
_SETUP = """
import xptorch as torch
from xptorch import nn
from xptorch.nn import init

torch.manual_seed(0)
device = {device!r}
"""

_PARAMS = [
    ("A multilayer perceptron with one hidden layer, on the chosen device.", """
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).to(device)
X = torch.rand(2, 4, device=device)
net(X)
"""),
    ("Parameter access: a layer's state_dict, a Parameter, its data, and .grad before any backward.", """
print(net[2].state_dict())
"""),
    (None, """
print(type(net[2].bias))
print(net[2].bias)
print(net[2].bias.data)
"""),
    (None, """
net[2].weight.grad == None
"""),
    ("All parameters at once, from one layer and from the whole network.", """
print(*[(name, param.shape) for name, param in net[0].named_parameters()])
print(*[(name, param.shape) for name, param in net.named_parameters()])
"""),
    (None, """
net.state_dict()['2.bias'].data
"""),
    ("Parameters of nested blocks get dotted names.", """
def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())

def block2():
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f'block {i}', block1())
    return net

rgnet = nn.Sequential(block2(), nn.Linear(4, 1)).to(device)
print(rgnet)
rgnet[0][1][0].bias.data
"""),
]

_INIT = [
    ("Built-in initialisers, applied to every Linear with Module.apply.", """
def init_normal(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, mean=0, std=0.01)
        nn.init.zeros_(m.bias)

net.apply(init_normal)
net[0].weight.data[0], net[0].bias.data[0]
"""),
    (None, """
def init_constant(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)

net.apply(init_constant)
net[0].weight.data[0], net[0].bias.data[0]
"""),
    ("Different initialisers for different layers: Xavier for the first, the constant 42 for the last.", """
def xavier(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)

def init_42(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 42)

net[0].apply(xavier)
net[2].apply(init_42)
print(net[0].weight.data[0])
print(net[2].weight.data)
"""),
]

_CUSTOM_MASKED = ("""A custom initialiser: w ~ U(5, 10) with probability 1/4, 0 with probability 1/2, U(-10, -5) with
probability 1/4 (U(-10, 10) with |w| < 5 set to 0), in one pass with init.masked_uniform_.""", """
def my_init(m):
    if type(m) == nn.Linear:
        print("Init", *[(name, param.shape) for name, param in m.named_parameters()][0])
        nn.init.masked_uniform_(m.weight, a=10, threshold=5)

net.apply(my_init)
net[0].weight[:2]
""")

_CUSTOM_RECIPE = ("""A custom initialiser: w ~ U(5, 10) with probability 1/4, 0 with probability 1/2, U(-10, -5) with
probability 1/4 (U(-10, 10) with |w| < 5 set to 0).""", """
def my_init(m):
    if type(m) == nn.Linear:
        print("Init", *[(name, param.shape) for name, param in m.named_parameters()][0])
        nn.init.uniform_(m.weight, -10, 10)
        m.weight.data *= m.weight.data.abs() >= 5

net.apply(my_init)
net[0].weight[:2]
""")

_TIES = [
    ("Tied parameters: one layer used twice is one set of parameters under two names.", """
shared = nn.Linear(8, 8)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared,
                    nn.ReLU(), nn.Linear(8, 1)).to(device)
net(X)
print(net[2].weight.data[0] == net[4].weight.data[0])
print(id(net[2].weight) == id(net[4].weight), net[2].weight is net[4].weight)
"""),
    ("An in-place edit through one name is seen through the other.", """
net[2].weight.data[0, 0] = 100
net[2].bias.data[7] = 100
print(net[2].weight.data[0] == net[4].weight.data[0])
print(net[4].weight.data[0, 0].item(), net[4].bias.data[7].item())
print(nn.utils.tied_parameters(net))
"""),
    ("""The shared layer's gradient is the sum over its uses. Hooks record, for each call, the input x
(forward hook) and the output's gradient g (tensor hook); that use's weight gradient is g^T x.""", """
with torch.no_grad():
    net[2].weight[0, 0] = 0.1
    net[2].bias[7] = 0.1
uses = []

def remember(module, args, out):
    use = {'x': args[0].detach()}
    out.register_hook(lambda g: use.__setitem__('g', g))
    uses.append(use)

handle = shared.register_forward_hook(remember)
net.zero_grad()
net(X).sum().backward()
handle.remove()
per_use = [u['g'].T @ u['x'] for u in uses]
print(len(per_use), 'uses of the shared layer')
print(torch.allclose(per_use[0] + per_use[1], shared.weight.grad, atol=1e-6))
print(torch.allclose(uses[0]['g'].sum(0) + uses[1]['g'].sum(0), shared.bias.grad, atol=1e-6))
"""),
]

_SUMMARY = ("A summary table: each tied parameter is counted once.", """
from xptorch.monitor import summary
print(summary(net, input_size=(2, 4)))
""")

_TRAIN_SETUP = ("""The exercise: an MLP with a shared layer, trained on synthetic regression data, watching every
layer's parameters and gradients with a Monitor that follows the optimizer.""", """
from xptorch import optim
from xptorch.monitor import Monitor
from xptorch.tour import Progress
from xptorch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
shared = nn.Linear(8, 8)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared,
                      nn.ReLU(), nn.Linear(8, 1)).to(device)
features = torch.randn(512, 4, device=device)
w_true = torch.tensor([[1.5], [-2.0], [0.5], [1.0]], device=device)
labels = torch.tanh(features @ w_true) + 0.5 * features[:, :1] ** 2
loader = DataLoader(TensorDataset(features, labels), batch_size=64, shuffle=True,
                    generator=torch.Generator().manual_seed(0))
optimizer = optim.Adam(model.parameters(), lr=1e-2)
loss_fn = {loss_fn}
monitor = Monitor(model, every={every}, optimizer=optimizer)
monitor
""")

_TRAIN_LOOP = (None, """
step = 0
bar = Progress(steps)
while step < steps:
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()            # the monitor records here on sampled steps
        step += 1
        monitor.log(loss=loss)      # kept on sampled steps only
        bar.update(step, loss=loss)
        if step == steps:
            break
bar.close()
""")

_OBSERVE = [
    ("What the monitor saw at the first step and at the last recorded one (tied parameters once).", """
first = [r for r in monitor.records if r['step'] == 1]
print(monitor.table(first))
print(monitor.table())
"""),
    (None, """
monitor.history('grad_norm', '4.weight')[1][-3:]
"""),
]


def _loss_expr():
    from . import nn

    return "nn.MSELoss()" if hasattr(nn, "MSELoss") else "lambda out, target: ((out - target) ** 2).mean()"


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def run_tour(device="auto", steps=DEFAULT_STEPS, out=DEFAULT_OUT, every=None):
    """Run the tour on stdout and write the report; returns the report folder's path.

    Raises ReportDirError (before any work) when `out` cannot be written.
    """
    from . import nn
    from .monitor import DEFAULT_EVERY

    stream = sys.stdout
    if int(steps) < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    steps = int(steps)
    dev = pick_device(device)
    out, stage = _prepare_out(out)
    try:
        ns = {"steps": steps}
        book = _Notebook(ns, stream)
        book.say(f"xptorch tour on {dev}: the parameter-management notebooks, then a monitored training run.")
        if device == "auto" and dev == "cpu":
            from . import cuda

            book.say(f"Running on CPU because CUDA is not available: {cuda.why_unavailable()}")
        book.cell(_SETUP.format(device=dev))
        custom = _CUSTOM_MASKED if hasattr(nn.init, "masked_uniform_") else _CUSTOM_RECIPE
        for text, code in _PARAMS + _INIT + [custom] + _TIES + [_SUMMARY]:
            if text:
                book.say(text)
            book.cell(code)
        every = every if every is not None else (1 if steps <= 50 else DEFAULT_EVERY)
        text, code = _TRAIN_SETUP
        book.say(text)
        book.cell(code.format(loss_fn=_loss_expr(), every=every))
        book.cell(_TRAIN_LOOP[1])
        for text, code in _OBSERVE:
            if text:
                book.say(text)
            book.cell(code)
        files = _write_report(stage, ns, dev, steps, stream)
        _publish(stage, out)
        stage = None
        book.say("Report written to " + out + ":\n" + "\n".join("  " + f for f in files))
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    return out


def _write_report(stage, ns, dev, steps, stream):
    from .monitor import save_plots, summary, write_csv, write_json

    model, monitor = ns["model"], ns["monitor"]
    final_loss = float(ns["loss"].item())
    table = summary(model, input_size=(2, 4))
    with open(os.path.join(stage, "summary.txt"), "w", encoding="utf-8") as f:
        f.write(table + "\n")
    write_csv(monitor, os.path.join(stage, "metrics.csv"))
    write_json(monitor, os.path.join(stage, "metrics.json"))
    plots = []
    if _has_matplotlib():
        plots = [os.path.basename(p) for p in save_plots(monitor, stage)]
    else:
        stream.write("\nmatplotlib is not installed, so the report has no plots: pip install 'xptorch[viz]'\n")
    _write_html(os.path.join(stage, "index.html"), table, monitor, plots, dev, steps, final_loss)
    return sorted(os.listdir(stage))


def _write_html(path, table, monitor, plots, dev, steps, final_loss):
    from ._version import __version__

    imgs = "\n".join(f'<figure><img src="{html.escape(p)}" alt="{html.escape(p)}"><figcaption>{html.escape(p)}'
                     "</figcaption></figure>" for p in plots)
    doc = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>xptorch training report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 64em; color: #222; }}
pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }}
figure {{ display: inline-block; margin: 0.5em; }}
img {{ max-width: 30em; border: 1px solid #ddd; }}
</style>
</head>
<body>
<h1>xptorch training report</h1>
<p>xptorch {html.escape(__version__)} on <b>{html.escape(dev)}</b>, {steps} steps,
parameters recorded {"every step" if monitor.every == 1 else f"every {monitor.every} steps"}.</p>
<p>Final loss: <b id="final-loss">{final_loss:.6g}</b></p>
<h2>Model</h2>
<pre>{html.escape(table)}</pre>
<h2>Parameters and gradients over the steps</h2>
{imgs}
<h2>Last recorded step</h2>
<pre>{html.escape(monitor.table())}</pre>
<h2>Data</h2>
<ul>
<li><a href="metrics.csv">metrics.csv</a>: one row per recorded step and parameter</li>
<li><a href="metrics.json">metrics.json</a>: the same records, with the loss</li>
<li><a href="summary.txt">summary.txt</a>: the model summary</li>
</ul>
</body>
</html>
"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)
