"""`pip install --no-build-isolation ./python` into a virtual environment, as the README says.

setup.py is pointed at the build tree ctest runs in (LMPIPE_CMAKE_BUILD_DIR), so this checks the
packaging (setup.py, the package's files, the module's place) without compiling everything again.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import model_dir

PYTHON_DIR = Path(__file__).resolve().parents[1]
BUILD_DIR = os.environ.get("LMPIPE_CMAKE_BUILD_DIR")


@pytest.mark.skipif(not BUILD_DIR, reason="LMPIPE_CMAKE_BUILD_DIR (set by ctest) names no build tree")
def test_pip_install_into_a_venv(tmp_path):
    # pip builds in the source folder: build a copy, beside a link to the CMakeLists.txt setup.py reads.
    shutil.copytree(PYTHON_DIR, tmp_path / "python", ignore=shutil.ignore_patterns("tests", "__pycache__", "build"))
    (tmp_path / "CMakeLists.txt").symlink_to(PYTHON_DIR.parent / "CMakeLists.txt")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = dict(os.environ, LMPIPE_CMAKE_BUILD_DIR=BUILD_DIR, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-build-isolation", str(tmp_path / "python")],
                   check=True, env=env, cwd=tmp_path)
    script = (
        "import lmpipe, lmpipe.dask, pathlib\n"
        f"clf = lmpipe.pipeline('zero-shot-classification', model={model_dir('tiny-bart-mnli')!r})\n"
        "print(clf('Get a free iPhone now!', ['spam', 'not spam'])['labels'])\n"
        "package = pathlib.Path(lmpipe.__file__).parent\n"
        "print(package, sorted(p.name for p in package.iterdir() if p.suffix in ('.pyi', '.typed')))\n")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", script], check=True, env=env, cwd=tmp_path,
                         capture_output=True, text=True).stdout.splitlines()
    assert sorted(eval(out[0])) == ["not spam", "spam"]
    package, stubs = out[1].split(" ", 1)
    assert package.startswith(str(venv)) and "site-packages" in package
    assert stubs == "['_lmpipe.pyi', 'py.typed']"
