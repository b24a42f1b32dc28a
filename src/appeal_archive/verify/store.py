"""The document security store (/DSS) after an update: certificates, CRLs and OCSP responses (streams) and VRI
entries, each new or the very object that held validation data before; and never fewer than before, for a
document time stamp may cover them (sig.validation-data-removed)."""

from __future__ import annotations

from asn1crypto import cms, crl, ocsp, x509
from pyhanko.pdf_utils import generic

from appeal_archive import layout
from appeal_archive.verify.judgement import REMOVED, Judgement, get, items, ref_of

_DATA_KINDS = {"/Certs": x509.Certificate, "/Cert": x509.Certificate, "/OCSPs": ocsp.OCSPResponse,
               "/OCSP": ocsp.OCSPResponse, "/CRLs": crl.CertificateList, "/CRL": crl.CertificateList,
               "/TS": cms.ContentInfo}
_VRI_KEYS = {"/Certs": "/Cert", "/OCSPs": "/OCSP", "/CRLs": "/CRL"}  # the store's arrays, and a VRI entry's


def judge_store(judgement: Judgement, old_value, new_value) -> None:
    """The document security store: certificates, CRLs and OCSP responses (streams), and VRI entries. It may
    only grow: what the older revision held (and a document time stamp may cover) stays, unchanged."""
    dss = judgement.adopt(new_value, [old_value], "the catalog's /DSS")
    if dss is None:
        return
    if not isinstance(dss, generic.DictionaryObject) or not set(dss) <= layout.UPDATE_DSS_KEYS:
        judgement.problem("the /DSS is not a document security store")
        return
    old = judgement.older_object(old_value) if old_value is not None else generic.DictionaryObject()
    old_vri = judgement.older_object(get(old, "/VRI"))
    old_entries = {name: judgement.older_object(old_vri.raw_get(name)) for name in old_vri} \
        if isinstance(old_vri, generic.DictionaryObject) else {}
    # A data stream's role is its kind: pyHanko files one certificate under /Certs and under VRI entries' /Cert.
    held = {key: [*items(judgement.older_object(get(old, key))),
                  *(item for entry in old_entries.values()
                    for item in items(judgement.older_object(get(entry, short))))]
            for key, short in _VRI_KEYS.items()}
    held["/TS"] = [get(entry, "/TS") for entry in old_entries.values()]
    for key in _VRI_KEYS:
        found = _data_streams(judgement, get(old, key), get(dss, key), held[key], f"the /DSS {key}", _DATA_KINDS[key])
        _lost(judgement, items(judgement.older_object(get(old, key))), found, f"the /DSS {key}")
    vri = judgement.adopt(get(dss, "/VRI"), [get(old, "/VRI")], "the /DSS /VRI") if "/VRI" in dss else None
    if "/VRI" in dss and not isinstance(vri, generic.DictionaryObject):
        if vri is not None:
            judgement.problem("the /DSS /VRI is not a dictionary")
        return
    vri = vri if vri is not None else generic.DictionaryObject()
    for name in sorted(set(old_entries) - set(vri)):
        judgement.problem(f"the /DSS /VRI entry {name} is removed", REMOVED)
    for name in vri:
        old_entry = old_entries.get(name, generic.DictionaryObject())
        entry = judgement.adopt(vri.raw_get(name), [get(old_vri, name)], f"the /DSS /VRI entry {name}")
        if entry is None:
            continue
        if not isinstance(entry, generic.DictionaryObject) or not set(entry) <= layout.UPDATE_VRI_KEYS:
            judgement.problem(f"the /DSS /VRI entry {name} is not a VRI dictionary")
            continue
        for key, array_key in (("/Cert", "/Certs"), ("/OCSP", "/OCSPs"), ("/CRL", "/CRLs"), ("/TS", "/TS")):
            where = f"the /DSS /VRI entry {name}'s {key}"
            if key == "/TS":
                before = [get(old_entry, key)]
                found = _data_stream(judgement, get(entry, key), held[key], where, _DATA_KINDS[key]) \
                    if key in entry else []
            else:
                before = items(judgement.older_object(get(old_entry, key)))
                found = _data_streams(judgement, get(old_entry, key), get(entry, key), held[array_key], where,
                                      _DATA_KINDS[key])
            _lost(judgement, before, found, where)


def _lost(judgement: Judgement, before: list, after: list, where: str) -> None:
    """Validation data the older revision held under `where` and the newer does not."""
    kept = {ref_of(value) for value in after}
    lost = [ref for ref in (ref_of(value) for value in before if value is not None) if ref not in kept]
    if lost:
        judgement.problem(f"{where} no longer holds object {lost[0].idnum}"
                          f"{f' and {len(lost) - 1} more' if len(lost) > 1 else ''}", REMOVED)


def _data_streams(judgement: Judgement, old_value, value, held: list, where: str, kind) -> list:
    """An array of validation data; the values it holds (none when it is not there or not an array)."""
    if value is None:
        return []
    array = judgement.adopt(value, [old_value], where)
    if array is None:
        return []
    if not isinstance(array, generic.ArrayObject):
        judgement.problem(f"{where} is not an array")
        return []
    return [found for item in items(array) for found in _data_stream(judgement, item, held, where, kind)]


def _data_stream(judgement: Judgement, value, held: list, where: str, kind) -> list:
    """Validation data: one DER structure of its kind in a stream, either the very stream that held such data
    in the older revision, unchanged, or a new one. The value, as a list of what it holds."""
    ref = ref_of(value)
    if ref is None:
        judgement.problem(f"{where} holds something other than a stream")
        return []
    if judgement.adopt(value, held, where) is None:
        return []
    if not judgement.is_new(ref):
        if judgement.changed(ref):
            judgement.problem(f"{where} holds object {ref.idnum}, which is rewritten", REMOVED)
        return [value]
    stream = judgement.newer.get_object(ref)
    if not isinstance(stream, generic.StreamObject) or not _is_der(kind, stream.data):
        judgement.problem(f"{where} holds object {ref.idnum}, which is not a {kind.__name__} in DER")
    return [value]


def _is_der(kind, data: bytes) -> bool:
    try:
        kind.load(data, strict=True).native  # noqa: B018 (parses every field, not only the outer one)
    except (ValueError, TypeError):
        return False
    return True
