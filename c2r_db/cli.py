"""The ``c2r-db`` command line: a thin layer that opens the database, calls one library
function and writes its Arrow table. Every expected failure exits with status 2 and a one-line
message naming the file, line and value at fault (or the allowed choices)."""

from __future__ import annotations

import sys

import click

from c2r_db.errors import C2RError
from c2r_db.lookup import DEFAULT_MAX_DISTANCE_MM
from c2r_db.membership import MEMBERSHIP_METHODS
from c2r_db.output import OUTPUT_FORMATS
from c2r_db.spaces import SPACES, TAL_TRANSFORMS


class UserError(click.ClickException):
    """A failure caused by the input: printed without traceback, exit status 2."""

    exit_code = 2


class _Group(click.Group):
    def invoke(self, ctx):
        import duckdb

        try:
            return super().invoke(ctx)
        except C2RError as exc:
            raise UserError(str(exc)) from None
        except duckdb.Error as exc:
            raise UserError(str(exc).strip().splitlines()[0]) from None


def db_option(command):
    """``--db PATH``: the database file (else $C2R_DB, else the user cache default)."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        help="Database file. Default: $C2R_DB, else c2r.duckdb in the user cache directory "
        "(built on first use).",
    )(command)


def output_options(command):
    """``--format`` and ``--out``, shared by every command that writes a table."""
    command = click.option(
        "--out",
        "out_path",
        type=click.Path(dir_okay=False),
        help="Write to this file (atomically) instead of standard output.",
    )(command)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(OUTPUT_FORMATS),
        help="Output format. Default: from the --out extension, else csv.",
    )(command)


def _build_all(path):
    from build_index.build import build_database
    from build_index.catalog import SHIPPED_ATLASES, shipped_atlas

    sources = [shipped_atlas(name) for name in SHIPPED_ATLASES]
    with click.progressbar(length=len(sources) + 1, label="building", file=sys.stderr) as bar:
        return build_database(path, sources, on_progress=lambda step: bar.update(1))


def open_database(db_path):
    """Open the database, building the default one on first use (announced on stderr)."""
    from c2r_db.database import Database
    from c2r_db.paths import resolve_db_path

    path, is_default = resolve_db_path(db_path)
    if is_default and not path.exists():
        click.echo(f"c2r-db: no database at {path} yet; building it now (once).", err=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        _build_all(path)
    return Database(path)


def _write(table, out_path, fmt):
    from c2r_db.output import write_table

    write_table(table, out_path, fmt)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="c2r-db")
def cli():
    """Map brain coordinates (MNI or Talairach mm) to atlas regions, from one DuckDB file.

    \b
    c2r-db query data/example_peaks.csv          label a table of peaks in every atlas
    c2r-db query --coord -42,22,8 --atlas aal3   label one coordinate
    c2r-db build --db my.duckdb                  build a database file
    """


@cli.command()
@db_option
@click.option("--atlas", "atlases", multiple=True, metavar="NAME",
              help="Shipped atlas to include (repeatable). Default: all of them.")
@click.option("--atlas-file", "atlas_files", multiple=True, metavar="NAME=IMAGE:LABELS",
              help="Add your own atlas: a 3D label or 4D probability NIfTI image and a label "
              "file (csv/tsv 'index,name', 'id name' text, FreeSurfer LUT or FSL XML).")
@click.option("--force", is_flag=True, help="Replace an existing database file.")
def build(db_path, atlases, atlas_files, force):
    """Build the database: rasterise atlases and load them into one DuckDB file.

    The file is written beside the target and renamed into place when complete, so an
    interrupted build leaves any previous database intact.
    """
    from pathlib import Path

    from build_index.build import build_database
    from build_index.catalog import SHIPPED_ATLASES, shipped_atlas, user_atlas
    from c2r_db.paths import resolve_db_path

    path, is_default = resolve_db_path(db_path)
    if is_default:
        path.parent.mkdir(parents=True, exist_ok=True)
    sources = [shipped_atlas(name) for name in (atlases or SHIPPED_ATLASES)]
    sources += [user_atlas(spec) for spec in atlas_files]
    with click.progressbar(length=len(sources) + 1, label="building", file=sys.stderr) as bar:
        summary = build_database(Path(path), sources, force=force,
                                 on_progress=lambda step: bar.update(1))
    click.echo(
        f"built {summary.path}: {len(summary.atlases)} atlases, "
        f"{summary.bytes / 1e6:.1f} MB"
    )


@cli.command("atlases")
@db_option
@output_options
def atlases_command(db_path, fmt, out_path):
    """List the atlases in the database."""
    with open_database(db_path) as db:
        _write(db.atlases(), out_path, fmt)


@cli.command("regions")
@click.argument("atlas")
@db_option
@output_options
def regions_command(atlas, db_path, fmt, out_path):
    """List the regions of ATLAS with hemisphere, centroid (MNI mm), size and bounding box."""
    with open_database(db_path) as db:
        _write(db.regions(atlas), out_path, fmt)


@cli.command()
@click.argument("input_path", metavar="[INPUT|-]", required=False)
@click.option("--coord", "coords", multiple=True, metavar="X,Y,Z",
              help="A coordinate in mm (repeatable), instead of an input table.")
@click.option("--atlas", "atlases", multiple=True, metavar="NAME",
              help="Atlas to use (repeatable). Default: every atlas in the database.")
@click.option("--space", type=click.Choice(SPACES), default="mni", show_default=True,
              help="Space of the input coordinates.")
@click.option("--tal-transform", type=click.Choice(TAL_TRANSFORMS), default="lancaster",
              show_default=True, help="Talairach -> MNI transform for --space tal.")
@click.option("--max-distance", type=float, default=DEFAULT_MAX_DISTANCE_MM, show_default=True,
              metavar="MM", help="Outside every region, report the nearest region within this "
              "distance (voxel centre to nearest voxel of the region); 0 = exact only.")
@click.option("--long", "long_form", is_flag=True,
              help="One row per (input row, atlas) with region_id, hemisphere, distance_mm "
              "and probability.")
@output_options
@db_option
def query(input_path, coords, atlases, space, tal_transform, max_distance, long_form,
          fmt, out_path, db_path):
    """Label coordinates with atlas regions.

    INPUT is a csv, tsv or Parquet table with columns x, y, z (other columns are carried
    through), or - for standard input. Each atlas adds a column <atlas> (region name, empty
    when none) and <atlas>_mm (distance in mm, 0 inside the region).
    """
    from c2r_db.lookup import regions_at
    from c2r_db.peaks import coordinates_from_options, read_coordinates

    if input_path and coords:
        raise click.UsageError("give an INPUT table or --coord values, not both")
    if not input_path and not coords:
        raise click.UsageError("give an INPUT table (or - for stdin) or at least one --coord")
    table = read_coordinates(input_path) if input_path else coordinates_from_options(coords)
    with open_database(db_path) as db:
        result = regions_at(db, table, atlases, max_distance=max_distance, space=space,
                            tal_transform=tal_transform, long=long_form)
    _write(result, out_path, fmt)


@cli.command("sql")
@click.argument("statement")
@db_option
@output_options
def sql_command(statement, db_path, fmt, out_path):
    """Run a read-only SQL query on the database (DuckDB dialect).

    Tables: atlases, regions, voxels, probabilities, manifest, build_info. Macros:
    c2r_label(table_or_file, atlas[, max_distance := MM]), c2r_membership(table_or_file,
    atlas[, min_prob := P]), c2r_region_voxels(atlas, region), c2r_voxel_key, c2r_voxel_mm,
    c2r_hemisphere_of_x. Statements that could write (DDL, DML, COPY, ATTACH, SET, ...) are
    refused.
    """
    from c2r_db.readonly_sql import check_read_only

    check_read_only(statement)
    with open_database(db_path) as db:
        result = db.con.sql(statement)
        if result is None:
            raise UserError("the statement returned no rows")
        _write(result.to_arrow_table(), out_path, fmt)


# --- regions and membership (c2r_db.regions, c2r_db.membership) ---------------------------

@cli.command("region")
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
    _write(table, out_path, fmt)


@cli.command()
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
    _write(result, out_path, fmt)


@cli.command()
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
    _write(result, out_path, fmt)


@cli.command()
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
    _write(result, out_path, fmt)

# --- end of regions and membership ---------------------------------------------------------


def main():
    """Console-script entry point."""
    cli(prog_name="c2r-db")


if __name__ == "__main__":
    main()
