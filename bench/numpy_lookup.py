"""The numpy floor for bench_regions_at.py: label coordinates in one or more atlases with
plain nibabel + numpy (no database), exactly as c2r-db does (floor(v + 0.5) rounding; with
--max-distance > 0, the nearest labelled voxel from a Euclidean distance transform computed
here), then write the same wide table to Parquet.

Usage: python numpy_lookup.py IN.parquet OUT.parquet MAX_DISTANCE ATLAS [ATLAS ...]
"""

import sys

import nibabel as nib
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import ndimage

from build_index.catalog import shipped_atlas
from build_index.labels import read_labels


def label_map(source):
    img = nib.load(str(source.volume))
    data = np.asanyarray(img.dataobj)
    if data.ndim == 4:
        labels = np.where(data.max(axis=3) > 0, data.argmax(axis=3), -1)
    else:
        labels = np.where(data == 0, -1, data.astype(np.int64))
    return labels, img.affine


def lookup(labels, affine, xyz, max_distance):
    sampling = np.linalg.norm(affine[:3, :3], axis=0)
    # Pad the grid so that coordinates just outside it still find regions within reach.
    pad = int(np.ceil(max_distance / sampling.min())) + 1 if max_distance > 0 else 0
    labels = np.pad(labels, pad, constant_values=-1)
    affine = affine @ np.array([[1, 0, 0, -pad], [0, 1, 0, -pad], [0, 0, 1, -pad], [0, 0, 0, 1]])
    inv = np.linalg.inv(affine)
    ijk = np.floor(xyz @ inv[:3, :3].T + inv[:3, 3] + 0.5).astype(np.int64)
    inside = np.all((ijk >= 0) & (ijk < labels.shape), axis=1)
    ids = np.full(len(xyz), -1)
    dist = np.full(len(xyz), np.nan)
    i, j, k = ijk[inside].T
    if max_distance > 0:
        d, nearest = ndimage.distance_transform_edt(labels < 0, sampling=sampling,
                                                    return_indices=True)
        near = d[i, j, k] <= max_distance
        src = tuple(axis[i, j, k][near] for axis in nearest)
        rows = np.flatnonzero(inside)[near]
        ids[rows], dist[rows] = labels[src], d[i, j, k][near]
    else:
        ids[inside] = labels[i, j, k]
        dist[ids >= 0] = 0.0
    return ids, dist


def main():
    src, out, max_distance, atlases = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
    table = pq.read_table(src)
    xyz = np.column_stack([table.column(c).to_numpy() for c in "xyz"])
    for name in atlases:
        source = shipped_atlas(name)
        labels, affine = label_map(source)
        names = read_labels(source.labels, volume_is_4d=labels.ndim == 4)
        ids, dist = lookup(labels, affine, xyz, max_distance)
        vocabulary = np.array([None] + [names.get(int(i), f"unnamed_{i}") for i in
                                        range(int(labels.max()) + 1)], dtype=object)
        table = table.append_column(name, pa.array(vocabulary[ids + 1], pa.string()))
        table = table.append_column(f"{name}_mm", pa.array(dist, mask=np.isnan(dist)))
    pq.write_table(table, out)


if __name__ == "__main__":
    main()
