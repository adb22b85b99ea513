#!/usr/bin/env python3
"""Zero-shot classification through the Python package, against the CLI, and on Dask.

On the bart-large-mnli-shaped model (tools/make_bart_large_mnli) and the zero-shot benchmark's
mixed-length emails (bench/mixed_length_emails.h, written by write_bench_emails), 2 labels,
template "This email is {}.":
  cli        `lmpipe zero-shot` reading the emails on stdin, in batches of --batch-size
  binding    lmpipe.pipeline(...) called on batches of --batch-size emails, in a fresh process
  dask       lmpipe.dask.map_pipeline on a LocalCluster of 1 or 2 single-threaded workers
             (one engine thread each), the emails in 8 partitions per worker
Every configuration runs once per round, rounds rotating the order (the machine is shared: noisy).
cli and binding report emails/s after their first batch (load and warm-up excluded); dask reports
emails/s of a whole compute() after the workers loaded the model and classified one batch.

    bench/run_python_bench.sh [BUILD_DIR] [--rounds N] [--emails N] [--only cli,binding,dask]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

LABELS = ["spam", "not spam"]
TEMPLATE = "This email is {}."


def read_emails(path):
    return Path(path).read_text(encoding="utf-8").splitlines()


def run_cli(args, threads):
    env = dict(os.environ, LMPIPE_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), LMPIPE_LOG="error")
    with open(args.emails_file, "rb") as stdin:
        start = time.perf_counter()
        proc = subprocess.Popen([args.cli, "zero-shot", "--model", args.model, "--labels", ",".join(LABELS),
                                 "--template", TEMPLATE, "--batch-size", str(args.batch_size)],
                                stdin=stdin, stdout=subprocess.PIPE, env=env)
        times = [time.perf_counter() for _ in proc.stdout]
    if proc.wait() != 0 or len(times) != args.emails:
        raise RuntimeError(f"CLI failed ({proc.returncode}) or printed {len(times)} lines for {args.emails} emails")
    first = args.batch_size - 1  # the first batch's last line: load and warm-up done
    return {"emails_per_s": (len(times) - 1 - first) / (times[-1] - times[first]), "first_output_s": times[0] - start}


def child_binding(args):
    """In a fresh process with LMPIPE_NUM_THREADS set: load, one warm-up batch, then the rest."""
    import lmpipe
    emails = read_emails(args.emails_file)
    start = time.perf_counter()
    clf = lmpipe.pipeline("zero-shot-classification", model=args.model)
    load_s = time.perf_counter() - start
    batches = [emails[i:i + args.batch_size] for i in range(0, len(emails), args.batch_size)]
    clf(batches[0], candidate_labels=LABELS, hypothesis_template=TEMPLATE)
    start = time.perf_counter()
    done = sum(len(clf(b, candidate_labels=LABELS, hypothesis_template=TEMPLATE)) for b in batches[1:])
    print(json.dumps({"emails_per_s": done / (time.perf_counter() - start), "load_s": load_s}))


def run_binding(args, threads):
    env = dict(os.environ, LMPIPE_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads), LMPIPE_LOG="error")
    out = subprocess.run([sys.executable, __file__, "--child", "binding", "--model", args.model,
                          "--emails-file", args.emails_file, "--batch-size", str(args.batch_size)],
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def _warm_up(model, texts):
    import lmpipe.dask
    lmpipe.dask.cached_pipeline("zero-shot-classification", model)(texts, candidate_labels=LABELS,
                                                                   hypothesis_template=TEMPLATE)
    import lmpipe
    return lmpipe.load_count()


def run_dask(args, workers):
    import dask.bag as db
    from distributed import Client, LocalCluster
    import lmpipe.dask
    emails = read_emails(args.emails_file)
    env = {"LMPIPE_NUM_THREADS": "1", "LMPIPE_LOG": "error"}
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      env=env) as cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        start = time.perf_counter()
        loads = client.run(_warm_up, args.model, emails[:args.batch_size])
        ready_s = time.perf_counter() - start
        bag = db.from_sequence(emails, npartitions=8 * workers)
        start = time.perf_counter()
        results = lmpipe.dask.map_pipeline(bag, "zero-shot-classification", args.model, batch_size=args.batch_size,
                                           candidate_labels=LABELS, hypothesis_template=TEMPLATE).compute()
        elapsed = time.perf_counter() - start
        if len(results) != len(emails) or sorted(client.run(lmpipe.load_count).values()) != [1] * workers:
            raise RuntimeError(f"dask: {len(results)} results, loads {loads}")
    return {"emails_per_s": len(emails) / elapsed, "load_and_warm_up_s": ready_s}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build")
    parser.add_argument("--model", default=os.environ.get("LMPIPE_BENCH_MODEL", "/tmp/lmpipe-bart-large-mnli"))
    parser.add_argument("--emails", type=int, default=64)
    parser.add_argument("--emails-file")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="cli,binding,dask")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child == "binding":
        return child_binding(args)

    build = Path(args.build).resolve()
    args.cli = str(build / "lmpipe")
    if not args.emails_file:
        args.emails_file = f"/tmp/lmpipe-bench-emails-{args.emails}.txt"
        subprocess.run([str(build / "bench" / "write_bench_emails"), str(args.emails), args.emails_file], check=True)
    sys.path.insert(0, str(build / "python"))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(build / "python"), os.environ.get("PYTHONPATH")]))

    only = args.only.split(",")
    configs = [(name, fn, n) for name, fn, n, part in [
        ("cli, 2 threads", run_cli, 2, "cli"), ("binding, 2 threads", run_binding, 2, "binding"),
        ("binding, 1 thread", run_binding, 1, "binding"), ("dask, 1 worker x 1 thread", run_dask, 1, "dask"),
        ("dask, 2 workers x 1 thread", run_dask, 2, "dask")] if part in only]
    runs = {name: [] for name, _, _ in configs}
    for r in range(args.rounds):
        order = configs[r % len(configs):] + configs[:r % len(configs)]
        for name, fn, n in order:
            result = fn(args, n)
            runs[name].append(result)
            print(f"round {r + 1}: {name:28s} {json.dumps(result)}  (load {os.getloadavg()[0]:.1f})", flush=True)

    print(f"\n{args.emails} emails, batch {args.batch_size}, {args.rounds} rounds; emails/s median [min-max]")
    for name, results in runs.items():
        rates = [x["emails_per_s"] for x in results]
        print(f"  {name:28s} {statistics.median(rates):6.2f} [{min(rates):.2f}-{max(rates):.2f}]")
    if "cli, 2 threads" in runs and "binding, 2 threads" in runs:
        ratios = [b["emails_per_s"] / c["emails_per_s"] for b, c in zip(runs["binding, 2 threads"], runs["cli, 2 threads"])]
        print(f"  binding / CLI per round: {', '.join(f'{x:.3f}' for x in ratios)} (median {statistics.median(ratios):.3f})")


if __name__ == "__main__":
    main()
