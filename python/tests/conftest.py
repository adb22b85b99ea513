"""Shared test helpers: where the golden fixtures are, tolerant comparison, the models' pipelines."""

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

import lmpipe

FIXTURES = Path(os.environ.get("LMPIPE_FIXTURES_DIR", Path(__file__).resolve().parents[2] / "tests" / "fixtures"))
MODELS = FIXTURES / "goldens" / "models"


def model_dir(name: str) -> str:
    return str(MODELS / name)


def expected(name: str) -> dict:
    with open(MODELS / name / "expected.json", encoding="utf-8") as f:
        return json.load(f)


def assert_close(got, want, where: str, atol: float = 1e-4, rtol: float = 1e-3) -> None:
    """Same structure; floats within atol + rtol*|want| (the goldens' fp32 tolerance); the rest exact."""
    if isinstance(want, float):
        assert isinstance(got, (float, np.floating)), f"{where}: {got!r} is not a float"
        assert math.isfinite(got) and abs(got - want) <= atol + rtol * abs(want), f"{where}: {got} vs {want}"
    elif isinstance(want, list) and want and all(isinstance(x, (int, float, list)) for x in want) \
            and isinstance(got, np.ndarray):
        np.testing.assert_allclose(got, np.asarray(want, dtype=np.float64), atol=atol, rtol=rtol, err_msg=where)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, f"{where}[{i}]", atol, rtol)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{where}: keys {sorted(got)} vs {sorted(want)}"
        for key in want:
            assert_close(got[key], want[key], f"{where}['{key}']", atol, rtol)
    else:
        assert got == want, f"{where}: {got!r} vs {want!r}"


def pipeline_or_skip(task: str, model: str) -> lmpipe.Pipeline:
    """The pipeline, or a skip when this build does not have the task yet."""
    try:
        return lmpipe.pipeline(task, model=model)
    except lmpipe.ArgumentError as e:
        if "unknown task" in str(e):
            pytest.skip(f"{task} is not in this build")
        raise
