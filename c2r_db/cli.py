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


def _build(path, atlases, studies, force=False):
    from build_index.build import build_database

    steps = len(atlases) + len(studies) + 1
    with click.progressbar(length=steps, label="building", file=sys.stderr) as bar:
        return build_database(path, atlases, studies=studies, force=force,
                              on_progress=lambda step: bar.update(1))


def _build_all(path):
    from build_index.catalog import SHIPPED_ATLASES, shipped_atlas
    from build_index.studies.sources import default_study_sources

    return _build(path, [shipped_atlas(name) for name in SHIPPED_ATLASES],
                  default_study_sources())


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
    """Map brain coordinates (MNI or Talairach mm) to atlas regions and nearby studies.

    \b
    c2r-db query data/example_peaks.csv            label a table of peaks in every atlas
    c2r-db query --coord -42,22,8 --atlas aal3     label one coordinate
    c2r-db query data/example_peaks.csv --radius 6 ... and count the studies within 6 mm
    c2r-db studies --coord -42,22,8 --radius 6     the studies, one row each
    c2r-db study 17029760                          one study with its foci
    c2r-db build --db my.duckdb                    build a database file
    """


@cli.command()
@db_option
@click.option("--atlas", "atlases", multiple=True, metavar="NAME",
              help="Shipped atlas to include (repeatable). Default: all of them.")
@click.option("--atlas-file", "atlas_files", multiple=True, metavar="NAME=IMAGE:LABELS",
              help="Add your own atlas: a 3D label or 4D probability NIfTI image and a label "
              "file (csv/tsv 'index,name', 'id name' text, FreeSurfer LUT or FSL XML).")
@click.option("--no-atlases", is_flag=True, help="Build without atlases (studies only).")
@click.option("--neurosynth", "neurosynth_dir", metavar="DIR",
              help="Add a Neurosynth release: DIR holds coordinates.tsv.gz and metadata.tsv.gz.")
@click.option("--neuroquery", "neuroquery_dir", metavar="DIR",
              help="Add a NeuroQuery release: DIR holds coordinates.tsv.gz and metadata.tsv.gz.")
@click.option("--studies", "study_specs", multiple=True, metavar="[NAME=]PATH",
              help="Add studies (repeatable): a NiMARE Dataset JSON file, a NeuroStore Parquet "
              "studyset folder or a Sleuth text file. NAME defaults to the file name.")
@click.option("--no-default-studies", is_flag=True,
              help="Leave out the study sets shipped with nimare.")
@click.option("--force", is_flag=True, help="Replace an existing database file.")
def build(db_path, atlases, atlas_files, no_atlases, neurosynth_dir, neuroquery_dir,
          study_specs, no_default_studies, force):
    """Build the database: rasterise atlases and load study sets into one DuckDB file.

    Study sets load in this order, which decides ties when the same study (by PubMed id) or
    the same focus comes from several: the nimare sets, --neurosynth, --neuroquery, then each
    --studies in the order given. The file is written beside the target and renamed into
    place when complete, so an interrupted or failed build leaves any previous database intact.
    """
    from pathlib import Path

    from build_index.catalog import SHIPPED_ATLASES, shipped_atlas, user_atlas
    from build_index.studies.sources import (
        default_study_sources,
        tsv_study_source,
        user_study_source,
    )
    from c2r_db.paths import resolve_db_path

    if no_atlases and (atlases or atlas_files):
        raise click.UsageError("--no-atlases cannot be combined with --atlas or --atlas-file")
    path, is_default = resolve_db_path(db_path)
    if is_default:
        path.parent.mkdir(parents=True, exist_ok=True)
    sources = [] if no_atlases else [shipped_atlas(n) for n in (atlases or SHIPPED_ATLASES)]
    sources += [user_atlas(spec) for spec in atlas_files]
    studies = [] if no_default_studies else default_study_sources()
    for fmt, folder in (("neurosynth", neurosynth_dir), ("neuroquery", neuroquery_dir)):
        if folder:
            studies.append(tsv_study_source(fmt, folder))
    studies += [user_study_source(spec) for spec in study_specs]
    summary = _build(Path(path), sources, studies, force=force)
    click.echo(
        f"built {summary.path}: {len(summary.atlases)} atlases, "
        f"{len(summary.study_sources)} study sets, {summary.bytes / 1e6:.1f} MB"
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


def coordinate_options(command):
    """INPUT or ``--coord``, ``--space`` and ``--tal-transform``: how coordinates come in."""
    for option in reversed([
        click.argument("input_path", metavar="[INPUT|-]", required=False),
        click.option("--coord", "coords", multiple=True, metavar="X,Y,Z",
                     help="A coordinate in mm (repeatable), instead of an input table."),
        click.option("--space", type=click.Choice(SPACES), default="mni", show_default=True,
                     help="Space of the input coordinates."),
        click.option("--tal-transform", type=click.Choice(TAL_TRANSFORMS), default="lancaster",
                     show_default=True, help="Talairach -> MNI transform for --space tal."),
    ]):
        command = option(command)
    return command


def study_options(command):
    """``--unknown-space-as-mni``, shared by the commands that search foci."""
    return click.option(
        "--unknown-space-as-mni", is_flag=True,
        help="Also search foci whose source gave no known space, taking them as MNI "
        "(left out by default).",
    )(command)


def _coordinates(input_path, coords):
    from c2r_db.peaks import coordinates_from_options, read_coordinates

    if input_path and coords:
        raise click.UsageError("give an INPUT table or --coord values, not both")
    if not input_path and not coords:
        raise click.UsageError("give an INPUT table (or - for stdin) or at least one --coord")
    return read_coordinates(input_path) if input_path else coordinates_from_options(coords)


@cli.command()
@coordinate_options
@click.option("--atlas", "atlases", multiple=True, metavar="NAME",
              help="Atlas to use (repeatable). Default: every atlas in the database.")
@click.option("--max-distance", type=float, default=DEFAULT_MAX_DISTANCE_MM, show_default=True,
              metavar="MM", help="Outside every region, report the nearest region within this "
              "distance (voxel centre to nearest voxel of the region); 0 = exact only.")
@click.option("--long", "long_form", is_flag=True,
              help="One row per (input row, atlas) with region_id, hemisphere, distance_mm "
              "and probability.")
@click.option("--radius", type=float, metavar="MM",
              help="Also count the studies with foci within this distance (MNI mm, "
              "inclusive): adds n_studies, n_foci and study_ids.")
@study_options
@output_options
@db_option
def query(input_path, coords, space, tal_transform, atlases, max_distance, long_form, radius,
          unknown_space_as_mni, fmt, out_path, db_path):
    """Label coordinates with atlas regions (and count nearby studies with --radius).

    INPUT is a csv, tsv or Parquet table with columns x, y, z (other columns are carried
    through), or - for standard input. Each atlas adds a column <atlas> (region name, empty
    when none) and <atlas>_mm (distance in mm, 0 inside the region). With --radius each row
    also gets n_studies, n_foci and study_ids (ordered by nearest focus; ';'-joined in csv).
    """
    from c2r_db.lookup import regions_at
    from c2r_db.studies import COUNT_COLUMNS, studies_near

    if radius is not None and long_form:
        raise click.UsageError("--radius adds study counts to the wide table; for one row per "
                               "study use 'c2r-db studies'")
    table = _coordinates(input_path, coords)
    with open_database(db_path) as db:
        result = regions_at(db, table, atlases, max_distance=max_distance, space=space,
                            tal_transform=tal_transform, long=long_form)
        if radius is not None:
            near = studies_near(db, table, radius, space=space, tal_transform=tal_transform,
                                unknown_space_as_mni=unknown_space_as_mni)
            for name in COUNT_COLUMNS:
                result = result.append_column(name, near.column(name))
    _write(result, out_path, fmt)


@cli.command("studies")
@coordinate_options
@click.option("--radius", type=float, required=True, metavar="MM",
              help="Search radius around each coordinate (MNI mm, inclusive).")
@study_options
@output_options
@db_option
def studies_command(input_path, coords, space, tal_transform, radius, unknown_space_as_mni,
                    fmt, out_path, db_path):
    """List the studies that reported foci within --radius of each coordinate.

    One row per (input row, study), the input columns first, then study_id, distance_mm (to
    the study's nearest focus), n_foci (its foci within the radius), pmid, doi, title,
    authors, journal and year; ordered by input row, then distance, then study_id. Input rows
    without studies give no row. Foci in UNKNOWN space are left out unless
    --unknown-space-as-mni.
    """
    from c2r_db.studies import studies_near

    table = _coordinates(input_path, coords)
    with open_database(db_path) as db:
        result = studies_near(db, table, radius, space=space, tal_transform=tal_transform,
                              unknown_space_as_mni=unknown_space_as_mni, long=True)
    _write(result, out_path, fmt)


@cli.command("study")
@click.argument("study_id", metavar="ID")
@click.option("--abstract", "with_abstract", is_flag=True, help="Include the abstract column.")
@output_options
@db_option
def study_command(study_id, with_abstract, fmt, out_path, db_path):
    """Show one study with its foci, one row per focus.

    ID is the study's PubMed id, or <source>:<id> for a study without one (as listed in
    study_ids). Columns: the study's citation and sources, then per focus its contrast, x, y,
    z (MNI mm), the original coordinates and space, its source and the implausible flag.
    """
    from c2r_db.studies import study

    with open_database(db_path) as db:
        _write(study(db, study_id, abstract=with_abstract), out_path, fmt)


@cli.command("sql")
@click.argument("statement")
@db_option
@output_options
def sql_command(statement, db_path, fmt, out_path):
    """Run a read-only SQL query on the database (DuckDB dialect).

    Tables: atlases, regions, voxels, boundary_voxels, probabilities, studies, foci,
    study_grid, study_sources, manifest, build_info. Macros: c2r_label(table_or_file, atlas[,
    max_distance := MM]), c2r_membership(table_or_file, atlas[, min_prob := P]),
    c2r_region_voxels(atlas, region), c2r_voxel_key, c2r_voxel_mm, c2r_hemisphere_of_x,
    c2r_study_counts(table_or_file, radius), c2r_studies_near, c2r_foci_near (each [,
    unknown_space_as_mni := true]), c2r_cell_key. Statements that could write (DDL, DML, COPY,
    ATTACH, SET, ...) are refused.
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
