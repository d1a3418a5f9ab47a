"""save's file handling: missing folders as torch reports them, atomic writes, stale temporaries
of killed writers removed, and views whose extent dwarfs their storage refused on load."""
import io
import json
import os
import subprocess
import sys

import pytest
import torch

import xptorch
from xptorch.serialization import load, save
from xptorch._staging import staging_name

from test_serialization import _set, _with_doc, load_bytes


def test_missing_folder_raises_torchs_error(tmp_path):
    target = tmp_path / "no" / "such" / "x.pt"
    with pytest.raises(RuntimeError) as theirs:
        torch.save({"a": torch.ones(2)}, target)
    with pytest.raises(RuntimeError) as ours:
        save({"a": xptorch.ones(2)}, target)
    assert str(ours.value) == str(theirs.value)
    assert not (tmp_path / "no").exists()


def test_save_into_a_folder_path_is_refused_and_leaves_it(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        save({"a": xptorch.ones(2)}, tmp_path / "d")
    assert (tmp_path / "d").is_dir() and os.listdir(tmp_path) == ["d"]


def _dead_pid():
    p = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                       check=True, timeout=60)
    return int(p.stdout)


def test_killed_save_leaves_a_named_temporary_that_the_next_save_removes(tmp_path):
    # A writer killed mid-save: its temporary stays, the target does not appear.
    code = (
        "import os, signal, sys; sys.path.insert(0, sys.argv[2])\n"
        "from xptorch._staging import staging_name\n"
        "p = os.path.join(sys.argv[1], staging_name('.xptorch-save-') + '.tmp')\n"
        "open(p, 'wb').write(b'half a file')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    src = os.path.dirname(os.path.dirname(xptorch.__file__))
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path), src], timeout=60)
    assert r.returncode == -9
    left = os.listdir(tmp_path)
    assert len(left) == 1 and left[0].startswith(".xptorch-save-")
    # Another live writer's temporary (this process) is not touched.
    mine = tmp_path / (staging_name(".xptorch-save-") + ".tmp")
    mine.write_bytes(b"in progress")
    save({"a": xptorch.arange(3.0)}, tmp_path / "x.pt")
    assert sorted(os.listdir(tmp_path)) == sorted([mine.name, "x.pt"])
    assert load(tmp_path / "x.pt")["a"].tolist() == [0.0, 1.0, 2.0]


def test_stale_temporary_of_a_dead_writer_is_removed_but_foreign_files_kept(tmp_path):
    dead = tmp_path / f".xptorch-save-{_dead_pid()}-0000.tmp"
    dead.write_bytes(b"x")
    other = tmp_path / ".xptorch-save-notapid.tmp"
    other.write_bytes(b"y")
    save(xptorch.ones(1), tmp_path / "y.pt")
    assert not dead.exists() and other.exists()


def test_failed_save_leaves_neither_target_nor_temporary(tmp_path, monkeypatch):
    import safetensors.numpy as st

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(st, "save_file", boom)
    with pytest.raises(KeyboardInterrupt):
        save(xptorch.ones(2), tmp_path / "z.pt")
    assert os.listdir(tmp_path) == []


def test_overwrite_is_atomic_old_file_intact_on_failure(tmp_path, monkeypatch):
    import safetensors.numpy as st

    save({"v": xptorch.ones(2)}, tmp_path / "w.pt")
    monkeypatch.setattr(st, "save_file", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left")))
    with pytest.raises(OSError):
        save({"v": xptorch.zeros(2)}, tmp_path / "w.pt")
    assert load(tmp_path / "w.pt")["v"].tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == ["w.pt"]


@pytest.mark.parametrize("shape, strides", [([10**6, 10**6], [0, 0]), ([10**12], [0])])
def test_stride_zero_view_far_larger_than_its_storage_is_refused(shape, strides):
    def edit(doc):
        _set(["tensors", 1, "shape"], shape)(doc)
        _set(["tensors", 1, "strides"], strides)(doc)

    with pytest.raises(ValueError, match=r"invalid file: tensor #1: a view of \d+ elements .* is refused"):
        load_bytes(_with_doc(edit))


def test_modest_expanded_view_still_loads():
    x = xptorch.arange(3.0)
    obj = {"x": x, "e": x.expand(4, 3)}
    buf = io.BytesIO()
    save(obj, buf)
    got = load(io.BytesIO(buf.getvalue()))
    assert got["e"].tolist() == [[0.0, 1.0, 2.0]] * 4
