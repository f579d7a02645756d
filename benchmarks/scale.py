"""How fit + predict time and memory grow with the number of series, locally and on Dask.

Panels of ``--sizes`` series are built from real weekly series (Walmart store × department
series observed every week and M4 Weekly series, their last ``LENGTH`` steps), tiled under new
ids, each copy multiplied by its own log-normal scale factor so that no two series are equal.
Each (size, backend) runs in a fresh child process: ``Forecaster(learners=...)`` fit and
predict (horizon 13, integer time steps), the wall seconds of each, and the peak resident
memory of the child's whole process tree (its Dask workers included), sampled every
``SAMPLE`` seconds; on Dask also the peak of the largest worker. Backends: ``local`` (worker
processes, ``n_jobs=-1``), ``dask`` (a ``LocalCluster`` of 2 single-thread worker
processes started inside the child, given a pandas DataFrame) and ``dask-frame`` (the same
cluster given a Dask DataFrame built on its workers: one global LightGBM trained data-parallel
over LightGBM's network, ``distributed_training.py``; ``--learners lightgbm`` only). The growth
exponent is the slope of log(time) on log(series), least squares over the sizes.

    .venv/bin/python benchmarks/scale.py [--sizes 1000 5000 10000] [--backends local dask dask-frame]
        [--learners theta seasonal_naive] [--write]

``--write`` replaces this portfolio's ``scale-...`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib
import itertools
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import git_commit, write_section

log = logging.getLogger("scale")
DEFAULT_LEARNERS = ["theta", "seasonal_naive"]
BACKENDS = ("local", "dask", "dask-frame")
LENGTH = 150  # steps of every series (Walmart's complete series have 143: they are used whole)
HORIZON = 13
SAMPLE = 0.2  # seconds between memory samples
SEED = 0
PARTITION_SERIES = 2_000  # series per partition of the Dask DataFrame


def source_series() -> list[np.ndarray]:
    """The real series that are tiled: complete Walmart series and M4 Weekly's long ones."""
    from tsauto import datasets

    walmart = datasets.load_walmart()
    weeks = walmart["Date"].nunique()
    out = [
        g["Weekly_Sales"].to_numpy(float)
        for _, g in walmart.sort_values("Date").groupby(["Store", "Dept"])
        if len(g) == weeks and (g["Weekly_Sales"] > 0).all()
    ]
    train, _ = datasets.load_m4("weekly")
    for _, g in train.groupby("unique_id"):
        if len(g) >= LENGTH:
            out.append(g["y"].to_numpy(float)[-LENGTH:])
    return out


def tiled(n: int, sources: list[np.ndarray], seed: int = SEED, part: tuple[int, int] | None = None) -> pd.DataFrame:
    """``n`` series: source ``i % len(sources)`` times a log-normal factor of its own; with
    ``part=(start, stop)`` only series ``start..stop-1`` of them."""
    rng = np.random.default_rng(seed)
    scale = np.exp(rng.normal(0.0, 0.5, n))
    index = range(*(part or (0, n)))
    ys = [sources[i % len(sources)] * scale[i] for i in index]
    lengths = np.array([len(y) for y in ys])
    return pd.DataFrame({
        "unique_id": np.repeat([f"s{i}" for i in index], lengths),
        "t": np.concatenate([np.arange(1, k + 1) for k in lengths]),
        "y": np.concatenate(ys),
    })


@functools.cache
def _sources() -> list[np.ndarray]:
    return source_series()


def tiled_part(n: int, part: tuple[int, int]) -> pd.DataFrame:
    """A partition of :func:`tiled` built where it runs (a Dask worker)."""
    return tiled(n, _sources(), part=part)


def tiled_on_workers(n: int) -> object:
    """The same rows as :func:`tiled` as a Dask DataFrame whose partitions are built on the
    workers (the client never holds them)."""
    import dask.dataframe as dd

    cuts = list(range(0, n, PARTITION_SERIES)) + [n]
    return dd.from_map(tiled_part, [n] * (len(cuts) - 1), list(itertools.pairwise(cuts)))


def measure(n: int, backend: str, learners: list[str]) -> dict:
    """In the child: fit and predict on ``n`` series; wall seconds of each."""
    from tsauto import Forecaster

    compute: dict = {"n_jobs": -1}
    cluster = client = None
    if backend != "local":
        import distributed

        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
        # a cluster in use has tsauto imported already: not part of the time measured
        client.run(importlib.import_module, "tsauto.forecasting.search")
        compute = {"backend": "dask", "client": client}
    data = tiled_on_workers(n) if backend == "dask-frame" else tiled(n, source_series())
    fc = Forecaster(target="y", time="t", ids=["unique_id"], horizon=HORIZON,
                    learners=learners, compute=compute)
    t0 = time.perf_counter()
    fc.fit(data)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    forecast = fc.predict()
    predict_s = time.perf_counter() - t0
    if client is not None:
        client.close()
        cluster.close()
    assert len(forecast) == n * HORIZON and np.isfinite(forecast["forecast"]).all()
    return {"series": n, "backend": backend, "fit_s": fit_s, "predict_s": predict_s,
            "model": fc.model_.describe()}


def run_child(n: int, backend: str, learners: list[str]) -> dict:
    """``measure`` in a fresh process, its process tree's memory sampled from here."""
    import psutil

    cmd = [sys.executable, __file__, "--child", str(n), backend, "--learners", *learners]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peaks = {"total": 0, "worker": 0}
    root = psutil.Process(proc.pid)

    def sample() -> None:
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                rss = {p.pid: p.memory_info().rss for p in tree}
            except psutil.Error:
                continue
            peaks["total"] = max(peaks["total"], sum(rss.values()))
            workers = [rss[p.pid] for p in tree if p.pid != root.pid and p.pid in rss]
            peaks["worker"] = max([peaks["worker"], *workers])
            time.sleep(SAMPLE)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    if proc.returncode:
        raise RuntimeError(f"{n} series on {backend}: the child exited with {proc.returncode}")
    row = json.loads(out.strip().splitlines()[-1])
    row["peak_mb"] = peaks["total"] / 2**20
    row["peak_child_mb"] = peaks["worker"] / 2**20  # largest subprocess: a worker
    return row


def exponent(rows: list[dict]) -> float:
    """Slope of log(fit + predict seconds) on log(series)."""
    x = np.log([r["series"] for r in rows])
    y = np.log([r["fit_s"] + r["predict_s"] for r in rows])
    return float(np.polyfit(x, y, 1)[0]) if len(rows) > 1 else float("nan")


def report(rows: list[dict], learners: list[str], started: dt.datetime, load: tuple) -> str:
    import platform

    import tsauto

    commit = git_commit()
    # The default portfolio's section carries the heading; another portfolio's section is a
    # sub-heading naming what differs (results_file places it after the other scale-... sections).
    heading = (
        "## Scale: time and memory against the number of series (`benchmarks/scale.py`)"
        if learners == DEFAULT_LEARNERS
        else f"### Scale with learners {', '.join(learners)} "
        f"(`benchmarks/scale.py --learners {' '.join(learners)}`)"
    )
    lines = [
        heading,
        "",
        (
            f"Run {started:%Y-%m-%d %H:%M} on {os.cpu_count()} cores; load average at start "
            f"{load[0]:.2f}, at end {os.getloadavg()[0]:.2f} (other processes shared the cores: "
            f"timings are noisy). Python {platform.python_version()}, tsauto "
            f"{tsauto.__version__} (commit {commit})."
        ),
        "",
        (
            f"How: Walmart store × department series observed every week and M4 Weekly series "
            f"(their last {LENGTH} steps) tiled under new ids, each with its own log-normal scale "
            f"factor; `Forecaster(learners={learners}, horizon={HORIZON})`, integer time steps, "
            f"{'one fit, no validation (a single learner)' if len(learners) == 1 else 'default plan (validation folds, ensemble, refit)'}"
            "; each run in a fresh process. *peak MB*: "
            "resident memory of the run's whole process tree (workers included), sampled every "
            f"{SAMPLE} s; *largest child MB*: its largest subprocess (a loky or Dask worker). "
            "local: `n_jobs=-1` worker processes; dask: a `LocalCluster` of 2 single-thread worker "
            "processes, tsauto imported on them before the clock starts; dask-frame: the same "
            f"cluster given the rows as a Dask DataFrame built on its workers ({PARTITION_SERIES:,} "
            "series a partition; `fit(ddf)` builds the features there and trains data-parallel "
            "over LightGBM's network, one task a worker; the client never holds the rows)."
        ),
        "",
        "| backend | series | fit s | predict s | peak MB | largest child MB | model |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['series']:,} | {r['fit_s']:.1f} | {r['predict_s']:.1f} | "
            f"{r['peak_mb']:.0f} | {r['peak_child_mb']:.0f} | {r['model']} |"
        )
    lines.append("")
    local = {r["series"]: r["peak_mb"] for r in rows if r["backend"] == "local"}
    for backend in dict.fromkeys(r["backend"] for r in rows):
        mine = [r for r in rows if r["backend"] == backend]
        sizes = ", ".join(f"{r['series']:,}" for r in mine)
        lines.append(
            f"Growth exponent of fit + predict time in the number of series, {backend}: "
            f"**{exponent(mine):.2f}** (sizes {sizes})."
        )
        ratios = [f"{r['peak_child_mb'] / local[r['series']]:.2f} at {r['series']:,}"
                  for r in mine if backend != "local" and r["series"] in local]
        if ratios:
            lines.append(f"Largest {backend} worker's peak over the local run's peak: {', '.join(ratios)}.")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--backends", nargs="+", default=["local", "dask"], choices=BACKENDS)
    parser.add_argument("--learners", nargs="+", default=DEFAULT_LEARNERS)
    parser.add_argument("--write", action="store_true", help="write the section of RESULTS.md")
    parser.add_argument("--child", nargs=2, metavar=("SERIES", "BACKEND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.child:
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("distributed").setLevel(logging.ERROR)
        print(json.dumps(measure(int(args.child[0]), args.child[1], args.learners)))
        return
    started, load = dt.datetime.now(), os.getloadavg()
    rows = []
    for backend in args.backends:
        for n in args.sizes:
            rows.append(run_child(n, backend, args.learners))
            log.info("%s", rows[-1])
    text = report(rows, args.learners, started, load)
    print(text)
    if args.write:  # one section per portfolio
        write_section("scale-" + "-".join(args.learners), text)


if __name__ == "__main__":
    main()
