"""Scale-out on Dask: map an lmpipe pipeline over a dask.bag or a dask.dataframe column.

    >>> import dask.bag as db
    >>> from distributed import Client
    >>> import lmpipe.dask
    >>> client = Client("tcp://scheduler:8786")            # or Client(LocalCluster(...))
    >>> emails = db.from_sequence(texts, npartitions=64)
    >>> results = lmpipe.dask.map_pipeline(emails, "zero-shot-classification", "facebook/bart-large-mnli",
    ...                                    candidate_labels=["spam", "not spam"]).compute()

Each worker process loads the model once, on its first partition, and keeps it for the life of
the process (cached_pipeline); the partition's texts go through the pipeline in calls of
`batch_size` texts. Results keep the input order. The model must be reachable from every
worker: a directory on a shared file system, or a Hub id (each worker uses its own Hugging Face
cache). Dask starts worker processes with OMP_NUM_THREADS=1, so each uses one engine thread per
process unless LMPIPE_NUM_THREADS says otherwise.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from . import ArgumentError, Pipeline, pipeline

__all__ = ["map_pipeline", "cached_pipeline"]

_pipelines: Dict[Tuple[str, str, Optional[str]], Pipeline] = {}
_pipelines_lock = threading.Lock()


def cached_pipeline(task: str, model: Optional[Union[str, os.PathLike]] = None,
                    dtype: Optional[str] = None) -> Pipeline:
    """The pipeline of (task, model, dtype) for this process, loaded on first use and kept.

    Safe to call from several threads at once: the model is loaded once.
    """
    model = "" if model is None else os.fspath(model)
    with _pipelines_lock:
        loaded = _pipelines.get((task, model, dtype))
        if loaded is None:
            loaded = pipeline(task, model, dtype)
            _pipelines[(task, model, dtype)] = loaded
        return loaded


@dataclass(frozen=True)
class _Job:
    """What a partition needs to run: sent to the workers with each task."""

    task: str
    model: str
    batch_size: int
    dtype: Optional[str] = None
    call_kwargs: Dict[str, Any] = field(default_factory=dict)

    def run(self, texts: List[Any]) -> List[Any]:
        pipe = cached_pipeline(self.task, self.model, self.dtype)
        results: List[Any] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            # One input returns one result (transformers unwraps some tasks' lists of one).
            if len(batch) == 1:
                results.append(pipe(batch[0], **self.call_kwargs))
            else:
                out = pipe(batch, **self.call_kwargs)
                if not isinstance(out, list) or len(out) != len(batch):
                    raise ArgumentError(f"{self.task}: {len(batch)} inputs gave {len(out) if isinstance(out, list) else 1} results")
                results.extend(out)
        return results


def _run_bag_partition(partition, job: _Job) -> List[Any]:
    return job.run(list(partition))


def _object_series(values: List[Any], index, name):
    import numpy as np
    import pandas as pd

    column = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):  # element by element: lists and arrays stay whole
        column[i] = value
    return pd.Series(column, index=index, name=name)


def _run_series_partition(series, job: _Job, result_column: str):
    return _object_series(job.run(series.tolist()), series.index, result_column)


def _run_frame_partition(frame, job: _Job, column: str, result_column: str):
    out = frame.copy(deep=False)
    out[result_column] = _object_series(job.run(frame[column].tolist()), frame.index, result_column)
    return out


def map_pipeline(collection, task: str, model: Optional[Union[str, os.PathLike]] = None, *,
                 column: Optional[str] = None, result_column: str = "result", batch_size: int = 32,
                 dtype: Optional[str] = None, **call_kwargs):
    """Runs ``pipeline(task, model)(text, **call_kwargs)`` on every text of a Dask collection.

    Args:
        collection: a ``dask.bag.Bag`` of inputs, a ``dask.dataframe.Series`` of inputs, or a
            ``dask.dataframe.DataFrame`` with the inputs in one column.
        task, model: as ``lmpipe.pipeline``; the model must be reachable from every worker.
        column: the DataFrame's column of inputs. When None: the frame's only column, else its
            column named "text". Not used for a bag or a Series.
        result_column: the name of the results' column (DataFrame, Series).
        batch_size: inputs per pipeline call within a partition.
        dtype: as ``lmpipe.pipeline``.
        **call_kwargs: the pipeline's keyword arguments, e.g. ``candidate_labels=[...]``.

    Returns:
        Lazily, in input order: a Bag of results for a Bag; a Series of results (same index)
        for a Series; for a DataFrame, the frame with every column carried through and the
        results added as `result_column`.
    """
    import dask.bag
    import dask.dataframe as dd
    import pandas as pd

    if not isinstance(batch_size, int) or batch_size < 1:
        raise ArgumentError(f"batch_size must be a positive integer, not {batch_size!r}")
    job = _Job(task, "" if model is None else os.fspath(model), batch_size, dtype, dict(call_kwargs))

    if isinstance(collection, dask.bag.Bag):
        return collection.map_partitions(_run_bag_partition, job)
    if isinstance(collection, dd.Series):
        meta = pd.Series([], dtype=object, name=result_column, index=collection._meta.index)
        return collection.map_partitions(_run_series_partition, job, result_column, meta=meta)
    if isinstance(collection, dd.DataFrame):
        columns = list(collection.columns)
        if column is None:
            if len(columns) == 1:
                column = columns[0]
            elif "text" in columns:
                column = "text"
            else:
                raise ArgumentError(f"column: which column holds the inputs? The frame has {columns}")
        if column not in columns:
            raise ArgumentError(f"column {column!r} is not in the frame's columns {columns}")
        if result_column in columns:
            raise ArgumentError(f"result_column {result_column!r} is already a column of the frame")
        meta = collection._meta.copy(deep=False)
        meta[result_column] = pd.Series([], dtype=object, index=meta.index)
        return collection.map_partitions(_run_frame_partition, job, column, result_column, meta=meta)
    raise ArgumentError(f"map_pipeline takes a dask.bag.Bag, dask.dataframe.Series or DataFrame, "
                        f"not {type(collection).__name__}")
