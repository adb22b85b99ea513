"""Builds the lmpipe Python package: setuptools drives the project's CMake build (the C++ engine
and its pybind11 module, target lmpipe_python) and packages the module with python/lmpipe/.

    python3 -m venv --system-site-packages .venv   # Debian's numpy, pandas, dask stay visible
    .venv/bin/pip install --no-build-isolation ./python

Needs what scripts/setup.sh installs (compiler, CMake, the libraries, python3-dev, pybind11-dev).
The CMake build goes to setuptools' build_temp; LMPIPE_CMAKE_BUILD_DIR names an already
configured build tree to use instead (it is built, not reconfigured: its Python must be this one).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent.parent  # the repository: CMakeLists.txt, src/, include/


def project_version() -> str:
    match = re.search(r"project\(lmpipe VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text())
    if not match:
        raise RuntimeError(f"{ROOT / 'CMakeLists.txt'}: no project(lmpipe VERSION ...)")
    return match.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        given = os.environ.get("LMPIPE_CMAKE_BUILD_DIR")
        build_dir = Path(given).resolve() if given else Path(self.build_temp).resolve() / "cmake"
        if not given:
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build_dir), *generator, "-DCMAKE_BUILD_TYPE=Release",
                            f"-DPython3_EXECUTABLE={sys.executable}", "-DLMPIPE_BUILD_TESTS=OFF",
                            "-DLMPIPE_BUILD_BENCH=OFF"], check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "lmpipe_python", "-j", jobs], check=True)
        built = sorted((build_dir / "python" / "lmpipe").glob("_lmpipe*.so"))
        if not built:
            raise RuntimeError(f"{build_dir}: the build made no python/lmpipe/_lmpipe*.so (are python3-dev and "
                               "pybind11-dev installed?)")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    name="lmpipe",
    version=project_version(),
    description="Hugging Face transformers pipelines on a C++ engine, shaped like transformers",
    packages=["lmpipe"],
    package_data={"lmpipe": ["*.pyi", "py.typed"]},
    ext_modules=[Extension("lmpipe._lmpipe", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy"],
    extras_require={"dask": ["dask[dataframe]", "distributed", "pandas"]},
    zip_safe=False,
)
