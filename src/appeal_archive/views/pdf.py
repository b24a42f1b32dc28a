"""The PDF view: a Dossier -> the archival PDF's pages, and the whole unsigned PDF/A-3b file.

What each page says is written here; how it is set is typeset.py's. `render_archival_pdf` is a pure
function of the dossier, the build date, the signer's identity and the tool: `build` calls it before
signing and `verify --rebuild` calls it again to check that the signed bytes are exactly its output.
"""

from __future__ import annotations

import hashlib
import itertools
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from appeal_archive.errors import AppealArchiveError, Issue
from appeal_archive.identity import SignerIdentity
from appeal_archive.layout import CONSISTENCY_PROOF, VERIFIER_PAGE, pdf_files, zipped
from appeal_archive.ledger.lineage import changes_since
from appeal_archive.memory import release_memory
from appeal_archive.records.models import Appeal, Count, Organization, Person, Signatory
from appeal_archive.views.dossier import (
    WITHHELD_ENTRY,
    WITHHELD_RECORD,
    WITHHELD_SOURCE,
    Dossier,
)
from appeal_archive.views.typeset import (
    BODY,
    BOLD,
    H2,
    HASH,
    NOTE,
    SMALL,
    TEXT_WIDTH,
    TITLE,
    Drawer,
    Layout,
    missing_glyphs,
    register_fonts,
    wrap,
)

QUALIFIER_WORDS = {"exact": "exactly", "about": "about", "more-than": "more than", "fewer-than": "fewer than"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


@dataclass(frozen=True)
class RenderContext:
    build_date: datetime
    signer: SignerIdentity
    tool: str
    verifier_sha256: str | None = None  # of the verifier page the PDF carries (signed builds)


def human_date(iso: str) -> str:
    year, month, day = (int(part) for part in iso.split("-"))
    return f"{day} {MONTHS[month - 1]} {year}"


def count_text(count: Count) -> str:
    return f"{count.as_printed} (recorded as {QUALIFIER_WORDS[count.qualifier]} {count.value:,})"


def layout_document(dossier: Dossier, context: RenderContext, layout: Layout) -> Layout:
    """Lay the whole document out into `layout`, which passes each page on as it is finished."""
    register_fonts()
    appeals = dossier.appeals
    _cover(layout, dossier, appeals, context)
    for appeal in appeals:
        layout.new_page()
        _as_printed(layout, dossier, appeal)
        _rallies(layout, dossier, appeal)
        _claims_and_photo(layout, appeal)
    _name_variants(layout, dossier)
    layout.new_page()
    _appendix(layout, dossier, context)
    return layout


def _cover(layout: Layout, dossier: Dossier, appeals: list[Appeal], context: RenderContext) -> None:
    config = dossier.config
    layout.line("ARCHIVAL RECORD", SMALL)
    layout.space(10)
    for line in wrap(dossier.title, TITLE, TEXT_WIDTH):
        layout.line(line, TITLE)
    layout.space(8)
    for appeal in appeals:
        rally = dossier.rallies.get(appeal.adoption.rally)
        occasion = f", {appeal.adoption.occasion}," if appeal.adoption.occasion else ""
        place = f"{rally.as_printed} ({rally.country})" if rally else f"a rally. {WITHHELD_RECORD}"
        layout.paragraph(f"Adopted on {human_date(appeal.adoption.date)}{occasion} at {place}.", BODY)
    layout.space(14)
    documents = len(dossier.manifest["source_documents"])
    withheld = (f"; {dossier.withheld_count} more withheld from this edition to protect signatories"
                if dossier.edition == "public" else "")
    facts = [
        ("Archival identifier", config.archival_id),
        ("Record set", f"{config.title}; {len(dossier.records())} records, {documents} source document"
                       f"{'s' * (documents != 1)}{withheld}"),
        ("Edition", _edition(dossier)),
        ("Custodian", config.custodian),
        ("Built", context.build_date.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Signed by", context.signer.describe()),
        ("Made with", context.tool),
    ]
    extends = dossier.manifest.get("extends")
    if extends is not None:
        facts.insert(3, ("Extends", f"the {extends['edition']} edition no. {extends['number']} of this log, signed "
                                    f"{extends['signed_at'] or '(no time)'} "
                                    f"with {extends['tree_size']} leaves, root {extends['root']} (SHA-256 of that "
                                    f"file: {extends['sha256']}); every leaf of it is kept in place"))
    for label, value in facts:
        layout.paragraph(f"{label}: {value}", BODY)
    if extends is not None:
        layout.space(6)
        layout.line("Since the edition it extends:", BOLD)
        for line in changes_since(dossier.manifest, extends["tree_size"], extends["number"]).lines():
            layout.paragraph(line, NOTE)
        layout.paragraph(f"The RFC 9162 consistency proof from that tree to this one is attached "
                         f"({CONSISTENCY_PROOF}); `appeal-archive verify THIS.pdf --extends THAT.pdf` checks both "
                         "files and the proof.", NOTE)
    layout.space(12)
    layout.line("Root hash of the record set (SHA-256):", BOLD)
    layout.line(dossier.root, BODY)
    layout.space(6)
    layout.qr(dossier.root, 110)
    if context.verifier_sha256 is not None:
        layout.space(6)
        layout.paragraph(f"To check this file without installing anything, open the attached {VERIFIER_PAGE} (the "
                         "same page as site/verify.html of a public edition) in a browser and give it this file. "
                         "Its SHA-256:", NOTE)
        layout.line(context.verifier_sha256, NOTE)
    layout.space(10)
    layout.paragraph("This file carries its own evidence: the source document, every record (as YAML and as "
                     "canonical JSON) and the manifest are attached to it. The root hash above is computed from "
                     "them; the integrity appendix at the end says how to check the file and its signature.", NOTE)


def _edition(dossier: Dossier) -> str:
    if dossier.edition == "public":
        return "public: restricted records are withheld; the root hash is the full edition's"
    if dossier.restricted_count or dossier.manifest.get("protected"):
        return (f"full, holding {len(dossier.manifest.get('protected') or [])} records and documents its public "
                "edition withholds: NOT FOR PUBLICATION (publish the public edition)")
    return "full"


def _as_printed(layout: Layout, dossier: Dossier, appeal: Appeal) -> None:
    """The whole document as its source prints it, in print order. What the archive adds (this heading, the
    notes, each signatory entry's structured reading) is set apart, small and italic."""
    source = dossier.sources.get(appeal.source)
    layout.heading("The appeal, as printed")
    layout.paragraph(f"{_transcribed_from(dossier, appeal.source)} The text in this typeface is the document's, in "
                     "its order; what is set like this note is the archive's.", NOTE)
    layout.space(6)
    layout.paragraph(appeal.title, H2)
    layout.space(4)
    for addressee in appeal.addressees:
        layout.paragraph(addressee, BODY)
    layout.space(6)
    for paragraph in appeal.body:
        layout.paragraph(paragraph, BODY, keep_lines=2)
        layout.space(5)
    for demand in appeal.demands:
        layout.paragraph(demand.text, BODY, indent=22, label=f"{demand.number}.", keep_lines=2)
        layout.space(3)
    layout.space(4)
    layout.paragraph(appeal.adoption.as_printed, BODY)
    if appeal.adoption.remark_as_printed:
        layout.paragraph(appeal.adoption.remark_as_printed, BODY)
    if appeal.photo:
        layout.space(4)
        for line in appeal.photo.lines_as_printed:
            layout.paragraph(line, BODY)
    layout.space(6)
    if appeal.signatories_heading:
        layout.paragraph(appeal.signatories_heading, BODY)
        layout.space(3)
    withheld = dossier.withheld_positions(appeal.id)
    quoted = appeal.source  # entries quoting another source (a later capture) are printed under its heading
    for position, signatory in _in_print_order(dossier.signatories(appeal.id), withheld):
        if signatory is not None and signatory.source != quoted:
            quoted = signatory.source
            layout.paragraph(f"Entries from here on: {_transcribed_from(dossier, quoted)}", NOTE)
        if signatory is None:
            layout.paragraph(WITHHELD_ENTRY, NOTE, indent=22, label=f"{position}.")
        else:
            layout.paragraph(signatory.as_printed, BODY, indent=22, label=f"{position}.", keep_lines=2)
            for line in _reading(signatory):
                layout.paragraph(line, NOTE, indent=34)
        layout.space(3)
    joined = dossier.joined(appeal)
    if joined:
        layout.space(4)
        layout.paragraph(f"The first {appeal.signatory_count} entries are those the appeal's source prints; "
                         "the others joined later:", NOTE)
        for capture, count in joined:
            named = dossier.sources.get(capture)
            layout.paragraph(f"{count} entr{'ies' if count != 1 else 'y'} from "
                             + (f"{named.title} ({named.file})" if named else "a source document this edition "
                                "withholds"), NOTE, indent=12)
    if appeal.similar_appeals:
        layout.space(4)
        layout.paragraph(appeal.similar_appeals.as_printed, BODY)
    if source and source.omitted:
        layout.space(6)
        layout.paragraph(_omissions(source), NOTE)


def _transcribed_from(dossier: Dossier, source_id: str) -> str:
    source = dossier.sources.get(source_id)
    return (f"Transcribed from: {source.title} ({source.file}, SHA-256 {source.sha256})." if source
            else f"Transcribed from a source document. {WITHHELD_SOURCE}")


def _in_print_order(signatories: Iterator[Signatory], withheld: list[int]) -> Iterator[tuple[int, Signatory | None]]:
    """(position, entry) in printed order, with None where the edition withholds the entry."""
    gaps = iter(withheld)
    gap = next(gaps, None)
    for signatory in signatories:
        while gap is not None and gap < signatory.position:
            yield gap, None
            gap = next(gaps, None)
        yield signatory.position, signatory
    while gap is not None:
        yield gap, None
        gap = next(gaps, None)


def _omissions(source) -> str:
    """One note naming what of the capture is left out, and why; omissions with one reason are named together."""
    reasons: dict[str, list[str]] = {}
    for omission in source.omitted:
        reasons.setdefault(omission.note, []).append(f"'{omission.text}'")
    return "Left out, as not part of the document: " + "; ".join(
        f"{', '.join(texts)} ({note.rstrip('.')})" for note, texts in reasons.items()) + "."


def _rallies(layout: Layout, dossier: Dossier, appeal: Appeal) -> None:
    rally_ids = [appeal.adoption.rally] + (appeal.similar_appeals.rallies if appeal.similar_appeals else [])
    layout.heading("Rallies")
    for rally_id in rally_ids:
        rally = dossier.rallies.get(rally_id)
        role = "adopted the appeal" if rally_id == appeal.adoption.rally else "adopted a similar appeal"
        if rally is None:
            layout.paragraph(f"A rally that {role}. {WITHHELD_RECORD}", NOTE)
            continue
        layout.paragraph(f"{rally.city} ({rally.country}), {human_date(rally.date)}: {rally.as_printed}; {role}", BOLD)
        layout.paragraph(f"Participants: {count_text(rally.participants)}", BODY, indent=12)
        layout.paragraph(f"Date as printed: {rally.date_as_printed}", SMALL, indent=12)
        layout.space(4)


def _reading(signatory: Signatory) -> Iterator[str]:
    """The archive's structured reading of one signatory entry."""
    if signatory.person:
        yield f"Reading. Person: {signatory.person.name} [{signatory.person.ref}]"
    else:
        yield "Reading. Person: none named in the entry"
    for capacity in signatory.capacities:
        organization = (f"; organization: {capacity.organization.name} [{capacity.organization.ref}]"
                        if capacity.organization else "")
        yield f"Capacity: {capacity.role}{organization}"
    for note in signatory.notes:
        relation = (f" ({note.relation.kind}: {note.relation.person.name} [{note.relation.person.ref}])"
                    if note.relation else "")
        yield f"Note: {note.text}{relation}"
    petition = [f"{label}: {value}" for label, value in (
        ("signed", signatory.signed.as_printed if signatory.signed else None),
        ("city", signatory.place.city if signatory.place else None),
        ("country", signatory.place.country if signatory.place else None),
        ("comment", signatory.comment)) if value]
    if petition:
        yield "As the export records it. " + "; ".join(petition)
    if signatory.archivist_note:
        yield f"Archivist: {signatory.archivist_note}"


def _claims_and_photo(layout: Layout, appeal: Appeal) -> None:
    if appeal.claims:
        layout.heading("Attributed statements")
        layout.paragraph("The appeal attributes these statements to others. The archive records the attribution; "
                         "it does not assert the statements.", NOTE)
        for claim in appeal.claims:
            layout.space(4)
            layout.paragraph(f"Attributed to: {claim.attributed_to}", BOLD)
            layout.paragraph(claim.as_printed, BODY, indent=12)
            if claim.count:
                layout.paragraph(f"Figure given: {count_text(claim.count)}", BODY, indent=12)
            if claim.note:
                layout.paragraph(f"Archivist: {claim.note}", NOTE, indent=12)
    if appeal.photo:
        layout.heading("Photograph")
        layout.paragraph(f"Caption: {appeal.photo.caption}", BODY)
        layout.paragraph(f"Credit: {appeal.photo.credit}", BODY)
        held = "held by the archive" if appeal.photo.image_available else "not available; the archive holds no image"
        layout.paragraph(f"Image: {held}", BODY)
        if appeal.photo.note:
            layout.paragraph(f"Archivist: {appeal.photo.note}", NOTE)


def _name_variants(layout: Layout, dossier: Dossier) -> None:
    agents: Iterator[Person | Organization] = itertools.chain(dossier.persons(), dossier.organizations())
    entries = [entry for entry in agents if len(entry.names) > 1 or entry.archivist_names]
    if not entries:
        return
    layout.heading("Names and their spellings")
    layout.paragraph("Spellings printed in the sources are kept as printed. Forms added by the archivist are "
                     "marked as such; they are not source text.", NOTE)
    for entry in sorted(entries, key=lambda entry: entry.id):
        layout.space(4)
        layout.paragraph(f"{entry.names[0]} [{entry.id}]", BOLD)
        for name in entry.names:
            layout.paragraph(f"As printed in the source: {name}", BODY, indent=12)
        for added in entry.archivist_names:
            layout.paragraph(f"Added by the archivist ({added.lang}): {added.text}. {added.note}", BODY, indent=12)
        if entry.archivist_note:
            layout.paragraph(f"Archivist: {entry.archivist_note}", NOTE, indent=12)


def _appendix(layout: Layout, dossier: Dossier, context: RenderContext) -> None:
    layout.heading("Integrity appendix")
    layout.heading("Source documents", H2)
    if any(appeal.source not in dossier.sources for appeal in dossier.appeals):
        layout.paragraph(WITHHELD_SOURCE, SMALL)
    for source in dossier.sources.values():
        layout.paragraph(f"{source.title}", BOLD)
        layout.paragraph(f"File: sources/{source.file} ({source.media_type}); SHA-256 {source.sha256}", SMALL,
                         indent=12)
        layout.paragraph(f"Capture: {source.capture.kind}; {source.capture.description} Publisher URL: "
                         f"{source.capture.publisher_url}. Captured on: {source.capture.captured_on}.", SMALL,
                         indent=12)
        for note in source.notes:
            layout.paragraph(f"Note: {note}", SMALL, indent=12)
    layout.heading("How the root hash is made", H2)
    for text in (
        "Each record is read as JSON data (its YAML comments, key order and quoting do not count) and "
        "serialised in the RFC 8785 canonical form; its SHA-256 is the record's digest. A source document's "
        "digest is the SHA-256 of its bytes.",
        'Each record gives the entry {"kind": "record", "path", "id", "type", "sha256", "salt"}, each source '
        'document {"kind": "source-document", "path", "sha256", "salt"}, where the salt is a secret of 128 bits '
        'made once for it; the leaf is SHA-256 of the byte 0x00 followed by the entry\'s RFC 8785 form.',
        "The root is the RFC 9162 Merkle Tree Hash of the leaves in the order the manifest gives (each entry's "
        '"index"): a node is SHA-256 of the byte 0x01, its left and its right child. An edition that withholds a '
        "record lists its leaf alone; `appeal-archive prove` gives any record's audit path to the root.",
    ):
        layout.paragraph(text, BODY)
        layout.space(3)
    layout.heading("How to verify this file", H2)
    for text in (
        "1. The signature: `appeal-archive verify FILE.pdf` checks that the signature covers the whole file and "
        "is intact, re-hashes every attachment against the attached manifest, and recomputes the root hash "
        "printed on the cover. Without appeal-archive, poppler's `pdfsig FILE.pdf` checks the signature.",
        "2. The records: `pdfdetach -saveall FILE.pdf` extracts the attachments; each record's canonical JSON has "
        "the SHA-256 listed below, and the manifest.json attachment lists every entry and the root.",
        "3. The rendering: `appeal-archive verify --rebuild FILE.pdf` re-renders this document from its own "
        "attachments, build date and signer, and checks the signed bytes are exactly that rendering.",
    ):
        layout.paragraph(text, BODY)
        layout.space(3)
    layout.heading("Records and their SHA-256", H2)
    entries = [*dossier.manifest["records"], *dossier.manifest["source_documents"]]
    if zipped(len(dossier.manifest["records"])):
        # Past this size a printed list is pages of hashes nobody reads (2,600 pages at 100,000 records).
        layout.paragraph(
            f"The {len(entries):,} SHA-256 digests are not printed: the attached manifest.json lists them, one "
            "entry per line. To check one record, extract it (`pdfdetach -save N FILE.pdf`, or unpack "
            "records.zip and canonical.zip) and find its path in the manifest, or run `appeal-archive prove` "
            "for its audit path to the root above.", SMALL)
    else:
        for entry in entries:
            layout.line(f"{entry['sha256']}  {entry['path']}", HASH)
    if dossier.withheld_count:
        layout.paragraph(f"{dossier.withheld_count} entries are withheld from this edition; their leaves are in the "
                         "attached manifest.", SMALL)
    layout.space(4)
    layout.paragraph(f"Root: {dossier.root}", BOLD)


def render(dossier: Dossier, context: RenderContext) -> tuple[bytes, int]:
    """The unsigned, not yet PDF/A, document and its page count: the same inputs give the same bytes."""
    drawer = Drawer(dossier.config.archival_id, dossier.root, dossier.title, dossier.config.custodian,
                    dossier.appeals[0].language)
    layout = layout_document(dossier, context, Layout(drawer.page))
    pages = layout.finish()
    missing = missing_glyphs(layout.chars)
    if missing:
        shown = ", ".join(f"U+{ord(char):04X} {unicodedata.name(char, '?')}" for char in sorted(missing)[:10])
        raise AppealArchiveError(Issue("pdf.missing-glyph", f"the archival font (PT Sans) cannot draw: {shown}",
                                       hint="check the records for stray characters; PT Sans covers Latin, "
                                       "Latin Extended and Cyrillic"), exit_code=1)
    return drawer.finish(), pages


def render_archival_pdf(dossier: Dossier, build_date: datetime, signer: SignerIdentity, tool: str,
                        scratch: Path | None = None, verifier: bytes | None = None) -> tuple[bytes, int]:
    """The unsigned PDF/A-3b file, with its attachments (the verifier page among them, when given), and its page
    count: same inputs, same bytes."""
    from appeal_archive.views.pdfa import make_pdfa

    identity = f"{dossier.config.archival_id}|{dossier.root}|{build_date.isoformat()}|{signer.fingerprint}|{tool}"
    with tempfile.TemporaryDirectory(prefix="render-", dir=scratch) as folder:
        # Handed over as a file: pikepdf then reads pages from disk as it needs them, instead of
        # holding a second copy of a document that can be tens of megabytes.
        drawn = Path(folder) / "drawn.pdf"
        verifier_sha256 = hashlib.sha256(verifier).hexdigest() if verifier is not None else None
        pdf, pages = render(dossier, RenderContext(build_date, signer, tool, verifier_sha256))
        drawn.write_bytes(pdf)
        drawn_size = len(pdf)
        del pdf
        release_memory(drawn_size)
        archival = make_pdfa(drawn, pdf_files(dossier.record_set, dossier.manifest, build_date, verifier),
                             title=dossier.title, creator=dossier.config.custodian,
                             description=f"Archival record {dossier.config.archival_id}; root hash {dossier.root}",
                             root=dossier.root, build_date=build_date, tool=tool,
                             extends=dossier.manifest.get("extends"),
                             document_id=hashlib.sha256(identity.encode()).digest()[:16], scratch=Path(folder))
    return archival, pages
