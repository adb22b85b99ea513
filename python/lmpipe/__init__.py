"""lmpipe: Hugging Face transformers pipelines run by a C++ engine, shaped like transformers.

    >>> import lmpipe
    >>> classifier = lmpipe.pipeline("zero-shot-classification", model="facebook/bart-large-mnli")
    >>> classifier("Get a free iPhone now!", candidate_labels=["spam", "not spam"],
    ...            hypothesis_template="This email is {}.")
    {'sequence': 'Get a free iPhone now!', 'labels': ['spam', 'not spam'], 'scores': [...]}

A pipeline takes the arguments and returns the values of the transformers pipeline of its task.
Calls release the GIL while the engine computes, so threads run calls in parallel; the engine's
own threads are set by LMPIPE_NUM_THREADS (default: all cores). `lmpipe.dask` maps a pipeline
over Dask collections.
"""

from __future__ import annotations

import os
from typing import Optional, Union

from ._lmpipe import ArgumentError, Error, LoadError, Pipeline
from . import _lmpipe

__version__ = _lmpipe.__version__
__all__ = ["pipeline", "Pipeline", "Error", "ArgumentError", "LoadError", "load_count"]


def pipeline(task: str, model: Optional[Union[str, os.PathLike]] = None, dtype: Optional[str] = None) -> Pipeline:
    """Loads the pipeline of `task`, as transformers' ``pipeline(task, model=...)``.

    Args:
        task: a transformers task name, e.g. ``"zero-shot-classification"``.
        model: a model directory laid out as on the Hugging Face Hub, or a Hub id (fetched into
            the cache Python's huggingface_hub uses, honouring HF_HOME, HF_HUB_OFFLINE, HF_TOKEN);
            None for the task's default model, as in transformers.
        dtype: the precision of the linear layers, chosen at load: None or ``"float32"`` (exact,
            as transformers computes in fp32), ``"bfloat16"`` (scores within 0.005) or ``"int8"``
            (per-channel int8 weights, dynamic activation quantization; scores within 0.02).

    Returns:
        A callable with the transformers pipeline's arguments and return values.

    Raises:
        ArgumentError (a ValueError): an unknown task, or a dtype this build cannot run.
        LoadError (an OSError): a model, file or directory that is missing or unreadable, or a Hub
            that cannot be reached.
        Error: a model that cannot be loaded for another reason (e.g. an unsupported architecture).
    """
    if not isinstance(task, str):
        raise ArgumentError(f"task must be a string, not {type(task).__name__}")
    if dtype is None:
        dtype = "float32"
    elif not isinstance(dtype, str):
        raise ArgumentError(f"dtype must be None or one of 'float32', 'bfloat16', 'int8', not {dtype!r}")
    if model is None:
        model = ""
    elif isinstance(model, os.PathLike):
        model = os.fspath(model)
    elif not isinstance(model, str):
        raise ArgumentError(f"model must be a directory or a Hub id (str or os.PathLike), not {type(model).__name__}")
    return _lmpipe.load(task, model, dtype)


def load_count() -> int:
    """How many models this process has loaded: one per lmpipe.pipeline() call that succeeded.

    A plain Python function, so Dask can send it to workers: ``client.run(lmpipe.load_count)``.
    """
    return _lmpipe.load_count()
