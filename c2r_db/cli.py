"""The ``c2r-db`` command line: a thin layer that opens the database, calls one library
function and writes its Arrow table. Every expected failure exits with status 2 and a one-line
message naming the file, line and value at fault (or the allowed choices)."""

from __future__ import annotations

import click

from c2r_db.cli_ai import report, summarize
from c2r_db.cli_common import (
    UserError,
    build_with_progress,
    coordinate_options,
    db_option,
    open_database,
    output_options,
    read_input,
    study_options,
    write_result,
)
from c2r_db.cli_regions import distance, membership, nearest, region_command
from c2r_db.errors import C2RError
from c2r_db.lookup import DEFAULT_MAX_DISTANCE_MM


class _Group(click.Group):
    def invoke(self, ctx):
        import duckdb

        try:
            return super().invoke(ctx)
        except C2RError as exc:
            raise UserError(str(exc)) from None
        except duckdb.Error as exc:
            raise UserError(str(exc).strip().splitlines()[0]) from None


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
    summary = build_with_progress(Path(path), sources, studies, force=force)
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
        write_result(db.atlases(), out_path, fmt)


@cli.command("regions")
@click.argument("atlas")
@db_option
@output_options
def regions_command(atlas, db_path, fmt, out_path):
    """List the regions of ATLAS with hemisphere, centroid (MNI mm), size and bounding box."""
    with open_database(db_path) as db:
        write_result(db.regions(atlas), out_path, fmt)


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
    table = read_input(input_path, coords)
    with open_database(db_path) as db:
        result = regions_at(db, table, atlases, max_distance=max_distance, space=space,
                            tal_transform=tal_transform, long=long_form)
        if radius is not None:
            near = studies_near(db, table, radius, space=space, tal_transform=tal_transform,
                                unknown_space_as_mni=unknown_space_as_mni)
            for name in COUNT_COLUMNS:
                result = result.append_column(name, near.column(name))
    write_result(result, out_path, fmt)


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

    table = read_input(input_path, coords)
    with open_database(db_path) as db:
        result = studies_near(db, table, radius, space=space, tal_transform=tal_transform,
                              unknown_space_as_mni=unknown_space_as_mni, long=True)
    write_result(result, out_path, fmt)


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
        write_result(study(db, study_id, abstract=with_abstract), out_path, fmt)


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
        write_result(result.to_arrow_table(), out_path, fmt)


for _command in (region_command, membership, nearest, distance, summarize, report):
    cli.add_command(_command)


def main():
    """Console-script entry point."""
    cli(prog_name="c2r-db")


if __name__ == "__main__":
    main()
