"""Benchmark: radius-study queries at Neurosynth scale, measured side by side in one run.

1. Makes Neurosynth-v7-format input (coordinates.tsv.gz, metadata.tsv.gz): 507,891 foci over
   14,371 studies, drawn from the real foci shipped with nimare (study sizes from the shipped
   studies' focus counts, each study's space from the shipped foci's spaces, positions from
   the shipped foci of that space plus 3 mm Gaussian jitter, rounded to whole mm).
2. Builds it with ``c2r-db build --neurosynth`` (no atlases, no default sets) and compares the
   build time with the time polars takes just to parse the same two files.
3. Answers 10,000 peaks (drawn the same way) at r = 6 mm with ``c2r-db query --radius 6`` and
   with a scipy cKDTree script (bench/ckdtree_studies.py), both fresh processes on the same
   Parquet input, best of ``--repeat`` runs; checks the answers are identical.
4. Times NiMARE's ``Dataset.get_studies_by_coordinate`` (Dataset made from the same files by
   ``nimare.io.convert_neurosynth_to_dataset``) on a sample of peaks, against c2r-db's time per
   peak (the fresh process of step 3, and the library in process), and checks its study sets
   (NiMARE treats UNKNOWN space as MNI; compared with ``unknown_space_as_mni=True``).

``--cell-sizes 4,5,6,8`` instead builds the input once per grid cell size and times the
library's radius query on the 10,000 peaks at r = 3, 6 and 10 mm, in process and on one
thread, best of ``--repeat`` runs (how build_index.studies.stage.CELL_MM was chosen).

Usage: python bench/bench_studies.py [--repeat 3] [--nimare-peaks 20] [--cell-sizes ...]
"""

from __future__ import annotations

import argparse
import gzip
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
N_FOCI, N_STUDIES, N_PEAKS, RADIUS = 507_891, 14_371, 10_000, 6.0
C2R = [sys.executable, "-m", "c2r_db.cli"]


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kwargs)


def best_of(call, repeat):
    """Best wall time of ``repeat`` calls (in this process)."""
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def timed(argv, repeat):
    """Best wall time of ``repeat`` runs of a fresh process, after one warm-up run (the best
    run is the one least disturbed by other work on the machine)."""
    run(argv)
    return best_of(lambda: run(argv), repeat)


def shipped_foci(work):
    """(studies, foci) of the study sets shipped with nimare, from a studies-only build."""
    db = work / "shipped.duckdb"
    run(C2R + ["build", "--db", str(db), "--no-atlases"], stderr=subprocess.DEVNULL)
    con = duckdb.connect(str(db), read_only=True)
    foci = con.sql("SELECT study_id, orig_x, orig_y, orig_z, orig_space FROM foci")
    foci = foci.to_arrow_table()
    con.close()
    return foci


def make_neurosynth(folder, rng):
    """Write Neurosynth-scale coordinates.tsv.gz and metadata.tsv.gz into ``folder``."""
    foci = shipped_foci(folder.parent)
    study = foci.column("study_id").to_numpy(zero_copy_only=False)
    space = foci.column("orig_space").to_numpy(zero_copy_only=False)
    xyz = np.column_stack([foci.column(f"orig_{a}").to_numpy() for a in "xyz"])
    _, sizes = np.unique(study, return_counts=True)
    n = rng.choice(sizes, N_STUDIES).astype(np.float64)
    n = np.maximum(1, np.round(n * N_FOCI / n.sum())).astype(np.int64)
    while n.sum() != N_FOCI:  # nudge random studies until the total is exact
        step = np.sign(N_FOCI - n.sum())
        pick = rng.integers(0, N_STUDIES, abs(N_FOCI - n.sum()))
        n[pick] = np.maximum(1, n[pick] + step)
    labels = np.array(["MNI", "TAL", "UNKNOWN"])
    study_space = rng.choice(space, N_STUDIES)
    ids = 10_000_000 + np.arange(N_STUDIES)
    focus_study = np.repeat(np.arange(N_STUDIES), n)
    focus_space = study_space[focus_study]
    out = np.empty((N_FOCI, 3))
    for label in labels:
        rows = np.flatnonzero(focus_space == label)
        pool = xyz[space == label]
        out[rows] = pool[rng.integers(0, len(pool), len(rows))]
    out = np.round(out + rng.normal(0, 3, out.shape))
    table = focus_study * 10 + rng.integers(0, 3, N_FOCI)  # a few tables per study
    with gzip.open(folder / "coordinates.tsv.gz", "wt") as handle:
        handle.write("id\ttable_id\ttable_num\tpeak_id\tx\ty\tz\n")
        for i in range(N_FOCI):
            handle.write(f"{ids[focus_study[i]]}\t{table[i]}\t{table[i] % 10 + 1}.\t{i}\t"
                         f"{out[i, 0]:.1f}\t{out[i, 1]:.1f}\t{out[i, 2]:.1f}\n")
    with gzip.open(folder / "metadata.tsv.gz", "wt") as handle:
        handle.write("id\tdoi\tspace\ttitle\tauthors\tyear\tjournal\n")
        for i in range(N_STUDIES):
            handle.write(f"{ids[i]}\tn/a\t{study_space[i]}\tSynthetic study {i}\tAuthor A, "
                         f"Author B\t{2000 + i % 20}\tJournal of Benchmarks\n")
    return xyz


def make_peaks(path, pool, rng):
    xyz = np.round(pool[rng.integers(0, len(pool), N_PEAKS)] + rng.normal(0, 3, (N_PEAKS, 3)))
    pq.write_table(pa.table({"peak": np.arange(N_PEAKS), "x": xyz[:, 0], "y": xyz[:, 1],
                             "z": xyz[:, 2]}), path)
    return xyz


def build(folder, db):
    """Build time of the Neurosynth-scale database (fresh process)."""
    start = time.perf_counter()
    run(C2R + ["build", "--db", str(db), "--force", "--no-atlases", "--no-default-studies",
               "--neurosynth", str(folder)], stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def cell_sizes(folder, work, peaks, sizes, repeat):
    """Best-of-``repeat`` library query times per grid cell size and radius."""
    from build_index.build import build_database
    from build_index.studies.sources import tsv_study_source
    from c2r_db import Database, studies_near

    for cell in sizes:
        db = work / f"cell-{cell:g}.duckdb"
        build_database(db, [], studies=[tsv_study_source("neurosynth", folder)], cell_mm=cell)
        times = []
        with Database(db) as con:
            con.con.sql("SET threads = 1")
            for radius in (3.0, 6.0, 10.0):
                best = best_of(lambda: studies_near(con, peaks, radius), repeat)
                times.append(f"r = {radius:g} mm: {best:.2f} s")
        print(f"  cell {cell:4.1f} mm   " + "   ".join(times))


def parse_only(folder):
    start = time.perf_counter()
    run([sys.executable, "-c", "import sys, polars as pl; "
         "[pl.read_csv(f, separator='\\t', infer_schema_length=10000) for f in sys.argv[1:]]",
         str(folder / "coordinates.tsv.gz"), str(folder / "metadata.tsv.gz")])
    return time.perf_counter() - start


def c2r_query(db, peaks, out):
    return C2R + ["query", str(peaks), "--radius", str(RADIUS), "--db", str(db), "--out",
                  str(out)]


def compare(ours_path, theirs_path):
    ours, theirs = pq.read_table(ours_path), pq.read_table(theirs_path)
    return sum(ours.column(c).to_pylist() != theirs.column(c).to_pylist()
               for c in ("n_studies", "n_foci", "study_ids"))


def nimare_check(folder, db, peaks, n_sample, fresh_per_peak, build_s, repeat, rng):
    """NiMARE's per-peak search against c2r-db's, per peak, and its study sets."""
    import logging
    import warnings

    from nimare.io import convert_neurosynth_to_dataset

    import c2r_db

    warnings.simplefilter("ignore", FutureWarning)  # Dataset's deprecation notice
    logging.getLogger("nimare").setLevel(logging.ERROR)  # "unrecognized space 'UNKNOWN'"

    start = time.perf_counter()
    dset = convert_neurosynth_to_dataset(str(folder / "coordinates.tsv.gz"),
                                         str(folder / "metadata.tsv.gz"))
    load = time.perf_counter() - start
    sample = peaks[rng.choice(len(peaks), n_sample, replace=False)]
    found, times = [], []
    for peak in sample:
        start = time.perf_counter()
        ids = dset.get_studies_by_coordinate(peak[None, :], r=RADIUS)
        times.append(time.perf_counter() - start)
        found.append({i.split("-")[0] for i in ids})
    theirs = min(times)  # the least disturbed call: the benefit of the doubt goes to NiMARE
    with c2r_db.Database(db) as con:
        in_process = best_of(lambda: c2r_db.studies_near(con, peaks, RADIUS), repeat) / N_PEAKS
        ours = c2r_db.studies_near(con, sample, RADIUS, unknown_space_as_mni=True)
    same = sum(set(mine) == expected
               for mine, expected in zip(ours.column("study_ids").to_pylist(), found))
    print(f"NiMARE Dataset.get_studies_by_coordinate per peak (fastest of {n_sample} sampled "
          f"peaks, {theirs * 1e3:.1f} ms): {theirs / fresh_per_peak:,.0f}x c2r-db's time per "
          f"peak in the fresh `c2r-db query` process above, {theirs / in_process:,.0f}x in "
          f"process (c2r_db.studies_near on the 10,000 peaks); same study sets (UNKNOWN as "
          f"MNI): {same}/{n_sample}")
    print(f"NiMARE convert_neurosynth_to_dataset on the same files: {load / build_s:.1f}x "
          f"c2r-db's whole build ({load:.1f} s vs {build_s:.1f} s)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nimare-peaks", type=int, default=20)
    parser.add_argument("--cell-sizes", help="comma-separated mm values to compare")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c2r-bench-studies-") as scratch:
        benchmark(args, Path(scratch))


def benchmark(args, work):
    """The benchmark proper; ``work`` is a scratch folder removed afterwards."""
    rng = np.random.default_rng(0)
    folder = work / "neurosynth"
    folder.mkdir()
    pool = make_neurosynth(folder, rng)
    peaks_path = work / "peaks.parquet"
    peaks = make_peaks(peaks_path, pool, rng)
    db = work / "neurosynth.duckdb"
    print(f"{N_FOCI:,} foci over {N_STUDIES:,} studies in Neurosynth v7 format; "
          f"{N_PEAKS:,} peaks at r = {RADIUS:g} mm; best of {args.repeat} runs after a warm-up")

    if args.cell_sizes:
        sizes = [float(c) for c in args.cell_sizes.split(",")]
        cell_sizes(folder, work, peaks, sizes, args.repeat)
        return

    build_s = build(folder, db)
    parse_s = parse_only(folder)
    con = duckdb.connect(str(db), read_only=True)
    loaded = con.sql("SELECT count(*) FROM foci").fetchall()[0][0]
    con.sql("COPY (SELECT study_id, x, y, z FROM foci WHERE orig_space <> 'UNKNOWN') "
            f"TO '{work / 'foci.parquet'}' (FORMAT parquet)")
    con.close()
    print(f"build: {build_s / parse_s:.1f}x the time polars takes just to parse the two TSV "
          f"files ({build_s:.1f} s vs {parse_s:.1f} s); {loaded:,} foci kept after dropping "
          f"duplicates")

    ours = timed(c2r_query(db, peaks_path, work / "ours.parquet"), args.repeat)
    floor = timed([sys.executable, str(HERE / "ckdtree_studies.py"), str(work / "foci.parquet"),
                   str(peaks_path), str(RADIUS), str(work / "ckdtree.parquet")], args.repeat)
    differ = compare(work / "ours.parquet", work / "ckdtree.parquet")
    print(f"c2r-db query --radius 6 vs scipy cKDTree script: {ours / floor:.2f}x "
          f"({ours:.2f} s vs {floor:.2f} s, fresh processes); "
          f"columns that differ: {differ}")
    nimare_check(folder, db, peaks, args.nimare_peaks, ours / N_PEAKS, build_s, args.repeat,
                 rng)


if __name__ == "__main__":
    main()
