"""``c2r-db`` commands about regions: describe one, membership of coordinates, nearest regions
and distances to a region (c2r_db.regions, c2r_db.membership)."""

from __future__ import annotations

import click

from c2r_db.cli_common import db_option, open_database, output_options, write_result
from c2r_db.membership import MEMBERSHIP_METHODS


@click.command("region")
@click.argument("atlas")
@click.argument("name")
@click.option("--voxels", is_flag=True,
              help="One row per voxel of the region (indices and MNI mm) instead of a summary.")
@db_option
@output_options
def region_command(atlas, name, voxels, db_path, fmt, out_path):
    """Describe region NAME of ATLAS: hemisphere, centroid, volume and bounding box (MNI mm).

    NAME is matched exactly, ignoring case; a name that matches nothing lists the closest
    names. With --voxels, every voxel of the region instead.
    """
    from c2r_db.regions import region_info, region_voxels

    with open_database(db_path) as db:
        table = region_voxels(db, atlas, name) if voxels else region_info(db, atlas, name)
    write_result(table, out_path, fmt)


@click.command()
@click.argument("input_path", metavar="INPUT|-")
@click.option("--atlas", "atlases", multiple=True, required=True, metavar="NAME",
              help="Atlas to use (repeatable).")
@click.option("--method", type=click.Choice(MEMBERSHIP_METHODS), default="probability",
              show_default=True, help="probability: the probabilistic atlas's own values at "
              "the voxel; centroid, boundary: coord2region's normalised exp(-distance) scores.")
@click.option("--min-prob", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              metavar="P", help="Report regions whose probability (or score) is at least P.")
@output_options
@db_option
def membership(input_path, atlases, method, min_prob, fmt, out_path, db_path):
    """Regions each coordinate belongs to, with their probabilities (or scores).

    INPUT is a csv, tsv or Parquet table with columns x, y, z in MNI mm (other columns are
    carried through), or - for standard input. One row per (input row, atlas, region), most
    probable first; a row with no region appears once with empty region columns.
    """
    from c2r_db import membership as found
    from c2r_db.peaks import read_coordinates

    table = read_coordinates(input_path)
    with open_database(db_path) as db:
        if method == "probability":
            result = found.membership(db, table, atlases, min_prob=min_prob)
        else:
            result = found.membership_scores(db, table, atlases, method=method,
                                             min_score=min_prob)
    write_result(result, out_path, fmt)


@click.command()
@click.argument("input_path", metavar="INPUT|-")
@click.option("--atlas", required=True, metavar="NAME", help="Atlas to use.")
@click.option("--k", type=click.IntRange(1), default=3, show_default=True,
              help="How many regions per coordinate.")
@click.option("--max-distance", type=click.FloatRange(0), default=float("inf"),
              metavar="MM", help="Leave out regions farther than this. Default: no limit.")
@output_options
@db_option
def nearest(input_path, atlas, k, max_distance, fmt, out_path, db_path):
    """The K nearest regions of each coordinate, nearest first, with distances in mm.

    The distance is from the centre of the coordinate's voxel to the nearest voxel centre of
    the region (0 inside it). INPUT as for 'membership'.
    """
    from c2r_db.peaks import read_coordinates
    from c2r_db.regions import nearest_regions

    table = read_coordinates(input_path)
    with open_database(db_path) as db:
        result = nearest_regions(db, table, atlas, k=k, max_distance=max_distance)
    write_result(result, out_path, fmt)


@click.command()
@click.argument("input_path", metavar="INPUT|-")
@click.option("--atlas", required=True, metavar="NAME", help="Atlas of the region.")
@click.option("--region", required=True, metavar="NAME", help="Region name (case ignored).")
@output_options
@db_option
def distance(input_path, atlas, region, fmt, out_path, db_path):
    """Distance (mm) from each coordinate to a region's centroid and to its nearest voxel.

    Adds centroid_mm (from the coordinate) and nearest_voxel_mm (from the centre of the
    coordinate's voxel to the nearest voxel centre of the region, 0 inside it). INPUT as for
    'membership'.
    """
    from c2r_db.peaks import read_coordinates
    from c2r_db.regions import region_distances

    table = read_coordinates(input_path)
    with open_database(db_path) as db:
        result = region_distances(db, table, atlas, region)
    write_result(result, out_path, fmt)
