"""`xptorch tour` end to end on the CPU: the report files, their validity, and failing fast."""
import csv
import io
import json
import os
import re
from html.parser import HTMLParser

import pytest

import xptorch
from xptorch import cli
from xptorch.monitor.export import CSV_COLUMNS
from xptorch.tour import Progress

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPORT = {"summary.txt", "metrics.csv", "metrics.json", "weight_norms.png", "grad_norms.png", "loss.png",
          "index.html"}


class Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href"):
                self.refs.append(v)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour") / "r"
    buf = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(buf):
        rc = cli.main(["tour", "--device", "cpu", "--steps", "20", "--out", str(out)])
    return rc, out, buf.getvalue()


def test_tour_succeeds_and_writes_every_file(report):
    rc, out, _ = report
    assert rc == 0
    assert set(os.listdir(out)) == REPORT


def test_tour_prints_the_notebook(report):
    _, out, text = report
    for snippet in ("In [1]:", "Parameter containing:", "xptorch.Size([8, 4])", "grad_fn=<AddmmBackward0>",
                    "(0): Linear(in_features=4, out_features=8, bias=True)", "2 uses of the shared layer",
                    "Total params: 121", "2.weight = 4.weight", "20/20 100%", f"Report written to {out}"):
        assert snippet in text, snippet
    # Each tie check prints True (no False anywhere in those cells).
    ties = text[text.index("Tied parameters"):text.index("A summary table")]
    assert "False" not in ties and ties.count("True") >= 5


def test_pngs_decode(report):
    mpimg = pytest.importorskip("matplotlib.image")
    _, out, _ = report
    for name in ("weight_norms.png", "grad_norms.png", "loss.png"):
        path = out / name
        with open(path, "rb") as f:
            assert f.read(8) == PNG_SIGNATURE
        img = mpimg.imread(str(path))
        assert img.ndim == 3 and min(img.shape[:2]) > 100


def test_csv_and_json(report):
    _, out, _ = report
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    # 20 steps are each recorded (short runs sample every step), 6 unique parameters each.
    assert len(rows) == 20 * 6
    assert sorted({int(r["step"]) for r in rows}) == list(range(1, 21))
    assert "2.weight;4.weight" in {r["names"] for r in rows}
    with open(out / "metrics.json") as f:
        doc = json.load(f)
    assert doc["steps"] == 20 and len(doc["records"]) == len(rows)
    losses = [s["loss"] for s in doc["scalars"]]
    assert len(losses) == 20 and all(isinstance(v, float) for v in losses)


def test_html_references_existing_files_and_shows_the_final_loss(report):
    _, out, _ = report
    html = (out / "index.html").read_text()
    p = Refs()
    p.feed(html)
    assert p.refs, "no references"
    for ref in p.refs:
        assert not os.path.isabs(ref) and (out / ref).is_file(), ref
    assert {"weight_norms.png", "grad_norms.png", "metrics.csv", "metrics.json"} <= set(p.refs)
    assert "Total params: 121" in html
    shown = float(re.search(r'id="final-loss">([^<]+)<', html).group(1))
    with open(out / "metrics.json") as f:
        last = json.load(f)["scalars"][-1]["loss"]
    assert shown == pytest.approx(last, rel=1e-5)


def test_summary_file(report):
    _, out, _ = report
    text = (out / "summary.txt").read_text()
    assert "Total params: 121" in text and "(72)" in text and "Output shape" in text


def test_unwritable_out_fails_fast_and_leaves_nothing(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    out = blocker / "report"
    rc = cli.main(["tour", "--steps", "5", "--out", str(out)])
    captured = capsys.readouterr()
    assert rc != 0
    assert str(out) in captured.err
    assert "In [1]:" not in captured.out  # nothing ran
    assert sorted(os.listdir(tmp_path)) == ["file.txt"]


def test_out_that_is_a_file_fails(tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("x")
    assert cli.main(["tour", "--steps", "5", "--out", str(out)]) != 0
    assert str(out) in capsys.readouterr().err
    assert out.read_text() == "x"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_parent_fails_fast(tmp_path, capsys):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        rc = cli.main(["tour", "--steps", "5", "--out", str(parent / "r")])
        assert rc != 0 and str(parent / "r") in capsys.readouterr().err
        assert os.listdir(parent) == []
    finally:
        parent.chmod(0o700)


def test_failure_during_the_run_leaves_no_report(tmp_path, monkeypatch, capsys):
    from xptorch import tour

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tour, "_write_html", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        cli.main(["tour", "--steps", "3", "--out", str(tmp_path / "r")])
    assert os.listdir(tmp_path) == []


def test_existing_folder_keeps_other_files(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "summary.txt").write_text("old")
    assert cli.main(["tour", "--steps", "2", "--out", str(out)]) == 0
    assert (out / "notes.txt").read_text() == "mine"
    assert "Total params" in (out / "summary.txt").read_text()
    assert set(os.listdir(out)) == REPORT | {"notes.txt"}


def test_cuda_without_a_gpu_is_a_clear_error(tmp_path, capsys):
    if xptorch.cuda.is_available():
        pytest.skip("a GPU is present")
    rc = cli.main(["tour", "--device", "cuda", "--steps", "2", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc != 0 and xptorch.cuda.why_unavailable() in err
    assert os.listdir(tmp_path) == []


def test_bad_steps(capsys):
    assert cli.main(["tour", "--steps", "0"]) != 0
    assert "--steps" in capsys.readouterr().err


@pytest.mark.cuda
def test_tour_on_gpu(tmp_path, capsys):
    assert cli.main(["tour", "--device", "cuda", "--steps", "10", "--out", str(tmp_path / "r")]) == 0
    assert "device='cuda:0'" in capsys.readouterr().out
    assert set(os.listdir(tmp_path / "r")) == REPORT


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_one_line_per_tenth_when_not_a_terminal():
    buf = io.StringIO()
    bar = Progress(95, stream=buf)
    for i in range(1, 96):
        bar.update(i, loss=xptorch.tensor(0.5))
    bar.close()
    lines = buf.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1].startswith("train [" + "#" * 28 + "] 95/95 100%") and "loss 0.5000" in lines[-1]
    assert "\r" not in buf.getvalue()


def test_progress_redraws_in_place_on_a_terminal():
    buf = FakeTTY()
    bar = Progress(50, stream=buf, min_interval=0.0)
    for i in range(1, 51):
        bar.update(i)
    bar.close()
    text = buf.getvalue()
    assert text.count("\r") == 50 and text.endswith("\n") and text.count("\n") == 1
    assert "50/50 100%" in text
