"""The .cu sources are shipped inside the wheel and found from a wheel install or from the checkout."""
import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from xptorch.backend import kernel_source

ROOT = Path(__file__).resolve().parents[2]
CU_FILES = sorted(p.name for p in (ROOT / "kernels").glob("*.cu"))


def test_the_checkout_has_the_kernels_the_launchers_use():
    assert {"philox.cu", "prelude.cu", "relu.cu", "linear_epilogue.cu"} <= set(CU_FILES)
    assert kernel_source.names() == CU_FILES


@pytest.mark.parametrize("name", CU_FILES)
def test_every_source_is_found_and_read_whole(name):
    assert kernel_source.read(name) == (ROOT / "kernels" / name).read_text(encoding="utf-8")


def test_roots_try_the_package_first_and_the_checkout_last():
    roots = [str(r) for r in kernel_source._roots()]
    assert roots[0] == str(Path(kernel_source.__file__).resolve().parents[1] / "kernels")
    assert roots[-1] == str(ROOT / "kernels")


def test_first_root_holding_the_file_wins(tmp_path, monkeypatch):
    first, second = tmp_path / "packaged", tmp_path / "checkout"
    for d in (first, second):
        d.mkdir()
        (d / "relu.cu").write_text(f"// {d.name}\n")
    monkeypatch.setattr(kernel_source, "_roots", lambda: [first, second])
    assert kernel_source.read("relu.cu") == "// packaged\n"
    (first / "relu.cu").unlink()
    assert kernel_source.read("relu.cu") == "// checkout\n"
    assert kernel_source.names() == ["relu.cu"]


def test_missing_source_names_every_path_tried(tmp_path, monkeypatch):
    roots = [tmp_path / "site-packages" / "xptorch" / "kernels", tmp_path / "repo" / "kernels"]
    roots[1].mkdir(parents=True)
    monkeypatch.setattr(kernel_source, "_roots", lambda: roots)
    with pytest.raises(FileNotFoundError) as err:
        kernel_source.source("prelude.cu", "relu.cu")
    msg = str(err.value)
    assert "'prelude.cu'" in msg
    for r in roots:
        assert str(r / "prelude.cu") in msg
    assert kernel_source.names() == []


def test_sources_concatenate_in_order_with_line_markers():
    text = kernel_source.source("prelude.cu", "relu.cu")
    a, b = text.index('#line 1 "prelude.cu"\n'), text.index('#line 1 "relu.cu"\n')
    assert a == 0 < b
    assert kernel_source.read("prelude.cu") in text[a:b]
    assert text[b:].endswith(kernel_source.read("relu.cu") + "\n")
    assert not re.search(r"^\s*#\s*include", kernel_source.source(*CU_FILES), re.M)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.append("--no-build-isolation")
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=out)
    assert run.returncode == 0, run.stdout + run.stderr
    (whl,) = out.glob("xptorch-*.whl")
    return whl


def test_wheel_ships_every_kernel_source(wheel):
    with zipfile.ZipFile(wheel) as z:
        shipped = {n.split("/")[-1]: z.read(n) for n in z.namelist() if n.startswith("xptorch/kernels/")}
    assert sorted(shipped) == CU_FILES
    for name, data in shipped.items():
        assert data == (ROOT / "kernels" / name).read_bytes(), name


def test_installed_wheel_finds_its_own_copy(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    code = "from xptorch.backend import kernel_source as k; print(k.path('relu.cu')); print(len(k.source(*k.names())))"
    env = dict(os.environ, PYTHONPATH=str(site))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    found, size = run.stdout.split()
    assert Path(found) == site / "xptorch" / "kernels" / "relu.cu"
    assert int(size) == len(kernel_source.source(*CU_FILES))
