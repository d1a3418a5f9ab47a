"""`xptorch tour --out` into a folder that cannot take the report fails before running and
publishes nothing; staging folders of killed runs are removed by the next run."""
import os
import subprocess
import sys

import pytest

from xptorch import cli
from xptorch import tour


@pytest.mark.parametrize("name", ["summary.txt", "index.html", "loss.png"])
def test_folder_named_like_a_report_file_fails_before_running(tmp_path, capsys, name):
    out = tmp_path / "r"
    (out / name).mkdir(parents=True)
    (out / "metrics.csv").write_text("old")
    rc = cli.main(["tour", "--steps", "2", "--out", str(out)])
    captured = capsys.readouterr()
    assert rc != 0
    assert f"{out / name} is a folder" in captured.err and "Traceback" not in captured.err
    assert "In [1]:" not in captured.out  # nothing ran
    assert sorted(os.listdir(out)) == sorted([name, "metrics.csv"]) and (out / "metrics.csv").read_text() == "old"
    assert os.listdir(tmp_path) == ["r"]


def test_publish_checks_every_target_before_moving_any(tmp_path):
    stage, out = tmp_path / "stage", tmp_path / "out"
    stage.mkdir()
    out.mkdir()
    for n in ("a.txt", "b.txt"):
        (stage / n).write_text("new")
    (out / "a.txt").write_text("old")
    (out / "b.txt").mkdir()
    with pytest.raises(tour.ReportDirError, match="b.txt is a folder"):
        tour._publish(str(stage), str(out))
    assert (out / "a.txt").read_text() == "old" and sorted(os.listdir(stage)) == ["a.txt", "b.txt"]


def test_staging_folder_of_a_killed_run_is_removed_by_the_next(tmp_path, capsys):
    code = (
        "import os, signal, sys; sys.path.insert(0, sys.argv[2])\n"
        "from xptorch.tour import _prepare_out\n"
        "out, stage = _prepare_out(sys.argv[1])\n"
        "open(os.path.join(stage, 'summary.txt'), 'w').write('half')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    src = os.path.dirname(os.path.dirname(tour.__file__))
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "r"), src], timeout=60)
    assert r.returncode == -9
    left = os.listdir(tmp_path)
    assert len(left) == 1 and left[0].startswith(".xptorch-report-")
    assert cli.main(["tour", "--steps", "2", "--out", str(tmp_path / "r")]) == 0
    assert os.listdir(tmp_path) == ["r"]
