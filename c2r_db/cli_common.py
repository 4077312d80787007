"""Pieces shared by the ``c2r-db`` commands: the options every command takes, reading
coordinates, opening (or first building) the database, and writing result tables."""

from __future__ import annotations

import sys

import click

from c2r_db.output import OUTPUT_FORMATS
from c2r_db.spaces import SPACES, TAL_TRANSFORMS


class UserError(click.ClickException):
    """A failure caused by the input: printed without traceback, exit status 2."""

    exit_code = 2


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


def build_with_progress(path, atlases, studies, force=False):
    """Build a database with a progress bar on stderr; returns the build summary."""
    from build_index.build import build_database

    steps = len(atlases) + len(studies) + 1
    with click.progressbar(length=steps, label="building", file=sys.stderr) as bar:
        return build_database(path, atlases, studies=studies, force=force,
                              on_progress=lambda step: bar.update(1))


def build_default(path):
    """Build every shipped atlas and the default study sets into ``path``."""
    from build_index.catalog import SHIPPED_ATLASES, shipped_atlas
    from build_index.studies.sources import default_study_sources

    return build_with_progress(path, [shipped_atlas(name) for name in SHIPPED_ATLASES],
                  default_study_sources())


def open_database(db_path):
    """Open the database, building the default one on first use (announced on stderr)."""
    from c2r_db.database import Database
    from c2r_db.paths import resolve_db_path

    path, is_default = resolve_db_path(db_path)
    if is_default and not path.exists():
        click.echo(f"c2r-db: no database at {path} yet; building it now (once).", err=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        build_default(path)
    return Database(path)


def write_result(table, out_path, fmt):
    """Write an Arrow table to ``out_path`` (atomically) or stdout in format ``fmt``."""
    from c2r_db.output import write_table

    write_table(table, out_path, fmt)


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


def read_input(input_path, coords):
    """The coordinate table from INPUT (a file or -) or from --coord values."""
    from c2r_db.peaks import coordinates_from_options, read_coordinates

    if input_path and coords:
        raise click.UsageError("give an INPUT table or --coord values, not both")
    if not input_path and not coords:
        raise click.UsageError("give an INPUT table (or - for stdin) or at least one --coord")
    return read_coordinates(input_path) if input_path else coordinates_from_options(coords)
