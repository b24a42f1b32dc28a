"""The public edition as static HTML pages: site/index.html for the appeal, pages of its signatories, and pages
for the persons, organizations and rallies the archive needs them for. Pure: the dossier in, (name, bytes) out.

Made only from the public edition's dossier (what it publishes and the leaves of what it withholds), never from
the full record set. Each page embeds, as <script type="application/ld+json">, the very lines the signed JSON-LD
bundle holds for the records it shows (jsonld.Bundle.lines_of), under the bundle's context. No page asks the
network for anything: a Content-Security-Policy of `default-src 'none'` allows only the page's own style, by
its hash; links are relative, so the folder works from a USB stick (file://) and from any static server.
At 100,000 signatories the list is cut into pages of PAGE_SIZE entries and a name index into pages of as many
names; past PAGE_SIZE persons, a person known from one entry under one name has that entry as their page.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from appeal_archive.identity import SignerIdentity
from appeal_archive.records.models import Appeal, Count, Organization, Person, Rally, Signatory
from appeal_archive.records.types import BY_NAME
from appeal_archive.views.dossier import WITHHELD_ENTRY, Dossier
from appeal_archive.views.jsonld import Bundle

PAGE_SIZE = 1000  # entries (or names) a page lists: a page of 100,000 signatories stays far below 2 MB
STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#111;"
         "background:#fff}a{color:#0645ad}code,.hash{font-family:monospace;font-size:.85em;word-break:break-all}"
         "ol.entries li{margin:.3rem 0}.withheld{color:#555;font-style:italic}table{border-collapse:collapse}"
         "td,th{border:1px solid #999;padding:.2rem .5rem;text-align:left}nav{margin:1rem 0}")
CSP = f"default-src 'none'; style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'"


@dataclass(frozen=True)
class SiteFacts:
    """What the pages say of the edition besides its records: who signed it, when it was built, its files."""

    signer: SignerIdentity
    built: str  # ISO 8601
    files: tuple[str, ...]  # the signed files beside site/, linked from every page's foot
    context: str  # the bundle's JSON-LD context, as every page's block has it
    verifier: str | None = None  # SHA-256 of verify.html (verifier.py), when the edition is signed


@dataclass
class _Entries:
    """Where each entry and each person is shown, learned while the signatory pages are written."""

    # Per appeal: its pages (first and last position, page name), or its list itself when short (on the index).
    pages: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    inline: dict[str, tuple[str, list[bytes]]] = field(default_factory=dict)
    appeal_lines: dict[str, list[bytes]] = field(default_factory=dict)  # but a node per withheld entry
    of_person: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # person -> (position, page)
    of_organization: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    names: list[tuple[str, str]] = field(default_factory=list)  # (name as printed, link)
    paged: set[str] = field(default_factory=set)  # the persons with a page of their own
    hashes: dict[str, str] = field(default_factory=dict)  # each published record's SHA-256, by path


def site_pages(dossier: Dossier, bundle: Bundle, facts: SiteFacts) -> Iterator[tuple[str, bytes]]:
    """Every page of the site, as (path under site/, bytes), one at a time."""
    entries = _Entries(paged=_paged_persons(dossier),
                       hashes={entry["path"]: entry["sha256"] for entry in dossier.manifest["records"]})
    for appeal in dossier.appeals:
        yield from _signatory_pages(dossier, bundle, facts, appeal, entries)
    yield "index.html", _index(dossier, bundle, facts, entries)
    yield from _name_pages(facts, entries)
    for person in dossier.persons():
        if person.id in entries.paged:
            yield _agent_page(bundle, facts, person, entries.of_person.get(person.id, []), entries.hashes)
    for organization in dossier.organizations():
        yield _agent_page(bundle, facts, organization, entries.of_organization.get(organization.id, []),
                          entries.hashes)
    for rally in dossier.rallies.values():
        yield _rally_page(bundle, facts, rally, entries.hashes)


# --- the pages ---------------------------------------------------------------------------------------------


def _paged_persons(dossier: Dossier) -> set[str]:
    """The persons with a page of their own: every one, up to PAGE_SIZE of them; past that, those the appeal
    mentions and those with more than one spelling (any other is known from their entry, their page then)."""
    persons = [record for record in dossier.records() if record.record_type == "person" and record.id]
    if len(persons) <= PAGE_SIZE:
        return {record.id for record in persons if record.id}
    mentioned = {mention.ref for appeal in dossier.appeals for mention in appeal.mentions}
    return {record.id for record in persons if record.id and (record.id in mentioned or len(record.names) > 1)}


def _index(dossier: Dossier, bundle: Bundle, facts: SiteFacts, entries: _Entries) -> bytes:
    # The record set's own nodes, but for one per withheld or earlier leaf (20,000 at 100,000 signatories with
    # every tenth restricted: 6 MB); the Dataset's node still lists every leaf's IRI.
    body, lines = [], [line for line in bundle.lines_of(None, None) if b"#leaf-" not in _node_id(line)]
    for appeal in dossier.appeals:
        lines += entries.appeal_lines.get(appeal.id, [])
        body += _appeal(dossier, appeal)
        body.append(_record_hash(entries.hashes, "appeal", appeal.id))
        if appeal.id in entries.inline:
            items, entry_lines = entries.inline[appeal.id]
            body.append(items)
            lines += entry_lines
        else:
            body.append("<h2>Signatories</h2><ul>" + "".join(
                f'<li><a href="{page}">Entries {first:,} to {last:,}</a></li>'
                for first, last, page in entries.pages.get(appeal.id, [])) + "</ul>")
        if len(entries.names) > PAGE_SIZE:
            body.append('<p><a href="names-1.html">All names, in alphabetical order</a></p>')
    body.append(_integrity(dossier, facts))
    return _page(dossier.title, body, lines, facts)


def _appeal(dossier: Dossier, appeal: Appeal) -> list[str]:
    rally = dossier.rallies.get(appeal.adoption.rally)
    where = _link(f"rallies/{rally.id}.html", rally.as_printed) if rally else "a rally whose record is withheld"
    parts = [f"<p>{_esc(appeal.adoption.as_printed)}</p>",
             f"<p>Adopted on {_esc(appeal.adoption.date_as_printed)}"
             + (f", {_esc(appeal.adoption.occasion)}" if appeal.adoption.occasion else "") + f", at {where}.</p>",
             "<h2>Addressed to</h2><ol>" + "".join(f"<li>{_esc(name)}</li>" for name in appeal.addressees)
             + "</ol>",
             "<h2>Demands</h2><ol>" + "".join(f'<li value="{demand.number}">{_esc(demand.text)}</li>'
                                              for demand in appeal.demands) + "</ol>",
             "<h2>Rallies</h2><ul>" + "".join(
                 f"<li>{_link(f'rallies/{each.id}.html', each.as_printed)}, {_esc(each.date_as_printed)}: "
                 f"{_count(each.participants)}</li>" for each in dossier.rallies.values()) + "</ul>"]
    if appeal.similar_appeals:
        parts.append(f"<p>{_esc(appeal.similar_appeals.as_printed)}</p>")
    return [f"<h1>{_esc(appeal.title)}</h1>", *parts]


def _signatory_pages(dossier: Dossier, bundle: Bundle, facts: SiteFacts, appeal: Appeal, entries: _Entries
                     ) -> Iterator[tuple[str, bytes]]:
    withheld = dossier.withheld_positions(appeal.id)
    # The appeal's node for each withheld entry goes with the entry's page (10,000 at 100,000 signatories).
    marker, placed = b"#withheld-entry-", {}
    entries.appeal_lines[appeal.id] = []
    for line in bundle.lines_of("appeal", appeal):
        node_id = _node_id(line)
        if marker in node_id:
            placed[int(node_id.split(marker, 1)[1].rstrip(b'"'))] = line
        else:
            entries.appeal_lines[appeal.id].append(line)
    rows: list[tuple[int, Signatory | None]] = [(position, None) for position in withheld]
    rows += [(signatory.position, signatory) for signatory in dossier.signatories(appeal.id)]
    rows.sort(key=lambda row: row[0])
    single = len(rows) <= PAGE_SIZE
    prefix = "" if len(dossier.appeals) == 1 else f"{appeal.id}-"
    for start in range(0, max(len(rows), 1), PAGE_SIZE):
        chunk = rows[start:start + PAGE_SIZE]
        first, last = (chunk[0][0], chunk[-1][0]) if chunk else (1, 0)
        name = "index.html" if single else f"{prefix}signatories-{first}.html"
        items, lines = [], []
        for position, signatory in chunk:
            if signatory is None:
                lines += [placed[position]] if position in placed else []
                items.append(f'<li id="entry-{position}" value="{position}" class="withheld">'
                             f"{_esc(WITHHELD_ENTRY)}</li>")
                continue
            lines += bundle.lines_of("signatory", signatory)
            items.append(_entry(dossier, signatory, name, entries.hashes[BY_NAME["signatory"].path_of(signatory.id)],
                                entries))
        entries.pages.setdefault(appeal.id, []).append((first, last, name))
        listed = f'<ol class="entries">{"".join(items)}</ol>'
        if single:
            entries.inline[appeal.id] = (f"<h2>Signatories</h2>{listed}", lines)
            return
        body = [f"<h1>{_esc(appeal.title)}: signatories {first:,} to {last:,}</h1>",
                f'<nav><a href="index.html">The appeal</a></nav>{listed}']
        yield name, _page(f"{appeal.title}: signatories {first} to {last}", body, lines, facts)


def _entry(dossier: Dossier, signatory: Signatory, page: str, digest: str, entries: _Entries) -> str:
    """One entry as printed, with the person's page (or this entry as their page), the roles, what a petition
    export adds, and the record's hash. Only records the edition publishes are linked (a withheld record's id
    may carry a name); a public entry never names a withheld one, and the link is left out if it ever did."""
    position, anchor = signatory.position, f"{page}#entry-{signatory.position}"
    said = _text(signatory.as_printed)
    if signatory.person and dossier.holds("person", signatory.person.ref):
        entries.of_person.setdefault(signatory.person.ref, []).append((position, anchor))
        entries.names.append((signatory.person.name, anchor))
        if signatory.person.ref in entries.paged:
            said += f" ({_link(f'persons/{signatory.person.ref}.html', signatory.person.name)})"
    roles = []
    for capacity in signatory.capacities:
        organization = capacity.organization
        if organization and dossier.holds("organization", organization.ref):
            entries.of_organization.setdefault(organization.ref, []).append((position, anchor, capacity.role))
            page_of = f"organizations/{organization.ref}.html"
            roles.append(f"{_text(capacity.role)}, {_link(page_of, organization.name)}")
        else:
            roles.append(_text(capacity.role) + (f", {_text(organization.name)}" if organization else ""))
    extra = [f"signed {_text(signatory.signed.as_printed)}" if signatory.signed else "",
             _text(", ".join(filter(None, (signatory.place.city, signatory.place.country)))) if signatory.place else "",
             f"“{_text(signatory.comment)}”" if signatory.comment else ""]
    details = "; ".join(filter(None, [*roles, *extra]))
    return (f'<li id="entry-{position}" value="{position}">{said}' + (f"<br>{details}" if details else "")
            + f'<br><span class="hash">record SHA-256 {digest}</span></li>')


def _name_pages(facts: SiteFacts, entries: _Entries) -> Iterator[tuple[str, bytes]]:
    if len(entries.names) <= PAGE_SIZE:
        return
    names = sorted(entries.names, key=lambda item: (item[0].casefold(), item[1]))
    count = (len(names) + PAGE_SIZE - 1) // PAGE_SIZE
    pages = [names[start:start + PAGE_SIZE] for start in range(0, len(names), PAGE_SIZE)]
    index = "".join(f'<li><a href="names-{number}.html">{_text(page[0][0])} to {_text(page[-1][0])}</a></li>'
                    for number, page in enumerate(pages, 1))
    for number, page in enumerate(pages, 1):
        listed = "".join(f"<li>{_link(link, name)}</li>" for name, link in page)
        body = [f"<h1>Names, page {number} of {count}</h1>", '<nav><a href="index.html">The appeal</a></nav>',
                f"<ul>{listed}</ul><h2>Every page of names</h2><ul>{index}</ul>"]
        yield f"names-{number}.html", _page(f"Names, page {number} of {count}", body, [], facts)


def _agent_page(bundle: Bundle, facts: SiteFacts, agent: Person | Organization, shown: list,
                hashes: dict[str, str]) -> tuple[str, bytes]:
    folder = BY_NAME[agent.type].folder
    rows = [f"<li>{_link('../' + item[1], f'Entry {item[0]:,}')}" + (f": {_esc(item[2])}" if len(item) > 2 else "")
            + "</li>" for item in shown]
    body = [f"<h1>{_text(agent.names[0])}</h1>", '<nav><a href="../index.html">The appeal</a></nav>',
            "<h2>As the sources print the name</h2><ul>" + "".join(f"<li>{_text(name)}</li>" for name in agent.names)
            + "</ul>"]
    if agent.archivist_names:
        body.append("<h2>Added by the archivist</h2><ul>" + "".join(
            f'<li><bdi lang="{_esc(form.lang)}">{_esc(form.text)}</bdi> ({_esc(form.note)})</li>'
            for form in agent.archivist_names) + "</ul>")
    if rows:
        body.append(f"<h2>In the list of signatories</h2><ul>{''.join(rows)}</ul>")
    body.append(_record_hash(hashes, agent.type, agent.id))
    lines = bundle.lines_of(agent.type, agent)
    return f"{folder}/{agent.id}.html", _page(agent.names[0], body, lines, facts, up="../")


def _rally_page(bundle: Bundle, facts: SiteFacts, rally: Rally, hashes: dict[str, str]) -> tuple[str, bytes]:
    body = [f"<h1>{_esc(rally.as_printed)}</h1>", '<nav><a href="../index.html">The appeal</a></nav>',
            f"<p>{_esc(rally.date_as_printed)}, {_esc(rally.city)} ({_esc(rally.country)})</p>",
            f"<p>Participants: {_count(rally.participants)}</p>", _record_hash(hashes, "rally", rally.id)]
    return f"rallies/{rally.id}.html", _page(rally.as_printed, body, bundle.lines_of("rally", rally), facts, up="../")


def _node_id(line: bytes) -> bytes:
    """The "@id" a bundle's node line starts with (its keys are sorted, and "@id" sorts first)."""
    return line.split(b",", 1)[0]


def _record_hash(hashes: dict[str, str], record_type: str, record_id: str) -> str:
    path = BY_NAME[record_type].path_of(record_id)
    return f'<p>Record <code>{_esc(path)}</code>, SHA-256 <span class="hash">{hashes[path]}</span></p>'


def _integrity(dossier: Dossier, facts: SiteFacts) -> str:
    signer = facts.signer
    withheld = dossier.withheld_count
    return ("<h2>How to check this archive</h2>"
            f"<p>Root hash of the record set (SHA-256): <code>{dossier.root}</code>, over "
            f"{dossier.manifest['tree_size']:,} leaves" + (f", {withheld:,} of them withheld to protect signatories"
                                                          if withheld else "") + ".</p>"
            f"<p>Edition: {_esc(dossier.edition)}. Built {_esc(facts.built)}. Signed by {_esc(signer.name)}; signing "
            f"certificate SHA-256 <code>{signer.fingerprint}</code>"
            + (f"; the custodian CA's SHA-256 fingerprint <code>{signer.issuer_fingerprint}</code> (compare it with "
               "the one the custodian publishes)" if signer.issuer_fingerprint else "") + ".</p>"
            "<p>These pages are a view: the evidence is the signed files, which the command "
            "<code>appeal-archive verify</code> checks offline"
            + (f', and <a href="verify.html">this page</a> (SHA-256 <code>{facts.verifier}</code>) in your browser'
               if facts.verifier else "") + ".</p>")


def _page(title: str, body: list[str], lines: list[bytes], facts: SiteFacts, up: str = "") -> bytes:
    graph = b"" if not lines else (b'{"@context":' + facts.context.encode("utf-8") + b',"@graph":['
                                   + b",".join(lines) + b"]}")
    embedded = graph.decode("utf-8").replace("<", "\\u003c")  # JSON still; no "</script>" can end the block
    files = "".join(f'<li><a href="{up}../{html.escape(name)}">{html.escape(name)}</a></li>' for name in facts.files)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_esc(title)}</title><style>{STYLE}</style>"
            + (f'<script type="application/ld+json">{embedded}</script>' if graph else "")
            + "</head><body><main>" + "".join(body) + "</main>"
            f"<footer><h2>The signed files</h2><ul>{files}</ul></footer></body></html>\n").encode("utf-8")


def _count(count: Count) -> str:
    return f"{_esc(count.as_printed)} (as printed; {count.qualifier.replace('-', ' ')} {count.value:,})"


def _link(target: str, text: str) -> str:
    return f'<a href="{html.escape(target)}">{_text(text)}</a>'


def _text(text: Any) -> str:
    """Text a record gives, isolated from what surrounds it: a right-to-left name cannot reorder the page's words
    around it."""
    return f"<bdi>{_esc(text)}</bdi>"


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def site_facts(bundle: Bundle, signer: SignerIdentity, built: str, files: tuple[str, ...],
               verifier: bytes | None = None) -> SiteFacts:
    return SiteFacts(signer, built, files, json.dumps(bundle.context(), ensure_ascii=False, sort_keys=True,
                                                      separators=(",", ":")),
                     hashlib.sha256(verifier).hexdigest() if verifier is not None else None)
