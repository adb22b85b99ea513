"""lmpipe.dask on a LocalCluster of 2 worker processes: 400 texts in 8 partitions give exactly the
results of one process, in order, with other columns carried through, and each worker loads the
model once."""

import dask.bag as db
import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import lmpipe
import lmpipe.dask
from conftest import model_dir

TASK = "zero-shot-classification"
MODEL = model_dir("tiny-bart-mnli")
KWARGS = {"candidate_labels": ["spam", "work", "personal"], "hypothesis_template": "This email is {}."}
BATCH = 16


def emails(n):
    words = ("invoice meeting free prize tomorrow urgent lunch report account password holiday team "
             "offer click budget review").split()
    return [f"Email {i}: " + " ".join(words[(i * 5 + j * 3) % len(words)] for j in range(4 + (i * 7) % 29))
            for i in range(n)]


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with Client(cluster) as c:
        c.wait_for_workers(2)
        yield c
    cluster.close()


def single_process(partitions):
    """What one process computes: each partition's texts in calls of BATCH, as map_pipeline does."""
    pipe = lmpipe.pipeline(TASK, model=MODEL)
    out = []
    for texts in partitions:
        for start in range(0, len(texts), BATCH):
            batch = texts[start:start + BATCH]
            out.extend([pipe(batch[0], **KWARGS)] if len(batch) == 1 else pipe(batch, **KWARGS))
    return out


def test_bag_and_dataframe_on_two_workers(client):
    texts = emails(400)
    bag = db.from_sequence(texts, npartitions=8)
    partitions = [p.compute() for p in bag.to_delayed()]
    assert len(partitions) == 8 and sum(partitions, []) == texts
    want = single_process(partitions)

    got = lmpipe.dask.map_pipeline(bag, TASK, MODEL, batch_size=BATCH, **KWARGS).compute()
    assert got == want  # exactly, in input order

    frame = pd.DataFrame({"id": range(1000, 1400), "text": texts, "folder": ["inbox", "archive"] * 200},
                         index=pd.Index(range(400), name="row"))
    ddf = dd.from_pandas(frame, npartitions=8)
    assert [len(p) for p in partitions] == ddf.map_partitions(len).compute().tolist()
    out = lmpipe.dask.map_pipeline(ddf, TASK, MODEL, column="text", batch_size=BATCH, **KWARGS).compute()
    assert list(out.columns) == ["id", "text", "folder", "result"]
    pd.testing.assert_frame_equal(out[["id", "text", "folder"]], frame)
    assert out["result"].tolist() == want

    series = lmpipe.dask.map_pipeline(ddf["text"], TASK, MODEL, batch_size=BATCH, result_column="zs", **KWARGS)
    series = series.compute()
    assert series.name == "zs" and series.index.equals(frame.index) and series.tolist() == want

    # Each worker process loaded the model once, for all 24 partitions of the three maps.
    counts = client.run(lmpipe.load_count)
    assert sorted(counts.values()) == [1, 1], counts


def test_single_text_calls_agree(client):
    """Batching changes nothing beyond float rounding."""
    texts = emails(20)
    got = lmpipe.dask.map_pipeline(db.from_sequence(texts, npartitions=2), TASK, MODEL, **KWARGS).compute()
    pipe = lmpipe.pipeline(TASK, model=MODEL)
    for text, result in zip(texts, got):
        alone = pipe(text, **KWARGS)
        assert result["sequence"] == text and result["labels"] == alone["labels"]
        assert all(abs(a - b) <= 1e-5 for a, b in zip(result["scores"], alone["scores"]))


def test_worker_errors_reach_the_client(client):
    bag = db.from_sequence(["a b", "c d"], npartitions=1)
    with pytest.raises(ValueError, match="at least one label"):
        lmpipe.dask.map_pipeline(bag, TASK, MODEL, candidate_labels=[]).compute()


def test_column_choice(client):
    frame = dd.from_pandas(pd.DataFrame({"a": ["x"], "b": ["y"]}), npartitions=1)
    with pytest.raises(ValueError, match="which column"):
        lmpipe.dask.map_pipeline(frame, TASK, MODEL, **KWARGS)
    with pytest.raises(ValueError, match="not in the frame"):
        lmpipe.dask.map_pipeline(frame, TASK, MODEL, column="text", **KWARGS)
    with pytest.raises(ValueError, match="already a column"):
        lmpipe.dask.map_pipeline(frame, TASK, MODEL, column="a", result_column="b", **KWARGS)
    one = dd.from_pandas(pd.DataFrame({"body": ["hello there"]}), npartitions=1)
    out = lmpipe.dask.map_pipeline(one, TASK, MODEL, **KWARGS).compute()
    assert out["result"][0]["sequence"] == "hello there"
    with pytest.raises(ValueError, match="batch_size"):
        lmpipe.dask.map_pipeline(one, TASK, MODEL, batch_size=0, **KWARGS)
    with pytest.raises(ValueError, match="dask.bag.Bag"):
        lmpipe.dask.map_pipeline(["a"], TASK, MODEL, **KWARGS)


def test_cached_pipeline_loads_once_across_threads():
    import threading
    before = lmpipe.load_count()
    got = []
    threads = [threading.Thread(target=lambda: got.append(lmpipe.dask.cached_pipeline(TASK, model_dir("tiny-roberta-mnli"))))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lmpipe.load_count() == before + 1 and all(p is got[0] for p in got)
