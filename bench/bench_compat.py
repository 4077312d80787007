"""Benchmark: membership and coord2region's mni_to_region_name, each beside its baseline.

1. Membership of N coordinates in harvard_oxford + juelich: ``c2r_db.membership`` in process
   (median of runs after a warm-up) and ``c2r-db membership`` as a fresh process (Parquet in
   and out), against the 2 s target and against numpy reading the same probabilities from
   the atlas NIfTI files (their answers are checked to be identical).
2. ``mni_to_region_name`` over N coordinates in aal3 with max_distance 5 mm:
   ``BatchAtlasMapper`` against coord2region's documented per-coordinate behaviour as a plain
   Python loop (bench/coord2region_loop.py), for random and for whole-mm coordinates; with
   ``--coord2region-python``, also against coord2region 0.1.5 itself run by that Python.
   Both sides are timed after their one-time set-up (KD-trees, precomputed tables), which is
   reported separately.
3. ``get_studies_for_coordinate`` at r = 6 mm on a Neurosynth-scale NiMARE Dataset (made as in
   bench/bench_studies.py and converted by NiMARE), against coord2region's search, NiMARE's
   ``Dataset.get_studies_by_coordinate`` called once per coordinate: c2r-db both answering
   all coordinates in one call and called once per coordinate (as coord2region is used), after
   its one-time in-memory index (reported separately); the study sets are checked.

Usage: python bench/bench_compat.py [--n 100000] [--repeat 3] [--db PATH]
                                    [--coord2region-python PATH] [--nimare-coords 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_studies import N_PEAKS, RADIUS, make_neurosynth, make_peaks  # noqa: E402
from coord2region_loop import LoopMapper  # noqa: E402

PROBABILISTIC = ["harvard_oxford", "juelich"]
TARGET_S = 2.0
ATLAS, MAX_DISTANCE = "aal3", 5.0


def median_time(function, repeat):
    function()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def numpy_membership(xyz):
    """Rows (peak, atlas, region_id, probability) read from the 4D NIfTI files with numpy."""
    from build_index.catalog import shipped_atlas

    rows = []
    for atlas in PROBABILISTIC:
        image = nib.load(str(shipped_atlas(atlas).volume))
        maps = np.asanyarray(image.dataobj)
        inverse = np.linalg.inv(image.affine)
        ijk = np.floor(xyz @ inverse[:3, :3].T + inverse[:3, 3] + 0.5).astype(np.int64)
        inside = np.flatnonzero(np.all((ijk >= 0) & (ijk < maps.shape[:3]), axis=1))
        values = maps[ijk[inside, 0], ijk[inside, 1], ijk[inside, 2]]
        peak, region = np.nonzero(values > 0)
        rows.append(pa.table({"peak": inside[peak], "atlas": [atlas] * len(peak),
                              "region_id": region, "probability": values[peak, region] / 100}))
    return pa.concat_tables(rows)


def same_membership(ours, theirs):
    """Whether two membership tables hold the same (peak, atlas, region, probability) rows."""
    def rows(table):
        table = table.filter(table.column("region_id").is_valid())
        return sorted(zip(table.column("peak").to_pylist(), table.column("atlas").to_pylist(),
                          table.column("region_id").to_pylist(),
                          np.round(table.column("probability").to_numpy(), 9).tolist()))

    return rows(ours) == rows(theirs)


def bench_membership(db_path, xyz, repeat, work):
    from c2r_db.database import Database
    from c2r_db.membership import membership

    table = pa.table({"peak": np.arange(len(xyz)), "x": xyz[:, 0], "y": xyz[:, 1],
                      "z": xyz[:, 2]})
    with Database(db_path) as db:
        result = membership(db, table, PROBABILISTIC)
        ours = median_time(lambda: membership(db, table, PROBABILISTIC), repeat)
    start = time.perf_counter()
    theirs = numpy_membership(xyz)
    numpy_s = time.perf_counter() - start
    src = work / "coords.parquet"
    pq.write_table(table, src)
    argv = [sys.executable, "-m", "c2r_db.cli", "membership", str(src), "--db", str(db_path),
            "--out", str(work / "membership.parquet")]
    for atlas in PROBABILISTIC:
        argv += ["--atlas", atlas]
    cli = median_time(lambda: subprocess.run(argv, check=True), repeat)
    print(f"membership of {len(xyz):,} coordinates in harvard_oxford + juelich "
          f"({result.num_rows:,} rows; same answers as numpy: {same_membership(result, theirs)})")
    print(f"  c2r_db.membership, in process:       {ours / TARGET_S:5.2f} of the 2 s target, "
          f"{numpy_s / ours:6.1f}x faster than numpy over the NIfTI files "
          f"({ours:.2f} s vs {numpy_s:.2f} s)")
    print(f"  c2r-db membership, fresh process:    {cli / TARGET_S:5.2f} of the 2 s target, "
          f"{numpy_s / cli:6.1f}x faster than numpy over the NIfTI files ({cli:.2f} s)")


def _loop_names(loop, xyz):
    return [loop.mni_to_region_name(c, max_distance=MAX_DISTANCE) for c in xyz]


def bench_region_names(db_path, xyz, repeat, work, other_python):
    from c2r_db import AtlasMapper, BatchAtlasMapper
    from c2r_db.database import Database

    with Database(db_path) as db:
        mapper = AtlasMapper.from_database(ATLAS, db)
    batch = BatchAtlasMapper(mapper)
    vol = np.where(mapper.vol < 0, 0, mapper.vol)  # coord2region's background is 0
    labels = {str(i): n for i, n in zip(mapper.indexes, mapper.labels)}
    loop = LoopMapper(vol, mapper.hdr, labels)
    start = time.perf_counter()
    batch.batch_mni_to_region_name(xyz[:1], max_distance=MAX_DISTANCE)
    ours_setup = time.perf_counter() - start
    start = time.perf_counter()
    loop.prepare()
    loop_setup = time.perf_counter() - start
    print(f"mni_to_region_name over {len(xyz):,} coordinates, {ATLAS}, max_distance "
          f"{MAX_DISTANCE:g} mm (one-time set-up: c2r-db {ours_setup:.1f} s, loop "
          f"{loop_setup:.1f} s)")
    for label, coords in (("random coordinates", xyz), ("whole-mm coordinates", np.round(xyz))):
        ours = median_time(lambda: batch.batch_mni_to_region_name(
            coords, max_distance=MAX_DISTANCE), repeat)
        names = batch.batch_mni_to_region_name(coords, max_distance=MAX_DISTANCE)
        start = time.perf_counter()
        theirs = _loop_names(loop, coords)
        loop_s = time.perf_counter() - start
        inside = mapper.locate(coords)[0] >= 0
        differ = sum(a != b for a, b, i in zip(names, theirs, inside) if i)
        print(f"  {label + ':':23s} BatchAtlasMapper {loop_s / ours:7.0f}x faster than the "
              f"per-coordinate loop ({ours:.3f} s vs {loop_s:.1f} s); labels inside regions "
              f"that differ: {differ} of {int(inside.sum()):,}")
    if other_python:
        path = work / "coord2region_input.npz"
        np.savez(path, vol=vol, hdr=mapper.hdr, labels=json.dumps(labels), coords=xyz)
        done = subprocess.run([other_python, str(HERE / "coord2region_real.py"), str(path),
                               str(MAX_DISTANCE)], check=True, capture_output=True, text=True)
        real = json.loads(done.stdout.strip().splitlines()[-1])
        ours = median_time(lambda: batch.batch_mni_to_region_name(
            xyz, max_distance=MAX_DISTANCE), repeat)
        names = batch.batch_mni_to_region_name(xyz, max_distance=MAX_DISTANCE)
        inside = mapper.locate(xyz)[0] >= 0
        differ = sum(a != b for a, b, i in zip(names, real["names"], inside) if i)
        print(f"  coord2region 0.1.5 itself, random:   BatchAtlasMapper "
              f"{real['second'] / ours:7.0f}x faster ({ours:.3f} s vs {real['second']:.1f} s; "
              f"its first call {real['first']:.1f} s); labels inside regions that differ: "
              f"{differ} of {int(inside.sum()):,}")


def bench_study_search(work, n_nimare, repeat):
    import logging
    import warnings

    from nimare.io import convert_neurosynth_to_dataset

    from c2r_db import get_studies_for_coordinate

    warnings.simplefilter("ignore", FutureWarning)  # Dataset's deprecation notice
    logging.getLogger("nimare").setLevel(logging.ERROR)  # "unrecognized space 'UNKNOWN'"
    rng = np.random.default_rng(1)
    folder = work / "neurosynth"
    folder.mkdir()
    peaks = make_peaks(work / "peaks.parquet", make_neurosynth(folder, rng), rng)
    start = time.perf_counter()
    dset = convert_neurosynth_to_dataset(str(folder / "coordinates.tsv.gz"),
                                         str(folder / "metadata.tsv.gz"))
    convert_s = time.perf_counter() - start
    start = time.perf_counter()
    get_studies_for_coordinate(dset, peaks[0], RADIUS)
    index_s = time.perf_counter() - start
    sample = peaks[rng.choice(len(peaks), n_nimare, replace=False)]
    theirs, found = [], []
    for peak in sample:
        start = time.perf_counter()
        found.append({i.split("-")[0] for i in dset.get_studies_by_coordinate([peak], RADIUS)})
        theirs.append(time.perf_counter() - start)
    theirs = statistics.median(theirs)
    one_call = median_time(lambda: get_studies_for_coordinate(dset, peaks, RADIUS),
                           repeat) / len(peaks)
    per_call = median_time(lambda: [get_studies_for_coordinate(dset, p, RADIUS)
                                    for p in sample], repeat) / len(sample)
    ours = [{r["study_id"] for r in get_studies_for_coordinate(dset, p, RADIUS)}
            for p in sample]
    same = sum(a == b for a, b in zip(ours, found))
    print(f"get_studies_for_coordinate, r = {RADIUS:g} mm, on a NiMARE Dataset of "
          f"{len(dset.coordinates):,} foci (one-time in-memory index {index_s:.1f} s; NiMARE's "
          f"conversion of the files {convert_s:.1f} s)")
    one_label = f"{N_PEAKS:,} coordinates in one call:"
    print(f"  {one_label:32s}{theirs / one_call:6.1f}x faster per coordinate than NiMARE's "
          f"get_studies_by_coordinate per coordinate ({one_call * 1e3:.2f} ms vs "
          f"{theirs * 1e3:.1f} ms)")
    print(f"  {'one call per coordinate:':32s}{theirs / per_call:6.1f}x faster "
          f"({per_call * 1e3:.2f} ms vs {theirs * 1e3:.1f} ms); same study sets: "
          f"{same}/{n_nimare}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="reuse a built database instead of building")
    parser.add_argument("--coord2region-python", help="a Python with coord2region installed")
    parser.add_argument("--nimare-coords", type=int, default=200,
                        help="coordinates searched one by one with NiMARE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c2r-bench-compat-") as scratch:
        benchmark(args, Path(scratch))


def benchmark(args, work):
    """The benchmark proper; ``work`` is a scratch folder removed afterwards."""
    db = args.db or work / "c2r.duckdb"
    if args.db is None:
        subprocess.run([sys.executable, "-m", "c2r_db.cli", "build", "--db", str(db)],
                       check=True, stderr=subprocess.DEVNULL)
    xyz = np.random.default_rng(0).uniform([-75, -110, -60], [75, 75, 85], size=(args.n, 3))
    bench_membership(db, xyz, args.repeat, work)
    bench_region_names(db, xyz, args.repeat, work, args.coord2region_python)
    bench_study_search(work, args.nimare_coords, args.repeat)


if __name__ == "__main__":
    main()
