"""The catalogue of issue codes: every code appeal-archive reports, with what it means.

Codes are stable: programs may rely on them. A test fails when the source raises a code that is not
here, and the README's catalogue is generated from this table (`python -m appeal_archive.codes --readme`
rewrites it; a test fails while it is out of date).
"""

from __future__ import annotations

import sys
from pathlib import Path

CODES: dict[str, str] = {
    # YAML and encoding: one record file as text
    "encoding.bom": "The file starts with a UTF-8 byte order mark (warning; fmt drops it).",
    "encoding.invalid-utf8": "A byte sequence is not valid UTF-8.",
    "encoding.not-utf8": "The file is UTF-16 or UTF-32, not UTF-8.",
    "yaml.alias": "An anchor or alias (&name, *name); records write every value out in full.",
    "yaml.ambiguous": "A plain value that YAML 1.1 tools read differently from YAML 1.2 (NO, on, 1:20, 010, dates).",
    "yaml.bad-character": "A control character YAML does not allow.",
    "yaml.duplicate-key": "A key appears twice in one mapping.",
    "yaml.empty": "The file holds no YAML document.",
    "yaml.key-not-string": "A mapping key is not a plain word.",
    "yaml.multiple-documents": "The file holds more than one YAML document.",
    "yaml.syntax": "The text is not valid YAML.",
    "yaml.tab": "A tab is used for indentation.",
    "yaml.tag": "An explicit tag other than the core schema's, or a tagged value that does not fit its tag.",
    "yaml.too-deep": "Data nested deeper than any record type needs.",
    "yaml.version": "A %YAML directive other than 1.2; records are YAML 1.2.",
    "yaml.number-too-long": "A number longer than any record holds (it would not even be read).",
    # text rules for every string
    "text.control-char": "A string holds a control character, a line or paragraph separator, or a noncharacter.",
    "text.invisible-char": "A string holds an invisible or bidirectional-control character.",
    "text.mixed-script": "A word mixes letters of two scripts, e.g. Latin and Cyrillic look-alikes (warning).",
    "text.not-nfc": "A string is not in Unicode normalization form NFC.",
    # files in the records folder
    "file.extension": "A record file ends in .yml instead of .yaml.",
    "file.hidden": "A record file's name starts with a dot.",
    "file.too-large": "A file is larger than the limit for its kind; it is not read.",
    "file.unexpected": "A file that is not a record sits in a record folder (warning).",
    "file.unexpected-place": "A file sits outside the record folders, or in a subfolder of one.",
    "file.unreadable": "A file cannot be read (permissions, or it vanished).",
    "path.escape": "A source record names a document outside records/sources/.",
    "path.not-a-file": "An entry in the records folder is not a regular file (a FIFO, a device).",
    "path.symlink": "An entry in the records folder is a symbolic link.",
    "path.hard-link": "A file in the records folder has another name (a hard link) elsewhere; records are copies, "
    "never links.",
    "path.bad-name": "A file's name holds a control or line-separating character, or a space at an end: the salt "
    "ledger cannot hold it.",
    "file.key-material": "A file in the records folder is a private key (PEM, DER) or a PKCS#12 key store.",
    "records.not-found": "The records folder given does not exist.",
    "config.missing": "The records folder has no archive.yaml.",
    # the JSON Schema
    "schema.enum": "A value is not one of those allowed.",
    "schema.format": "A value is not of its format, e.g. an impossible date.",
    "schema.invalid": "A value breaks a schema rule not listed separately.",
    "schema.no-match": "A value matches none of the allowed forms.",
    "schema.pattern": "A value is not of the required form (an id, a tag, a digest).",
    "schema.required": "A required field is missing.",
    "schema.too-few": "A list has fewer items than required.",
    "schema.too-large": "A number is larger than allowed.",
    "schema.too-long": "A text is longer than allowed.",
    "schema.too-many": "A list has more items than allowed.",
    "schema.too-short": "A text is shorter than allowed (often: empty).",
    "schema.too-small": "A number is smaller than allowed.",
    "schema.type": "A value is of the wrong type, e.g. a number where a mapping is expected.",
    "schema.unknown-field": "A field the record type does not have (often a misspelling).",
    "schema.file-missing": "`appeal-archive schema`: a schema file is missing from the folder.",
    "schema.file-stale": "`appeal-archive schema`: a schema file differs from what the models export.",
    # one record, and the set
    "record.duplicate-id": "Two records of one type share an id.",
    "record.id-mismatch": "A record's id differs from its file name.",
    "record.not-a-mapping": "A record file holds a list or a single value, not fields.",
    "record.exists": "A new record would be written over a file that exists already; nothing is written.",
    "record.write-failed": "A new record could not be written (permissions, a full disk); nothing was written.",
    "record.not-writable": "A record made by a program has no type or id, or data YAML cannot write back as itself.",
    "ref.dangling": "A reference names a record that does not exist.",
    "quote.not-in-source": "A quoted field does not occur in the cited source; the message says where it departs.",
    "quote.unverifiable": "Quotes cite a source that is not a text document (warning).",
    "set.no-appeal": "The record set has no appeal record.",
    "appeal.signatory-count": "An appeal declares another number of signatories than there are records.",
    "signatory.duplicate-position": "Two signatory entries of one appeal share a position.",
    "signatory.missing-position": "A position in an appeal's list of signatories has no record.",
    "source.file-missing": "A source record's document is not in records/sources/.",
    "source.hash-mismatch": "A source document's bytes no longer have the SHA-256 its record states.",
    "source.unreferenced": "A document in records/sources/ that no source record describes (warning).",
    "manifest.unsalted": "manifest: files with no salt yet have no leaf; `salt` (or a build) gives them one.",
    "validate.workers": "The worker processes of a large validation failed (could not run).",
    "cache.readable-by-others": "The validation cache, which holds what the records say, can be read by other users "
                                "(warning).",
    "cache.unusable": "The validation cache is not used this run: inside the records folder, owned by another user or "
                      "writable by others, not a file that can be opened, or held by another run (warning; the records "
                      "are checked all the same).",
    # fmt
    "fmt.unreadable": "fmt: the file has YAML errors; fix them first.",
    "fmt.unstable": "fmt: formatting does not settle on one form; the file is left as it is.",
    "fmt.would-change-data": "fmt: formatting would change the data; the file is left as it is.",
    "fmt.would-lose-comment": "fmt: formatting would lose or alter a comment; the file is left as it is.",
    # build and signing (could not run)
    "build.out-not-empty": "The output folder holds files a build did not make.",
    "build.out-not-folder": "The output path exists and is not a folder.",
    "build.nothing-public": "The public edition would hold no appeal: every appeal record is restricted.",
    "output.in-records": "An output (--out, --export-ca, extend's file) would be written inside a records folder.",
    "new.unknown-type": "`new` was asked for a record type it does not make.",
    "new.no-name": "`new` was given an empty name.",
    "new.unknown-source": "The --source given to `new` is no source record's id.",
    "new.rally-facts": "`new rally` was not given the date, city, country and participants a rally record needs.",
    "new.unreadable-count": "`new rally --participants` does not begin with a number or a qualifier and a number.",
    "new.bad-name": "The name given to `new` holds a control or invisible character, or a line break.",
    "new.invalid": "The record `new` would write does not pass the schema (a date, a country code, a count).",
    "new.unknown-appeal": "The --appeal given to `new signatory` is no appeal record's id.",
    "intake.bad-map": "The --map file is not a map intake reads (columns, publish_values, date_format).",
    "intake.missing-column": "A column the map names is not in the export's header.",
    "intake.ambiguous-column": "Several columns of the export carry the header the map names.",
    "intake.empty-name": "A row's name cell is empty.",
    "intake.bad-date": "A row's date does not parse as ISO 8601 or as the map's date_format.",
    "intake.cell-too-long": "A cell holds more characters than any name, place or comment needs.",
    "intake.line-break": "A name, place or date cell holds a line break.",
    "intake.row-width": "A row has more or fewer cells than the header (an unquoted delimiter shifts the others).",
    "intake.consent-withdrawn": "A row taken before as a public entry no longer gives consent (warning).",
    "intake.looks-personal": "A mapped cell holds what looks like an e-mail address, IP address or phone number.",
    "intake.formula": "A cell holds a formula: it is taken as its text, never evaluated (warning).",
    "intake.name-is-public": "A row's signer did not consent, but the archive publishes the name elsewhere.",
    "intake.records-invalid": "The records folder does not validate, so what intake adds could not be checked.",
    "intake.unknown-appeal": "The --appeal id is no appeal record's.",
    "intake.not-utf8": "The export's bytes are not UTF-8 and no --encoding was given.",
    "intake.bad-encoding": "The export's bytes are not in the --encoding given.",
    "intake.unknown-encoding": "The --encoding given is not an encoding Python knows.",
    "intake.encoding-not-applicable": "--encoding was given for an XLSX workbook.",
    "intake.sheet-not-applicable": "--sheet was given for a CSV export.",
    "intake.no-sheet": "The workbook has no sheet of the --sheet name.",
    "intake.bad-xlsx": "The workbook cannot be read.",
    "intake.no-header": "The export has no header row.",
    "intake.too-many-rows": "The export holds more rows than intake takes at once.",
    "intake.bad-csv": "A row of the CSV export is not well formed (its quoting).",
    "intake.binary": "The export holds NUL bytes: it is not a text export.",
    "build.linked-art-form": "The Linked Art view was asked for in a form other than auto, folder or zip.",
    "build.source-date-epoch": "SOURCE_DATE_EPOCH is not a whole number of seconds since 1970.",
    "pdf.missing-glyph": "A character the archival font cannot draw.",
    "pdf.not-pdfa": "The rendered PDF does not pass PDF/A-3b (a bug in appeal-archive).",
    "internal.intake-unsettled": "Intake found a protected name it did not make (a bug in appeal-archive).",
    "internal.no-data": "A record set loaded without its data was given to a view (a bug in the caller).",
    "internal.error": "An unexpected error (a bug in appeal-archive; --debug shows the traceback).",
    "sign.cert-invalid": "The certificate file holds no PEM certificate.",
    "sign.certificate-expired": "The signing certificate has expired.",
    "sign.certificate-not-yet-valid": "The signing certificate is not valid yet.",
    "sign.failed": "Signing failed.",
    "sign.identity": "The signing identity (custodian CA and signing certificate) cannot be created.",
    "sign.identity-incomplete": "The signing identity folder has a key without a certificate, or the reverse.",
    "build.disk-full": "The disk filled up while the build was written; the previous build is untouched.",
    "build.write-failed": "The build could not be written (permissions, a vanished disk); the previous one is "
    "untouched.",
    "sign.key-invalid": "The key file holds no private key this passphrase opens.",
    "sign.key-mismatch": "The private key does not belong to the certificate.",
    "sign.key-type": "The signing key is not an RSA key.",
    "sign.key-unreadable": "The key or certificate file cannot be read.",
    "sign.not-incremental": "The signed file does not start with the unsigned bytes (a bug).",
    "sign.passphrase": "The key is encrypted and the passphrase is missing or wrong.",
    "sign.tsa": "The time-stamp authority did not answer usefully; nothing was written.",
    "sign.revocation-missing": "No CRL or OCSP response could be had for a certificate B-LT and B-LTA must carry; "
    "nothing was written.",
    "sign.chain-incomplete": "The signer's or an authority's certificate does not chain to a known root (give "
    "--trust-root); nothing was written.",
    "sign.usage": "Signing options that do not go together (--key without --cert, a --level the --tsa options do not "
    "allow).",
    "identity.none": "There is no signing identity yet to export (run `identity --create`).",
    "identity.exists": "identity --create --name: an identity exists under another name; a new name is a new identity.",
    "identity.usage": "identity: --name without --create, or an empty name.",
    "identity.self-signed": "The identity is a self-signed certificate from an earlier version: it has no CA to "
    "export.",
    # the salt ledger and access (protected signatories)
    "retractions.shape": "retractions.yaml is not a list of items with a record's path and a reason.",
    "retractions.no-reason": "retractions.yaml retracts a record without a reason.",
    "retractions.repeated": "retractions.yaml retracts one record twice.",
    "retractions.present": "retractions.yaml retracts a record that is still in the records.",
    "edition.other-archive": "The edition given to --extends is of another archive (another archival id).",
    "edition.no-tree": "The edition given to --extends was made before salted Merkle trees; it cannot be extended.",
    "edition.previous-invalid": "The edition given to --extends does not verify; nothing is built on it.",
    "edition.unexplained-correction": "A record an earlier edition published has changed without a new "
                                      "correction_note saying what and why.",
    "edition.unexplained-retraction": "A record an earlier edition published is gone, and retractions.yaml gives no "
                                      "reason.",
    "edition.unprotected": "The full edition given to --extends was made before full editions named what their "
                           "public edition withholds.",
    "edition.withheld-changed": "Leaves a public edition withholds match no record now: extend its full edition.",
    "edition.not-extended": "verify --extends: the newer edition does not keep every leaf of the older one where it "
                            "was (a leaf dropped or altered, or another tree).",
    "edition.proof-invalid": "The consistency proof an edition carries, or one given to verify, does not prove its "
                             "trees (RFC 9162, 2.1.4.2), or is not for the trees it names.",
    "edition.misnamed": "verify --extends: what the newer edition says of the older one (its number, edition, "
                        "signing time) is not what the older one is.",
    "edition.other-signer": "verify --extends: the two editions are signed by different certificates (warning).",
    "edition.order": "verify --extends or prove --consistency: the older edition's tree is larger than the newer's.",
    "salt.duplicate": "salts.txt gives a file a second line, or two files one salt.",
    "salt.malformed": "A line of salts.txt is not `<salt in lower-case hex> <path>`.",
    "salt.missing": "A record or source document has no salt yet; `appeal-archive salt` or a build gives it one "
    "(warning).",
    "salt.stale": "salts.txt names a file that is not in the records (warning).",
    "salt.unreadable": "salts.txt cannot be read.",
    "salt.unwritable": "salts.txt cannot be locked or written (a link, or a folder that is not writable).",
    "salt.tracked": "salts.txt is tracked by git while records are restricted: anyone with the repository can confirm "
    "a guess (warning).",
    "salt.weak": "A salt in salts.txt has fewer than 128 bits.",
    "access.names-restricted": "A public record quotes a name of a restricted person or organization.",
    "access.refers-to-restricted": "A public record refers by id to a restricted person or organization.",
    "access.id-names-restricted": "A public record refers to a withheld record whose id names a restricted person.",
    "prove.invalid-records": "prove: the records do not validate.",
    "prove.changed": "prove: the record changed while it was being proven.",
    "prove.unknown-record": "prove: no record, or more than one, has the id or path given.",
    "proof.invalid": "verify --against: the file is not an inclusion proof appeal-archive writes.",
    "proof.no-tree": "verify --against: the signed file was made before salted Merkle roots (manifest_version 1).",
    "proof.not-in-root": "verify --against: the proof's audit path does not lead to the root the signed file signs.",
    "proof.record-mismatch": "verify --against: the proof's record is not the one its entry names.",
    "extend.no-validation-data": "extend: the file is PAdES B-B or B-T; only B-LT and B-LTA files can be renewed.",
    "extend.not-intact": "extend: verify refuses the file (changed or downgraded after signing, or not trusted); it "
    "is not renewed.",
    "extend.unreadable": "extend: the file cannot be read as a PDF.",
    "extend.unsigned": "extend: the file carries no signature.",
    # verify: the PDF
    "verify.unreadable": "The file to verify cannot be read (could not run).",
    "pdf.damaged": "The file is not a readable PDF.",
    "sig.missing": "The file (or the bundle) carries no signature.",
    "sig.several": "The PDF carries another signature than the archive's, or a document time stamp before it.",
    "sig.modified-after-signing": "An update after the signature changes more than validation data and time stamps.",
    "sig.validation-data-removed": "An update after a document time stamp removes or replaces validation data "
    "(certificates, OCSP responses, CRLs, VRI entries) that the file held.",
    "sig.revoked": "The file's own validation data says the signer's certificate was revoked.",
    "sig.invalid-at": "verify --at: as of that date, the evidence the file carries does not show the signature valid.",
    "sig.not-cades": "The bundle's signature does not name its signer's certificate (no signing-certificate-v2): not "
    "CAdES.",
    "sig.invalid": "The signature cannot be validated or does not verify with the signer's certificate.",
    "sig.digest-mismatch": "The signed bytes changed after signing.",
    "sig.not-whole-file": "Bytes were added to the PDF after it was signed.",
    "sig.timestamp-invalid": "A time stamp does not match what it stamps, or cannot be read.",
    "sig.untrusted": "The signer does not chain to a trust root given with --trust-root.",
    "sig.trust-not-checked": "No --trust-root was given, so the signer's identity was not checked (warning).",
    "attach.bundle-invalid": "records.zip or canonical.zip holds an unexpected member or cannot be read.",
    "attach.hash-mismatch": "An attachment is missing or does not hash to the manifest.",
    "attach.manifest-invalid": "The attached manifest cannot be read.",
    "attach.manifest-missing": "The PDF has no manifest attachment.",
    "attach.unexpected": "An attachment that the manifest does not list.",
    "manifest.root-mismatch": "The manifest's entries do not give the root it states.",
    "metadata.root-mismatch": "The root in the PDF's metadata is not the attachments' root.",
    "pdf.beside-mismatch": "The manifest.json, consistency-proof.json or site/verify.html beside a PDF is not the one "
                           "signed inside it.",
    "metadata.extends-mismatch": "The edition the PDF's metadata says it extends is not the one its manifest names.",
    "cover.root-mismatch": "The cover does not show the attachments' root.",
    "cover.verifier-mismatch": "The cover does not show the SHA-256 of the verifier page the PDF carries, or names "
                               "one it does not carry.",
    "cover.unreadable": "The PDF's metadata or cover cannot be read.",
    "records.changed": "verify --records: records differ from the ones signed.",
    "records.invalid": "verify --records: the records given do not validate.",
    "rebuild.invalid": "verify --rebuild: the attached records do not validate.",
    "rebuild.manifest": "verify --rebuild: the attached records give another manifest than the one attached.",
    "rebuild.metadata": "verify --rebuild: the metadata gives no tool or build date.",
    "rebuild.mismatch": "verify --rebuild: the signed bytes are not this version's rendering of the records.",
    "rebuild.signing-update": "verify --rebuild: the signing update changes more than a signature.",
    "rebuild.version": "verify --rebuild: the file was made by another version of appeal-archive.",
    # verify: the bundle and the bag
    "bundle.manifest-mismatch": "The manifest.json beside a bundle states another root.",
    "bundle.root-mismatch": "The bundle's record hashes do not give the root it states.",
    "bundle.unreadable": "The bundle is not a JSON-LD document appeal-archive made.",
    "bag.checksum-mismatch": "A bag's payload file does not match its manifest.",
    "crate.differs": "The RO-Crate metadata beside a verified PDF does not describe the files beside it (warning).",
    "bag.crate-mismatch": "The bag's RO-Crate metadata is not what a build makes of its payload.",
    "bag.file-missing": "A file listed in the bag's manifest is missing.",
    "bag.incomplete": "The bag does not hold exactly one PDF and one bundle.",
    "bag.invalid": "The folder is not a valid BagIt bag.",
    "bag.manifest-mismatch": "The bag's manifest.json is not the one signed in the PDF.",
    "bag.records-differ": "The record files in a bag are not the ones signed in its PDF.",
    "bag.roots-differ": "The files in the bag state different roots.",
    "bag.signers-differ": "The PDF and the bundle in the bag are signed by different certificates.",
    "bag.unexpected-file": "A file in the bag that the signed content does not account for.",
    "bag.special-file": "A bag holds a symbolic link, a FIFO, a device or a sparse (holey) file.",
    "bag.fetch": "A bag has a fetch.txt: it would take files from elsewhere.",
    "bag.unchecked": "Files of a bag that no check held against anything signed: the bag is not verified as a whole.",
    "bag.info-mismatch": "A bag-info.txt field is missing, unknown, or differs from what the signed PDF says.",
    "sig.gap-invalid": "The unsigned gap of the PDF is not exactly the hex-encoded signature and its zero padding.",
    "bag.timestamps-differ": "The PDF and the bundle in a bag are time-stamped by different authorities, or one is "
    "not.",
    "time.untrusted": "A time stamp's authority does not chain to a trust root given with --trust-root.",
    "time.not-checked": "No --trust-root was given, so a time stamp's authority was not checked (warning).",
    "time.inconsistent": "A time stamp predates what it stamps (the claimed signing time, or the time stamp before "
    "it).",
    "verify.at-not-applied": "verify --at judges PDF signatures only; a bundle's was judged as of now (warning).",
    "verify.resource-limit": "Checking the file needed more memory or time than anything of its size can: it was made "
    "to exhaust its reader.",
    "verify.not-a-file": "The path to verify is a FIFO, a device or a socket, which is never read (could not run).",
}

# Which part of verify's verdict each of its codes belongs to (see verify/report.py).
PARTS: dict[str, tuple[str, ...]] = {
    "signer": ("sig.untrusted", "sig.trust-not-checked", "bag.signers-differ", "sig.revoked", "sig.invalid-at",
               "verify.at-not-applied"),
    "time": ("sig.timestamp-invalid", "time.untrusted", "time.not-checked", "time.inconsistent",
             "bag.timestamps-differ"),
    "completeness": ("crate.differs", "bag.file-missing", "bag.unexpected-file", "bag.incomplete", "bag.special-file",
                     "bag.fetch", "bag.unchecked", "attach.unexpected"),
}
_PART_OF = {code: part for part, codes in PARTS.items() for code in codes}


def part_of(code: str) -> str:
    """The part of a verification verdict a code belongs to; everything not listed is integrity."""
    return _PART_OF.get(code, "integrity")

CATALOGUE_PAGE = Path(__file__).resolve().parents[2] / "docs" / "codes.md"  # in a source checkout
START, END = "<!-- codes:start -->", "<!-- codes:end -->"


def markdown() -> str:
    """The catalogue as the table of docs/codes.md."""
    rows = ["| code | meaning |", "| --- | --- |"]
    rows += [f"| `{code}` | {meaning.replace('|', '/')} |" for code, meaning in CODES.items()]
    return "\n".join(rows)


def with_catalogue(text: str) -> str:
    """A page with the catalogue between its markers brought up to date."""
    head, rest = text.split(START, 1)
    return f"{head}{START}\n{markdown()}\n{END}{rest.split(END, 1)[1]}"


if __name__ == "__main__":  # python -m appeal_archive.codes --write: docs/codes.md brought up to date
    if "--write" in sys.argv:
        CATALOGUE_PAGE.write_text(with_catalogue(CATALOGUE_PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(markdown())
