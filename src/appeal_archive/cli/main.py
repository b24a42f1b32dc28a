"""The command line: each command parses options, calls one library function, reports, and exits.

Exit codes: 0 ok, 1 invalid records or failed verification, 2 usage error, 3 could not run.
"""

from __future__ import annotations

from pathlib import Path

import click

from appeal_archive.cli.options import (
    CACHE,
    FORMAT,
    JOBS,
    PROGRESS,
    RECORDS_DIR,
    finish,
    progress_to_stderr,
    reported_errors,
)
from appeal_archive.layout import EDITIONS, ZIP_THRESHOLD
from appeal_archive.views.registry import LINKED_ART_FORMS


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from appeal_archive.version import tool_name

        click.echo(tool_name())
        ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and the commit it was built from, and exit.")
@click.option("--debug", is_flag=True, help="Show the full traceback when something cannot run.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """appeal-archive: faithful, verifiable, durable records of civil-society appeals.

    \b
    Typical session:
      appeal-archive validate records/
      appeal-archive fmt records/
      appeal-archive manifest records/
      appeal-archive build records/ --bag
      appeal-archive verify build/AA-2023-05-21-belarusians-to-eu.pdf
    """
    ctx.ensure_object(dict)["debug"] = debug


@main.command()
@RECORDS_DIR
@FORMAT
@JOBS
@CACHE
@PROGRESS
@click.pass_context
def validate(ctx: click.Context, records_dir: str, output_format: str, jobs: int | None, use_cache: bool,
             show_progress: bool | None) -> None:
    """Check every record in RECORDS_DIR and report every problem.

    Checks YAML syntax and pitfalls, the JSON Schema, ids and file names, references between records,
    quotes against their source, and source documents against their SHA-256.

    \b
    Example:
      appeal-archive validate records/
      appeal-archive validate --format json records/ > report.json
    """
    from appeal_archive.cli.report import validation_text
    from appeal_archive.records.validate import validate_records

    with reported_errors(ctx, output_format):
        report = validate_records(records_dir, jobs=jobs, progress=progress_to_stderr(show_progress), cache=use_cache)
    finish(ctx, report, output_format, validation_text)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing the files that would change.")
@FORMAT
@PROGRESS
@click.pass_context
def fmt(ctx: click.Context, paths: tuple[str, ...], check: bool, output_format: str,
        show_progress: bool | None) -> None:
    """Rewrite records in the canonical YAML style, keeping comments and every value.

    PATHS are records folders or single record files [default: records]. Source documents are never
    changed.

    \b
    Example:
      appeal-archive fmt records/
      appeal-archive fmt --check records/     # for CI and pre-commit
    """
    from appeal_archive.cli.report import fmt_text
    from appeal_archive.records.fmt import format_records

    with reported_errors(ctx, output_format):
        report = format_records(list(paths) or ["records"], check=check, progress=progress_to_stderr(show_progress))
    finish(ctx, report, output_format, fmt_text)


@main.command()
@RECORDS_DIR
@FORMAT
@JOBS
@CACHE
@click.pass_context
def manifest(ctx: click.Context, records_dir: str, output_format: str, jobs: int | None, use_cache: bool) -> None:
    """Validate RECORDS_DIR and list every record's SHA-256 and the root hash; nothing is written.

    Text: one `sha256  path` line per record and source document, then the root. JSON: the report, with
    the manifest (the same one a build signs) under "manifest". Exits 1, listing the problems, when the
    records are not valid or a file has no salt yet (`salt` or a build gives it one: manifest only reads);
    warnings are listed either way.

    \b
    Example:
      appeal-archive manifest records/
      appeal-archive manifest --format json records/ > report.json
    """
    from appeal_archive.build.manifest_report import manifest_report
    from appeal_archive.cli.report import manifest_text

    with reported_errors(ctx, output_format):
        report = manifest_report(records_dir, jobs=jobs, cache=use_cache)
    finish(ctx, report, output_format, manifest_text)


@main.command()
@RECORDS_DIR
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Output folder; replaced as a whole, only when the build succeeds [default: build, or "
              "build-public for the public edition].")
@click.option("--edition", type=click.Choice(EDITIONS), default="full", show_default=True,
              help="full: every record (not for publication when any is restricted); public: restricted records "
              "withheld, each replaced by its salted leaf, with the same root.")
@click.option("--unsigned", is_flag=True, help="Write the PDF without signing it (byte-identical for the same "
              "records and SOURCE_DATE_EPOCH).")
@click.option("--key", type=click.Path(dir_okay=False), help="Signer's private key (PEM); with --cert.")
@click.option("--cert", type=click.Path(dir_okay=False), help="Signer's certificate and chain (PEM); with --key.")
@click.option("--pkcs12", type=click.Path(dir_okay=False), help="Signer's key and certificate as PKCS#12.")
@click.option("--passphrase-env", default="APPEAL_ARCHIVE_PASSPHRASE", show_default=True,
              help="Environment variable that holds the key's or PKCS#12 passphrase.")
@click.option("--tsa", "tsa_urls", metavar="URL", multiple=True, help="RFC 3161 time-stamp authority; give it "
              "twice for two authorities (the first stamps the signatures, the second the document).")
@click.option("--level", type=click.Choice(["B-B", "B-T", "B-LT", "B-LTA"]), default=None,
              help="PAdES level of the PDF's signature [default: B-LTA with --tsa, B-B without].")
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="A root (PEM) the signer's or an authority's certificate chains to, when it is none of "
              "Mozilla's; used to collect validation data for B-LT and B-LTA.")
@click.option("--bag", is_flag=True, help="Also write the BagIt transfer package of the whole build (it copies "
              "and hashes every file again: seconds for a real appeal, minutes for 100,000 signatories).")
@click.option("--linked-art", "linked_art", type=click.Choice(LINKED_ART_FORMS), default="auto", show_default=True,
              help="The Linked Art view as a folder of documents (linked-art/) or one linked-art.zip; auto: the "
              f"folder up to {ZIP_THRESHOLD:,} records, the ZIP above.")
@click.option("--extends", "extends", type=click.Path(exists=True), metavar="PREVIOUS",
              help="An earlier signed edition of this archive (its PDF, bundle or bag, full or public) that this one "
              "only adds to: its leaves stay where they were, changed records are appended with their "
              "correction_note, removed ones kept as retracted (retractions.yaml), and the RFC 9162 consistency "
              "proof travels inside the signed files. PREVIOUS must verify (--trust-root as for verify).")
@FORMAT
@JOBS
@PROGRESS
@click.pass_context
def build(ctx: click.Context, records_dir: str, out_dir: str | None, edition: str, unsigned: bool, key: str | None,
          cert: str | None, pkcs12: str | None, passphrase_env: str, tsa_urls: tuple[str, ...], level: str | None,
          trust_roots: tuple[str, ...], bag: bool, linked_art: str, extends: str | None, output_format: str,
          jobs: int | None, show_progress: bool | None) -> None:
    """Validate RECORDS_DIR, then write the manifest, the signed archival PDF and the signed JSON-LD
    bundle into --out (and, with --bag, a BagIt package of all of it).

    Nothing is written when a record is invalid, or when signing fails. Without --key/--cert or
    --pkcs12, the custodian identity is used: a CA and a signing certificate made once in
    ~/.config/appeal-archive/identity (or $APPEAL_ARCHIVE_IDENTITY_DIR); see `appeal-archive identity`.
    The build date is SOURCE_DATE_EPOCH when set, otherwise the clock.

    \b
    Example:
      appeal-archive build records/ --out build/ --bag
      appeal-archive build records/ --edition public --out build-public/ --bag
      appeal-archive build records/ --out build-june/ --extends build-march/AA-2023-05-21-belarusians-to-eu.pdf
      appeal-archive build --tsa https://tsa.one.example/tsr --tsa https://tsa.two.example/tsr
      appeal-archive build --pkcs12 signer.p12 --tsa https://freetsa.org/tsr --level B-T
    """
    from appeal_archive.build.archive import build_archive
    from appeal_archive.cli.report import build_text
    from appeal_archive.signing.keys import SignerConfig

    config = SignerConfig(key=_path(key), cert=_path(cert), pkcs12=_path(pkcs12), passphrase_env=passphrase_env,
                          tsa_urls=tsa_urls, level=level, trust_roots=tuple(Path(root) for root in trust_roots))
    with reported_errors(ctx, output_format):
        result = build_archive(records_dir, out_dir or ("build-public" if edition == "public" else "build"),
                               unsigned=unsigned, signer_config=config, bag=bag, jobs=jobs, edition=edition,
                               linked_art=linked_art, extends=extends, progress=progress_to_stderr(show_progress))
    finish(ctx, result, output_format, build_text)


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


@main.command()
@click.argument("file", type=click.Path())
@click.option("--records", "records_dir", type=click.Path(file_okay=False, exists=True),
              help="Also compare with these records and list what changed since signing.")
@click.option("--rebuild", is_flag=True, help="Re-render the PDF from its own attachments and check the signed "
              "bytes are exactly that rendering.")
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="A root certificate (PEM) the signer and the time-stamp authorities must chain to; may be given "
              "more than once.")
@click.option("--at", "at", metavar="DATE", callback=lambda _ctx, _param, value: _moment(value),
              help="Also judge the PDF's signature as of DATE (2046-12-01 or an ISO 8601 time, UTC unless it says "
              "otherwise) with only the evidence the file carries.")
@click.option("--against", "against", type=click.Path(exists=True), metavar="SIGNED",
              help="FILE is an inclusion proof (`appeal-archive prove`): verify SIGNED (a signed PDF or bundle of "
              "either edition), then the proof against its root.")
@click.option("--extends", "extends", type=click.Path(exists=True), metavar="OLD",
              help="Also verify OLD, an earlier signed edition, and that FILE keeps every leaf of it where it was "
              "(RFC 9162 consistency); report what was added, corrected and retracted since.")
@FORMAT
@click.pass_context
def verify(ctx: click.Context, file: str, records_dir: str | None, rebuild: bool, trust_roots: tuple[str, ...],
           at, against: str | None, extends: str | None, output_format: str) -> None:
    """Check what a build made, offline: a signed PDF, a JSON-LD bundle, or a BagIt bag folder.

    A PDF: its signature (level, chain, time stamps, validation data), every update after it,
    attachments, manifest and the root in its metadata and on its cover. A bundle: its CAdES .p7s beside
    it, and the root its record hashes give. A bag: BagIt validity, then both of those. Exit 0 when every
    check holds, 1 when one fails, 3 when the file cannot be read.

    \b
    Example:
      appeal-archive verify --trust-root custodian-ca.pem build/AA-2023-05-21-belarusians-to-eu.pdf
      appeal-archive verify --trust-root custodian-ca.pem --at 2046-12-01 build/AA-2023-05-21-belarusians-to-eu.pdf
      appeal-archive verify build/AA-2023-05-21-belarusians-to-eu.jsonld
      appeal-archive verify --records records/ --rebuild build/AA-2023-05-21-belarusians-to-eu-bag
      appeal-archive verify proof.json --against build-public/AA-2023-05-21-belarusians-to-eu.pdf
      appeal-archive verify build-june/AA-2023-05-21-belarusians-to-eu.pdf --extends march.pdf
    """
    from appeal_archive.cli.report import verify_text
    from appeal_archive.verify import verify_archive

    if extends and (against or records_dir or rebuild or at):
        raise click.UsageError("--extends compares two signed editions; give it alone")
    with reported_errors(ctx, output_format):
        if extends:
            from appeal_archive.verify.lineage import verify_extension

            report = verify_extension(file, extends, trust_roots=[Path(root) for root in trust_roots])
        elif against:
            from appeal_archive.verify.proof import verify_proof

            report = verify_proof(file, against, trust_roots=[Path(root) for root in trust_roots])
        else:
            report = verify_archive(file, records_dir=records_dir, rebuild=rebuild,
                                    trust_roots=[Path(root) for root in trust_roots], at=at)
    finish(ctx, report, output_format, verify_text)


@main.command()
@RECORDS_DIR
@FORMAT
@click.pass_context
def salt(ctx: click.Context, records_dir: str, output_format: str) -> None:
    """Give every record and source document in RECORDS_DIR that has none a secret salt of 128 bits, appended
    to RECORDS_DIR/salts.txt (a build does the same). Keep that file as secret as the restricted records.

    \b
    Example:
      appeal-archive salt records/
    """
    from appeal_archive.cli.report import salt_text
    from appeal_archive.records.salts import salt_records

    with reported_errors(ctx, output_format):
        report = salt_records(records_dir)
    finish(ctx, report, output_format, salt_text)


@main.command()
@click.argument("record_id", required=False)
@RECORDS_DIR
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False),
              help="Where to write the proof (JSON).")
@click.option("--consistency", "consistency", nargs=2, type=click.Path(exists=True), metavar="OLD NEW",
              help="Instead of a record's proof: verify two signed editions and write the RFC 9162 consistency "
              "proof from OLD's tree to NEW's.")
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="With --consistency: a root certificate (PEM) the editions' signers must chain to.")
@FORMAT
@CACHE
@click.pass_context
def prove(ctx: click.Context, record_id: str | None, records_dir: str, out_file: str,
          consistency: tuple[str, str] | None, trust_roots: tuple[str, ...], output_format: str,
          use_cache: bool) -> None:
    """Write an inclusion proof that the record RECORD_ID (its id, or its path such as persons/x.yaml) is in
    the record set's root: the record, its salted entry and its RFC 9162 audit path. With the signed PDF or
    bundle of either edition, `appeal-archive verify PROOF --against SIGNED` checks it, and shows a court
    this one record without anything else.

    \b
    Example:
      appeal-archive prove alexander-azarov records/ --out azarov-proof.json
      appeal-archive verify azarov-proof.json --against build-public/AA-2023-05-21-belarusians-to-eu.pdf
      appeal-archive prove --consistency march.pdf june.pdf --out march-to-june.json
    """
    from appeal_archive.build.prove import prove_record
    from appeal_archive.cli.report import consistency_text, prove_text

    if bool(consistency) == bool(record_id):
        raise click.UsageError("give a RECORD_ID, or --consistency OLD NEW")
    with reported_errors(ctx, output_format):
        if consistency:
            from appeal_archive.build.extending import prove_consistency

            finish(ctx, prove_consistency(*consistency, Path(out_file), [Path(root) for root in trust_roots]),
                   output_format, consistency_text)
            return
        report = prove_record(records_dir, record_id or "", Path(out_file), cache=use_cache)
    finish(ctx, report, output_format, prove_text)


def _moment(value: str | None):
    """An ISO 8601 date or time, in UTC unless it names its offset."""
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time (e.g. 2046-12-01)") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--tsa", "tsa_url", metavar="URL", required=True, help="The RFC 3161 time-stamp authority that "
              "makes the new document time stamp.")
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="A root (PEM) the authorities' certificates chain to, when it is none of Mozilla's and not in "
              "the file.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write the renewed file here "
              "[default: replace FILE, atomically].")
@FORMAT
@click.pass_context
def extend(ctx: click.Context, file: str, tsa_url: str, trust_roots: tuple[str, ...], out_file: str | None,
           output_format: str) -> None:
    """Renew a signed PDF (PAdES B-LT or B-LTA): add the current validation data of its newest time stamp
    and a new document time stamp, as an incremental update. The archive's signature is untouched.

    Do it before the newest time stamp's certificate expires (see `verify`), or when its hash algorithm
    weakens. Nothing is written if the authority cannot be reached.

    \b
    Example:
      appeal-archive extend build/AA-2023-05-21-belarusians-to-eu.pdf --tsa https://tsa.example/tsr
    """
    from appeal_archive.build.renew import extend_file
    from appeal_archive.cli.report import extend_text

    with reported_errors(ctx, output_format):
        report = extend_file(Path(file), tsa_url, tuple(Path(root) for root in trust_roots),
                             Path(out_file) if out_file else None)
    finish(ctx, report, output_format, extend_text)


@main.command()
@click.option("--create", is_flag=True, help="Make the identity now if there is none (a signed build would).")
@click.option("--name", metavar="NAME", help="With --create: the custodian's name, as certificates and the cover "
              "state it (default: $APPEAL_ARCHIVE_SIGNER_NAME, else a placeholder).")
@click.option("--export-ca", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the custodian CA's certificate (PEM) to FILE, for recipients to trust.")
@FORMAT
@click.pass_context
def identity(ctx: click.Context, create: bool, name: str | None, export_ca: str | None, output_format: str) -> None:
    """Show the default signing identity: the custodian CA and the signing certificate it issued.

    It lives in ~/.config/appeal-archive/identity (or $APPEAL_ARCHIVE_IDENTITY_DIR); its keys never leave
    that folder. Recipients make the exported CA certificate a trust anchor once, then trust every archive
    signed with this identity.

    \b
    Examples:
      appeal-archive identity --create --name "Museum of Free Belarus"
      appeal-archive identity --export-ca custodian-ca.pem
    """
    from appeal_archive.cli.report import identity_text
    from appeal_archive.signing.custodian import default_identity_dir, describe_identity

    with reported_errors(ctx, output_format):
        report = describe_identity(default_identity_dir(), create=create, name=name, export_ca=_path(export_ca))
    finish(ctx, report, output_format, identity_text)


@main.command("schema")
@click.option("--write", "write", is_flag=True, help="Write the exported files into DIRECTORY.")
@click.option("--dir", "directory", default="schema", show_default=True, type=click.Path(file_okay=False))
@FORMAT
@click.pass_context
def schema_command(ctx: click.Context, write: bool, directory: str, output_format: str) -> None:
    """Export the record models as JSON Schema files; without --write, exit 1 if DIRECTORY is missing
    files or holds stale ones (for developers, in the repository).

    \b
    Example (after changing models.py):
      appeal-archive schema --write
    """
    from appeal_archive.cli.report import schema_text
    from appeal_archive.records.schema_export import check_schemas

    with reported_errors(ctx, output_format):
        report = check_schemas(Path(directory), write=write)
    finish(ctx, report, output_format, schema_text)


from appeal_archive.cli.taking import intake, new  # noqa: E402 - the commands that take records in, on `main`

main.add_command(intake)
main.add_command(new)


def run() -> None:  # pragma: no cover - console script entry point
    main(prog_name="appeal-archive")


if __name__ == "__main__":  # pragma: no cover
    run()
