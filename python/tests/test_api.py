"""The package's API: errors as Python exceptions, threads, argument conversion, load_count."""

import os
import pickle
import shutil
import threading
import time

import numpy as np
import pytest

import lmpipe
from conftest import model_dir

TASK = "zero-shot-classification"
LABELS = ["spam", "not spam", "work"]


@pytest.fixture(scope="module")
def classifier():
    return lmpipe.pipeline(TASK, model=model_dir("tiny-bart-mnli"))


def texts(n):
    words = "meeting invoice free prize tomorrow urgent lunch report account password holiday".split()
    return [" ".join(words[(i * 7 + j) % len(words)] for j in range(3 + i % 17)) + f" #{i}" for i in range(n)]


# --- loading ---------------------------------------------------------------------------------

def test_unknown_task_is_a_value_error():
    with pytest.raises(ValueError, match="unknown task 'no-such-task'") as e:
        lmpipe.pipeline("no-such-task", model=model_dir("tiny-bart-mnli"))
    assert isinstance(e.value, lmpipe.ArgumentError) and isinstance(e.value, lmpipe.Error)


def test_missing_model_directory_is_an_os_error():
    with pytest.raises(OSError, match="nonexistent") as e:
        lmpipe.pipeline(TASK, model="/nonexistent/model/dir")
    assert isinstance(e.value, lmpipe.LoadError) and isinstance(e.value, lmpipe.Error)


def test_missing_file_is_an_os_error(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(model_dir("tiny-bart-mnli"), model)
    (model / "config.json").unlink()
    with pytest.raises(OSError, match="config.json"):
        lmpipe.pipeline(TASK, model=model)  # an os.PathLike is accepted as in transformers


def test_hub_model_not_in_cache_offline_is_an_os_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(lmpipe.LoadError, match="HF_HUB_OFFLINE"):
        lmpipe.pipeline(TASK, model="some-org/some-model")


def test_dtype_is_chosen_at_load():
    text, labels = "Get a free iPhone now!", ["spam", "not spam"]
    exact = lmpipe.pipeline(TASK, model=model_dir("tiny-bart-mnli"))(text, candidate_labels=labels)
    for dtype, bound in (("float32", 0.0), ("bfloat16", 0.005), ("int8", 0.02)):
        got = lmpipe.pipeline(TASK, model=model_dir("tiny-bart-mnli"), dtype=dtype)(text, candidate_labels=labels)
        assert set(got["labels"]) == set(labels)
        for label, score in zip(exact["labels"], exact["scores"]):
            assert abs(got["scores"][got["labels"].index(label)] - score) <= bound
    with pytest.raises(ValueError, match="float16"):
        lmpipe.pipeline(TASK, model=model_dir("tiny-bart-mnli"), dtype="float16")


def test_bad_argument_types_at_load():
    with pytest.raises(ValueError):
        lmpipe.pipeline(42)
    with pytest.raises(ValueError):
        lmpipe.pipeline(TASK, model=3.5)


def test_load_count_counts_loads():
    before = lmpipe.load_count()
    lmpipe.pipeline(TASK, model=model_dir("tiny-distilbert-mnli"))
    assert lmpipe.load_count() == before + 1
    with pytest.raises(lmpipe.Error):
        lmpipe.pipeline(TASK, model="/nonexistent/model/dir")
    assert lmpipe.load_count() == before + 1


def test_pipeline_attributes(classifier):
    assert classifier.task == TASK
    assert classifier.model == model_dir("tiny-bart-mnli")
    assert classifier.inputs_name == "sequences" and classifier.positional == ["candidate_labels"]
    assert repr(classifier) == f"<lmpipe.Pipeline task='{TASK}' model='{model_dir('tiny-bart-mnli')}'>"
    assert lmpipe.__version__.count(".") == 2


# --- calling ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    ({}, "candidate_labels"),
    ({"candidate_labels": []}, "at least one label"),
    ({"candidate_labels": " , "}, "at least one label"),
    ({"candidate_labels": 5}, "candidate_labels"),
    ({"candidate_labels": ["a", 1]}, "candidate_labels"),
    ({"candidate_labels": LABELS, "hypothesis_template": "No placeholder."}, "hypothesis_template"),
    ({"candidate_labels": LABELS, "hypothesis_template": 7}, "hypothesis_template|invalid argument"),
    ({"candidate_labels": {"a", "b"}}, "candidate_labels: a pipeline takes"),
    ({"candidate_labels": LABELS, "multi_label": object()}, "multi_label"),
])
def test_bad_call_arguments_are_value_errors(classifier, kwargs, match):
    with pytest.raises(ValueError, match=match) as e:
        classifier("Hello there", **kwargs)
    assert isinstance(e.value, lmpipe.ArgumentError)


def test_empty_inputs_are_value_errors(classifier):
    with pytest.raises(ValueError, match="at least one"):
        classifier([], candidate_labels=LABELS)
    with pytest.raises(ValueError, match="empty text"):
        classifier("", candidate_labels=LABELS)


def test_extra_positional_arguments(classifier):
    with pytest.raises(ValueError, match="Unable to understand extra arguments"):
        classifier("Hello", LABELS, "This is {}.")


def test_inputs_given_twice_or_missing(classifier):
    with pytest.raises(TypeError, match="multiple values"):
        classifier("Hello", sequences="Hello", candidate_labels=LABELS)
    with pytest.raises(TypeError, match="multiple values"):
        classifier("Hello", LABELS, candidate_labels=LABELS)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'sequences'"):
        classifier(candidate_labels=LABELS)


def test_errors_survive_pickling(classifier):
    """Dask sends a worker's exception to the client pickled."""
    try:
        classifier("Hello", candidate_labels=[])
    except lmpipe.Error as e:
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is lmpipe.ArgumentError and str(again) == str(e)
    again = pickle.loads(pickle.dumps(lmpipe.LoadError("x: cannot open")))
    assert isinstance(again, OSError) and str(again) == "x: cannot open"


def test_results_have_python_types_and_shapes(classifier):
    one = classifier("Get a free iPhone now!", candidate_labels=LABELS)
    assert list(one) == ["sequence", "labels", "scores"]  # in Python's key order
    assert one["sequence"] == "Get a free iPhone now!"
    assert sorted(one["labels"]) == sorted(LABELS) and all(type(s) is float for s in one["scores"])
    many = classifier(["a b c", "d e f"], candidate_labels="spam, ham")
    assert isinstance(many, list) and [r["sequence"] for r in many] == ["a b c", "d e f"]
    assert classifier(("a b c",), candidate_labels=["x", "y"]) == [classifier("a b c", candidate_labels=["x", "y"])]


def test_numpy_and_pandas_arguments(classifier):
    import pandas as pd
    want = classifier(["hello world", "free money"], candidate_labels=["spam", "ham"], multi_label=True)
    got = classifier(np.array(["hello world", "free money"]), candidate_labels=np.array(["spam", "ham"]),
                     multi_label=np.bool_(True))
    assert got == want
    assert classifier(pd.Series(["hello world", "free money"]), candidate_labels=("spam", "ham"),
                      multi_label=True) == want


def test_unicode_round_trip(classifier):
    text = "2017년 google brain 팀은 transformer를 소개하였다 — ünïcödé 🎉"
    assert classifier(text, candidate_labels=["ü", "🎉"])["sequence"] == text


# --- threads ---------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["tiny-bart-mnli", "tiny-deberta-v3-nli", "tiny-roberta-mnli"])
def test_two_threads_give_the_sequential_results(model):
    clf = lmpipe.pipeline(TASK, model=model_dir(model))
    batches = [texts(12)[i:i + 4] for i in range(0, 12, 4)] + [[t] for t in texts(5)]
    sequential = [clf(b, candidate_labels=LABELS) for b in batches]
    results = [[None] * len(batches) for _ in range(2)]
    errors = []
    start = threading.Barrier(2)

    def worker(slot):
        try:
            start.wait()
            for _ in range(5):
                for i, b in enumerate(batches):
                    results[slot][i] = clf(b, candidate_labels=LABELS)
                    assert results[slot][i] == sequential[i], f"thread {slot}, batch {i}"
        except BaseException as e:  # noqa: B902 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results[0] == sequential and results[1] == sequential


def test_the_gil_is_released_while_computing(classifier):
    """Another Python thread runs while a call computes."""
    many = texts(300)
    span = {}

    def call():
        span["start"] = time.perf_counter()
        classifier(many, candidate_labels=LABELS)
        span["end"] = time.perf_counter()

    thread = threading.Thread(target=call)
    ticks = []
    thread.start()
    while thread.is_alive():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    thread.join()
    duration = span["end"] - span["start"]
    inside = [t for t in ticks if span["start"] + 0.1 * duration < t < span["end"] - 0.1 * duration]
    assert duration > 0.02 and len(inside) >= 5, (duration, len(inside))


# --- float arrays ------------------------------------------------------------------------------

def test_float_arrays_become_numpy_without_a_copy():
    """Pipeline::Result's arrays (features, embeddings) land where their JSON pointers say."""
    value = {"a": [None, {"b/c": None}], "n": 1}
    got = lmpipe._lmpipe._result_to_python(value, [("/a/0", [2, 3], [0, 1, 2, 3, 4, 5]), ("/a/1/b~1c", [2], [7, 8])])
    first, second = got["a"][0], got["a"][1]["b/c"]
    assert first.dtype == np.float32 and first.shape == (2, 3) and first.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert not first.flags.owndata and first.base is not None  # a view of the engine's buffer
    assert second.tolist() == [7, 8] and got["n"] == 1
    whole = lmpipe._lmpipe._result_to_python(None, [("", [1, 2], [0.5, 0.25])])
    assert whole.tolist() == [[0.5, 0.25]]
    with pytest.raises(lmpipe.Error, match="shape"):
        lmpipe._lmpipe._result_to_python(None, [("", [3], [1.0])])
