"""Benchmark: c2r-db query against a plain numpy/nibabel lookup, measured side by side.

Both sides run as fresh processes (start-up and imports included), read the same Parquet input
of N coordinates and write a Parquet table of region names and distances. The first run of
each is a warm-up (page cache) and is not counted; the median of the next runs is.

Usage: python bench/bench_regions_at.py [--n 1000000] [--repeat 3] [--db PATH]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ALL_ATLASES = ["aal", "aal2", "aal3", "aicha", "desikan_killiany", "destrieux",
               "harvard_oxford", "hcpex", "juelich", "marsatlas", "neuromorphometrics",
               "talairach_ba", "talairach_gyrus"]


def timed(argv, repeat):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def c2r(db, src, out, max_distance, atlases):
    argv = [sys.executable, "-m", "c2r_db.cli", "query", str(src), "--db", str(db), "--out",
            str(out), "--max-distance", str(max_distance)]
    for atlas in atlases:
        argv += ["--atlas", atlas]
    return argv


def floor(src, out, max_distance, atlases):
    return [sys.executable, str(HERE / "numpy_lookup.py"), str(src), str(out),
            str(max_distance), *atlases]


def disagreements(a, b, atlases):
    """Rows where the two answers differ, other than equidistant ties between regions."""
    ta, tb = pq.read_table(a), pq.read_table(b)
    count = 0
    for atlas in atlases:
        names = zip(ta.column(atlas).to_pylist(), tb.column(atlas).to_pylist())
        distances = zip(ta.column(f"{atlas}_mm").to_pylist(), tb.column(f"{atlas}_mm").to_pylist())
        for (na, nb), (da, db) in zip(names, distances):
            same_distance = da == db or (da is not None and db is not None and abs(da - db) < 1e-9)
            count += not same_distance or (na != nb and da == 0)
    return count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="reuse a built database instead of building")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c2r-bench-") as scratch:
        benchmark(args, Path(scratch))


def benchmark(args, work):
    """The benchmark proper; ``work`` is a scratch folder removed afterwards."""
    db = args.db or work / "c2r.duckdb"
    if args.db is None:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "c2r_db.cli", "build", "--db", str(db)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        build = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import nibabel as nib, numpy as np; "
                        "from build_index.catalog import shipped_atlas as s; "
                        f"[np.asanyarray(nib.load(str(s(a).volume)).dataobj) for a in {ALL_ATLASES}]"],
                       check=True)
        load = time.perf_counter() - start
        print(f"build: {build:.1f} s for 13 atlases = {build / load:.1f}x the time to just load "
              f"their NIfTI files ({load:.1f} s); database {db.stat().st_size / 1e6:.0f} MB")

    rng = np.random.default_rng(0)
    xyz = rng.uniform([-75, -110, -60], [75, 75, 85], size=(args.n, 3))
    src = work / "coords.parquet"
    pq.write_table(pa.table({"x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2]}), src)
    print(f"{args.n:,} random coordinates in the MNI brain box, Parquet in and out, "
          f"median of {args.repeat} runs after a warm-up")
    cases = [("1 atlas (aal3), exact labels", ["aal3"], 0),
             ("1 atlas (aal3), nearest region within 5 mm", ["aal3"], 5),
             ("13 atlases, nearest region within 5 mm", ALL_ATLASES, 5)]
    for label, atlases, max_distance in cases:
        ours = timed(c2r(db, src, work / "ours.parquet", max_distance, atlases), args.repeat)
        base = timed(floor(src, work / "floor.parquet", max_distance, atlases), args.repeat)
        differ = disagreements(work / "ours.parquet", work / "floor.parquet", atlases)
        print(f"  {label:45s} c2r-db {ours:6.2f} s   numpy {base:6.2f} s   "
              f"ratio {ours / base:5.2f}x   answers that differ: {differ}")


if __name__ == "__main__":
    main()
