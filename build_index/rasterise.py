"""Rasterise one atlas, on its own grid, into the rows of the ``atlases``, ``regions``,
``voxels`` and ``probabilities`` tables (see ``sql/schema.sql``).

A 3D image holds integer labels (0 = background). A 4D image holds one probability map per
region, read one volume at a time (never the whole 4D array in memory as floats); its
deterministic answer is the maximum-probability region of each voxel, ties going to the lowest
volume index, and a voxel where every map is 0 is unlabelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from build_index.catalog import AtlasSource
from build_index.labels import read_labels
from c2r_db import grid
from c2r_db.errors import InputError
from c2r_db.hemisphere import side_from_name
from c2r_db.nearest import LabelledTree, boundary_keys, is_orthogonal

__all__ = ["NEAREST_RANGE_MM", "AtlasTables", "rasterise", "voxel_rows"]

NEAREST_RANGE_MM = 20.0
_UNLABELLED = -1


@dataclass
class AtlasTables:
    """Everything one atlas contributes to the database.

    Attributes
    ----------
    atlas : dict
        The ``atlases`` row.
    regions, voxels, boundary_voxels : pyarrow.Table
    probabilities : pyarrow.Table or None
        Only for probabilistic atlases.
    """

    atlas: dict
    regions: pa.Table
    voxels: pa.Table
    boundary_voxels: pa.Table
    probabilities: pa.Table | None


def _load_image(source: AtlasSource):
    import nibabel as nib

    try:
        img = nib.load(str(source.volume), keep_file_open=True)
    except FileNotFoundError:
        raise InputError("atlas image not found", path=source.volume) from None
    except Exception as exc:  # nibabel raises several types for unreadable images
        raise InputError(f"not a readable NIfTI image ({exc})", path=source.volume) from None
    if len(img.shape) == 4 and img.shape[3] == 1:
        img = img.slicer[..., 0]
    if len(img.shape) not in (3, 4):
        raise InputError(f"expected a 3D or 4D image, got shape {img.shape}", path=source.volume)
    return img


def _label_map_3d(img, path):
    data = np.asanyarray(img.dataobj)
    if data.dtype.kind == "f":
        if not np.all(np.isfinite(data)) or not np.array_equal(data, np.round(data)):
            raise InputError(
                "3D atlas image holds non-integer values; a probabilistic atlas must be 4D",
                path=path,
            )
    if data.min() < 0:
        raise InputError(f"negative label value {data.min()}", path=path)
    label_map = data.astype(np.int32)
    label_map[label_map == 0] = _UNLABELLED
    return label_map


def _volume_ids(labels, n_volumes, path):
    ids = sorted(labels)
    if ids == list(range(n_volumes)):
        return np.arange(n_volumes)
    if ids == list(range(1, n_volumes + 1)):
        return np.arange(1, n_volumes + 1)
    raise InputError(
        f"a 4D atlas needs one label per volume, ids 0..{n_volumes - 1} (or 1..{n_volumes}); "
        f"the label file has {len(ids)} ids from {ids[0]} to {ids[-1]}",
        path=path,
    )


def _stream_probabilities(img, volume_ids, path):
    """Read a 4D image volume by volume; return (label map, probability rows, scale)."""
    shape = img.shape[:3]
    best = np.zeros(shape, dtype=np.float64)
    label_map = np.full(shape, _UNLABELLED, dtype=np.int32)
    keys, ids, values = [], [], []
    integer_valued = np.issubdtype(img.get_data_dtype(), np.integer)
    for volume, region_id in enumerate(volume_ids):
        data = np.asanyarray(img.dataobj[..., volume])
        if data.dtype.kind == "f" and not np.all(np.isfinite(data)):
            raise InputError(f"volume {volume} holds NaN or infinite values", path=path)
        flat = data.ravel(order="F")
        nonzero = np.flatnonzero(flat > 0)
        keys.append(nonzero)
        ids.append(np.full(nonzero.size, region_id, dtype=np.int32))
        values.append(flat[nonzero].astype(np.float64))
        better = data > best
        best[better] = data[better]
        label_map[better] = region_id
    all_values = np.concatenate(values)
    top = float(all_values.max()) if all_values.size else 0.0
    scale = 100.0 if integer_valued or top > 1.0 else 1.0
    if top > scale:
        raise InputError(f"probability value {top} above {scale:g}", path=path)
    rows = (np.concatenate(keys), np.concatenate(ids), all_values / scale)
    return label_map, rows, scale


def voxel_rows(label_map, affine, nearest_range_mm):
    """Keys, regions and distances of labelled voxels and of unlabelled ones within range.

    Parameters
    ----------
    label_map : (nx, ny, nz) ndarray of int, -1 where unlabelled
    affine : (4, 4) array-like, voxel -> mm
    nearest_range_mm : float

    Returns
    -------
    keys, region_ids, distances : (K,) ndarrays, sorted by key
        The rows of the ``voxels`` table: distance 0 for labelled voxels; for unlabelled
        voxels within range, the region of the nearest labelled voxel and the exact distance
        between the two voxel centres (mm).

    Raises
    ------
    ValueError
        If no voxel is labelled.
    """
    from scipy import ndimage

    shape = label_map.shape
    flat = label_map.ravel(order="F")
    labelled = np.flatnonzero(flat != _UNLABELLED)
    if labelled.size == 0:
        raise ValueError("no labelled voxels")
    if is_orthogonal(affine):
        sampling = np.linalg.norm(np.asarray(affine)[:3, :3], axis=0)
        distance, nearest = ndimage.distance_transform_edt(
            label_map == _UNLABELLED, sampling=sampling, return_indices=True
        )
        distance = distance.ravel(order="F")
        near = np.flatnonzero((distance > 0) & (distance <= nearest_range_mm))
        source = grid.voxel_key(
            np.stack([axis.ravel(order="F")[near] for axis in nearest], axis=1), shape
        )
        near_regions, near_distance = flat[source], distance[near]
    else:
        tree = LabelledTree.from_keys(labelled, flat[labelled], shape, affine)  # every labelled voxel
        unlabelled = np.flatnonzero(flat == _UNLABELLED)
        points = grid.voxel_to_mm(grid.key_to_voxel(unlabelled, shape), affine)
        regions, distance = tree.query(points, nearest_range_mm)
        within = regions >= 0
        near, near_regions, near_distance = unlabelled[within], regions[within], distance[within]
    keys = np.concatenate([labelled, near])
    order = np.argsort(keys, kind="stable")
    return (
        keys[order],
        np.concatenate([flat[labelled], near_regions]).astype(np.int32)[order],
        np.concatenate([np.zeros(labelled.size), near_distance])[order],
    )


def _region_rows(atlas_name, label_map, affine, labels, hemisphere_rule):
    flat = label_map.ravel(order="F")
    keys = np.flatnonzero(flat != _UNLABELLED)
    present, compact, counts = np.unique(flat[keys], return_inverse=True, return_counts=True)
    mm = grid.voxel_to_mm(grid.key_to_voxel(keys, label_map.shape), affine)
    order = np.argsort(compact, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    stats = {}
    for axis, letter in enumerate("xyz"):
        values = mm[order, axis]
        stats[f"centroid_{letter}"] = np.bincount(compact, weights=mm[:, axis]) / counts
        stats[f"min_{letter}"] = np.minimum.reduceat(values, starts)
        stats[f"max_{letter}"] = np.maximum.reduceat(values, starts)
    axes = np.asarray(affine)[:3, :3]
    # For orthogonal axes the product of the voxel sizes is exact; det() is off in the last bit.
    if is_orthogonal(affine):
        voxel_volume = float(np.prod(np.linalg.norm(axes, axis=0)))
    else:
        voxel_volume = abs(float(np.linalg.det(axes)))
    position = {int(r): i for i, r in enumerate(present)}
    rows = []
    for region_id in sorted(set(labels) | set(position)):
        named = region_id in labels
        name = labels[region_id] if named else f"unnamed_{region_id}"
        if hemisphere_rule == "name" and named:
            hemisphere = side_from_name(name) or "M"
        else:
            hemisphere = None
        i = position.get(region_id)
        row = {
            "atlas": atlas_name,
            "region_id": region_id,
            "name": name,
            "hemisphere": hemisphere,
            "n_voxels": int(counts[i]) if i is not None else 0,
            "in_label_file": named,
        }
        row["volume_mm3"] = row["n_voxels"] * voxel_volume
        for key, values in stats.items():
            row[key] = float(values[i]) if i is not None else None
        rows.append(row)
    return pa.Table.from_pylist(rows)


def _atlas_column(name, length):
    return pa.DictionaryArray.from_arrays(np.zeros(length, dtype=np.int32), [name])


def rasterise(source: AtlasSource, nearest_range_mm: float = NEAREST_RANGE_MM) -> AtlasTables:
    """Rasterise one atlas into database rows.

    Parameters
    ----------
    source : AtlasSource
    nearest_range_mm : float
        Unlabelled voxels up to this distance (mm, voxel centre to voxel centre) from a labelled
        voxel get a nearest-region row.

    Returns
    -------
    AtlasTables
    """
    img = _load_image(source)
    affine = np.asarray(img.affine, dtype=np.float64)
    is_4d = len(img.shape) == 4
    labels = read_labels(source.labels, volume_is_4d=is_4d)
    probability_table, scale = None, None
    if is_4d:
        volume_ids = _volume_ids(labels, img.shape[3], source.labels)
        label_map, (keys, ids, values), scale = _stream_probabilities(img, volume_ids, source.volume)
        order = np.lexsort((ids, keys))
        probability_table = pa.table(
            {
                "atlas": _atlas_column(source.name, keys.size),
                "voxel": keys[order].astype(np.int64),
                "region_id": ids[order],
                "probability": values[order],
            }
        )
    else:
        label_map = _label_map_3d(img, source.volume)
    try:
        keys, region_ids, distances = voxel_rows(label_map, affine, nearest_range_mm)
    except ValueError:
        raise InputError("atlas image has no labelled voxels", path=source.volume) from None
    voxels = pa.table(
        {
            "atlas": _atlas_column(source.name, keys.size),
            "voxel": keys.astype(np.int64),
            "region_id": region_ids,
            "distance_mm": distances,
        }
    )
    flat = label_map.ravel(order="F")
    boundary = boundary_keys(np.flatnonzero(flat != _UNLABELLED), label_map.shape, affine)
    boundary_voxels = pa.table(
        {
            "atlas": _atlas_column(source.name, boundary.size),
            "voxel": boundary,
            "region_id": flat[boundary].astype(np.int32),
        }
    )
    regions = _region_rows(source.name, label_map, affine, labels, source.hemisphere_rule)
    atlas_row = {
        "atlas": source.name,
        "kind": "probabilistic" if is_4d else "deterministic",
        "space": "MNI152",
        "shape": [int(s) for s in label_map.shape],
        "affine": affine[:3, :].ravel().tolist(),
        "inverse_affine": grid.inverse_rows(affine).tolist(),
        "voxel_size": np.linalg.norm(affine[:3, :3], axis=0).tolist(),
        "hemisphere_rule": source.hemisphere_rule,
        "nearest_range_mm": float(nearest_range_mm),
        "probability_scale": scale,
        "n_regions": int(regions.num_rows),
        "source": source.package or "user",
        "volume_file": source.relative(source.volume),
        "labels_file": source.relative(source.labels),
        "license": source.license,
        "description": source.description,
    }
    return AtlasTables(atlas_row, regions, voxels, boundary_voxels, probability_table)
