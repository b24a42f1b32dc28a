"""The commands that take records in: `intake` (a petition export) and `new` (one record at a time)."""

from __future__ import annotations

import click

from appeal_archive.cli.options import FORMAT, PROGRESS, RECORDS_DIR, finish, progress_to_stderr, reported_errors


@click.command()
@click.argument("export", type=click.Path(dir_okay=False))
@RECORDS_DIR
@click.option("--appeal", "appeal_id", required=True, metavar="APPEAL_ID",
              help="The appeal the export's signatures join (the id of its appeal record).")
@click.option("--map", "map_path", type=click.Path(dir_okay=False), help="Which column holds which field "
              "(docs/intake.md); without it, the columns headed exactly name, city, country, signed_at, comment, "
              "publish.")
@click.option("--encoding", help="The encoding of a CSV export that is not UTF-8 or UTF-16 with a byte order mark, "
              "e.g. cp1251 (Windows Cyrillic), cp1250, cp1252.")
@click.option("--sheet", help="The sheet of an XLSX workbook [default: the first].")
@click.option("--dry-run", is_flag=True, help="Say what would be written, and write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Take the valid rows and list the others, with why, in "
              "EXPORT.rejected.csv beside the export [default: take nothing when a row is invalid].")
@FORMAT
@PROGRESS
@click.pass_context
def intake(ctx: click.Context, export: str, records_dir: str, appeal_id: str, map_path: str | None,
           encoding: str | None, sheet: str | None, dry_run: bool, skip_invalid: bool, output_format: str,
           show_progress: bool | None) -> None:
    """Take the signatures of a petition export (CSV or XLSX) into RECORDS_DIR: one signatory entry per row,
    one person per distinct name, and a capture of the export's mapped columns that they quote.

    Private by default: a row is published only when its publish cell is one of the map's publish_values;
    the others are restricted. Running it again on the same export writes nothing; a grown export adds only
    its new rows. Columns that are not mapped (e-mail, IP address, phone) never enter the archive.

    \b
    Example:
      appeal-archive intake signatures.csv --appeal appeal-of-belarusians-to-the-eu --map map.yaml records/
      appeal-archive intake export.xlsx --appeal appeal-of-belarusians-to-the-eu --dry-run
    """
    from appeal_archive.cli.report import intake_text
    from appeal_archive.records.intake import intake as take_in

    with reported_errors(ctx, output_format):
        report = take_in(export, appeal_id, records_dir, map_path=map_path, encoding=encoding, sheet=sheet,
                         dry_run=dry_run, skip_invalid=skip_invalid, progress=progress_to_stderr(show_progress))
    finish(ctx, report, output_format, intake_text)


@click.command("new")
@click.argument("record_type", type=click.Choice(["signatory", "person", "organization", "rally"]))
@RECORDS_DIR
@click.option("--name", required=True, help="The name (or, for a signatory, the entry) as the source prints it.")
@click.option("--appeal", "appeal_id", metavar="APPEAL_ID", help="The appeal a signatory entry belongs to.")
@click.option("--source", "source_id", metavar="SOURCE_ID", help="The source record that prints it [default: the "
              "appeal's source, for a signatory; the first source, otherwise].")
@click.option("--restricted", is_flag=True, help="Write it access: restricted (a person's id then names no one).")
@click.option("--date", metavar="YYYY-MM-DD", help="A rally's date.")
@click.option("--date-as-printed", help="A rally's date as the source prints it [default: --date].")
@click.option("--city", help="A rally's city, as printed.")
@click.option("--country", metavar="CC", help="A rally's country (ISO 3166 code).")
@click.option("--participants", help='A rally\'s participants as printed, e.g. "more than 1,000 participants".')
@FORMAT
@click.pass_context
def new(ctx: click.Context, record_type: str, records_dir: str, name: str, appeal_id: str | None,
        source_id: str | None, restricted: bool, date: str | None, date_as_printed: str | None, city: str | None,
        country: str | None, participants: str | None, output_format: str) -> None:
    """Write a new signatory, person, organization or rally record into RECORDS_DIR: a skeleton the schema accepts,
    with the next position and an id that fits, and say which fields to check or fill.

    \b
    Example:
      appeal-archive new signatory --appeal appeal-of-belarusians-to-the-eu --name "Jan Kowalski" records/
      appeal-archive new person --name "Jan Kowalski" records/
      appeal-archive new rally --name "a rally in Vilnius" --date 2023-05-21 --city Vilnius --country LT \\
          --participants "about 300 participants" records/
    """
    from appeal_archive.cli.report import new_text
    from appeal_archive.records.skeleton import new_record

    with reported_errors(ctx, output_format):
        rally = {"date": date or "", "date_as_printed": date_as_printed or "", "city": city or "",
                 "country": country or "", "participants": participants or ""}
        report = new_record(records_dir, record_type, name, appeal=appeal_id, source=source_id,
                            restricted=restricted, rally=rally)
    finish(ctx, report, output_format, new_text)
