"""``c2r-db summarize`` and ``c2r-db report``: LLM answers grounded in the database.

Each input coordinate is labelled in the chosen atlases and searched for studies within
``--radius`` (:mod:`c2r_db.ai.grounding`); the model sees only that evidence. Any
OpenAI-compatible provider works: a named one from the provider table (its key from the usual
environment variable) or any server given by ``--base-url``. Keys are never printed.
"""

from __future__ import annotations

import contextlib

import click

from c2r_db.cli_common import (
    UserError,
    coordinate_options,
    db_option,
    open_database,
    read_input,
    study_options,
)
from c2r_db.output import OUTPUT_FORMATS

_DEFAULT_RADIUS_MM = 6.0  # the same as c2r_db.ai.grounding.DEFAULT_RADIUS_MM (checked in tests)


class AIFailure(click.ClickException):
    """The model could not be reached or kept failing: exit status 1, no traceback."""

    exit_code = 1


@contextlib.contextmanager
def _ai_errors():
    """Turn AI-layer failures into one-line CLI errors (status 2 for bad setup, 1 otherwise)."""
    from c2r_db.ai import AIError, UnknownModelError

    try:
        yield
    except UnknownModelError as exc:
        raise UserError(str(exc)) from None
    except AIError as exc:
        raise AIFailure(str(exc)) from None
    except ValueError as exc:  # provider set-up: no key, unknown option or template
        raise UserError(str(exc)) from None


def model_options(command):
    """Options choosing the model, its provider and the request settings."""
    for option in reversed([
        click.option("--model", required=True, help="Model name, e.g. gpt-4o-mini."),
        click.option("--provider", metavar="NAME",
                     help="Provider from the table (openai, gemini, anthropic, openrouter, groq, "
                     "deepseek, together, huggingface, local). Default: any provider whose key "
                     "is set and that offers --model; 'local' with --base-url."),
        click.option("--base-url", metavar="URL",
                     help="OpenAI-compatible endpoint (vLLM, llama.cpp, Ollama, a proxy...)."),
        click.option("--atlas", "atlases", multiple=True, metavar="NAME",
                     help="Atlas whose labels ground the prompt (repeatable). Default: all."),
        click.option("--radius", type=float, default=_DEFAULT_RADIUS_MM, show_default=True,
                     metavar="MM", help="Studies with foci within this distance are the "
                     "evidence."),
        click.option("--max-tokens", type=click.IntRange(1), default=1000, show_default=True),
        click.option("--concurrency", type=click.IntRange(1), default=4, show_default=True,
                     help="Requests in flight at once for a table of coordinates."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0,
                     show_default=True, metavar="S", help="Seconds per request."),
        click.option("--no-cache", is_flag=True,
                     help="Ask the model again even when the same request is in the cache."),
        click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS),
                     help="Write a table (input columns plus the answer) instead of text."),
        click.option("--out", "out_path", type=click.Path(dir_okay=False),
                     help="Write the table to this file (format from its extension)."),
    ]):
        command = option(command)
    return command


def _client(model, provider, base_url, no_cache, timeout):
    from c2r_db.ai import AIModelInterface

    if base_url or provider:
        ai = AIModelInterface(enabled_providers=[], cache=not no_cache, timeout=timeout)
        config = {"models": {model: model}}
        if base_url:
            config["base_url"] = base_url
        ai.register_provider(provider or "local", **config)
        return ai
    ai = AIModelInterface(cache=not no_cache, timeout=timeout)
    if not ai.supports(model):
        offered = ", ".join(ai.list_available_models()) or "none: no provider key is set"
        raise UserError(f"no configured provider offers model {model!r} (available: {offered}); "
                        "pass --provider with its key in the environment, or --base-url")
    return ai


def _evidence(db_path, table, space, tal_transform, atlases, radius, unknown_space_as_mni):
    from c2r_db.ai.grounding import gather_evidence
    from c2r_db.peaks import with_mni

    table, mni = with_mni(table, space, tal_transform)
    with open_database(db_path) as db:
        return table, gather_evidence(db, mni, atlases, radius=radius,
                                      unknown_space_as_mni=unknown_space_as_mni)


def _heading(table, index, evidence):
    given = [table.column(c)[index].as_py() for c in "xyz"]
    mni = evidence.coordinate_mni
    text = f"== row {index + 1}: ({', '.join(f'{v:g}' for v in given)})"
    if tuple(given) != tuple(mni):
        text += f" -> MNI ({', '.join(f'{v:.1f}' for v in mni)})"
    return text + f"; {len(evidence.studies)} studies within {evidence.radius_mm:g} mm"


def _write_table(table, columns, out_path, fmt):
    import pyarrow as pa

    from c2r_db.output import write_table
    from c2r_db.peaks import check_free_columns

    check_free_columns(table, list(columns))
    for name, values in columns.items():
        table = table.append_column(name, pa.array(values))
    write_table(table, out_path, fmt)


@click.command()
@coordinate_options
@model_options
@click.option("--prompt-type", default="summary", show_default=True,
              help="Template of c2r_db.ai.LLM_PROMPT_TEMPLATES (summary, region_name, function, "
              "...).")
@click.option("--stream", is_flag=True, help="Print the answer as it arrives (text output).")
@study_options
@db_option
def summarize(input_path, coords, space, tal_transform, model, provider, base_url, atlases,
              radius, max_tokens, concurrency, timeout, no_cache, fmt, out_path, prompt_type,
              stream, unknown_space_as_mni, db_path):
    """Summarise the evidence at each coordinate with a language model.

    The prompt holds the coordinate, its region in each atlas (with the distance when the
    nearest region is used) and the studies with foci within --radius (title, year, PMID,
    abstract); with none, it says so and the model is told not to invent any. One summary per
    input row, printed under the row's coordinate, or a table with --format/--out.
    """
    from c2r_db.ai import generate_batch_summaries, stream_summary

    if stream and (fmt or out_path):
        raise click.UsageError("--stream prints text; it cannot be combined with --format/--out")
    table, evidence = _evidence(db_path, read_input(input_path, coords), space, tal_transform,
                                atlases, radius, unknown_space_as_mni)
    with _ai_errors(), _client(model, provider, base_url, no_cache, timeout) as ai:
        if stream:
            for index, item in enumerate(evidence):
                click.echo(_heading(table, index, item))
                for chunk in stream_summary(ai, item.studies, item.coordinate_mni, prompt_type,
                                            model, item.atlas_labels(), max_tokens=max_tokens,
                                            radius_mm=radius, use_cache=not no_cache):
                    click.echo(chunk, nl=False)
                click.echo("\n")
            return
        summaries = generate_batch_summaries(
            ai, [(e.coordinate_mni, e.studies) for e in evidence], prompt_type, model,
            max_tokens=max_tokens, atlas_labels=[e.atlas_labels() for e in evidence],
            radius_mm=radius, max_concurrency=concurrency, use_cache=not no_cache)
    if fmt or out_path:
        _write_table(table, {"summary": summaries}, out_path, fmt)
        return
    for index, (item, summary) in enumerate(zip(evidence, summaries)):
        click.echo(_heading(table, index, item))
        click.echo(summary.strip() + "\n")


@click.command()
@coordinate_options
@model_options
@click.option("--max-words", type=click.IntRange(20), default=180, show_default=True,
              help="Longest narrative asked for.")
@study_options
@db_option
def report(input_path, coords, space, tal_transform, model, provider, base_url, atlases, radius,
           max_tokens, concurrency, timeout, no_cache, fmt, out_path, max_words,
           unknown_space_as_mni, db_path):
    """A reasoned report per coordinate: a short narrative plus a validated JSON summary.

    The JSON is checked against the schema the model was asked for, and every PMID it cites
    must be one of the studies given as evidence: anything else is reported (json_error,
    unknown_pmids, and a warning on stderr), never passed through silently.
    """
    import json
    from concurrent.futures import ThreadPoolExecutor

    from c2r_db.ai import run_reasoned_report

    table, evidence = _evidence(db_path, read_input(input_path, coords), space, tal_transform,
                                atlases, radius, unknown_space_as_mni)
    with _ai_errors(), _client(model, provider, base_url, no_cache, timeout) as ai:
        def one(item):
            parsed, _ = run_reasoned_report(ai, model, item.report_context(),
                                            max_tokens=max_tokens, max_words=max_words,
                                            use_cache=not no_cache)
            return parsed

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            reports = list(pool.map(one, evidence))
    for index, parsed in enumerate(reports):
        if parsed.json_error:
            click.echo(f"c2r-db: row {index + 1}: {parsed.json_error}", err=True)
    if fmt or out_path:
        _write_table(table, {
            "narrative": [r.narrative for r in reports],
            "report_json": [json.dumps(r.json_data) if r.json_data is not None else None
                            for r in reports],
            "json_error": [r.json_error for r in reports],
            "unknown_pmids": [r.unknown_pmids for r in reports],
        }, out_path, fmt)
        return
    for index, (item, parsed) in enumerate(zip(evidence, reports)):
        click.echo(_heading(table, index, item))
        click.echo(parsed.narrative.strip())
        if parsed.json_data is not None:
            click.echo(json.dumps(parsed.json_data, indent=2))
        if parsed.json_error:
            click.echo(f"JSON check failed: {parsed.json_error}")
        click.echo()

