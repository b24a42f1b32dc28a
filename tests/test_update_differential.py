"""Our verify is never kinder than pyHanko's validator, nor than what other readers show: every incremental
update update_forgeries.py generates against a B-B and a B-LTA build (alone, and time-stamped after) is judged,
and a file verify accepts while pyHanko refuses it, or while poppler and qpdf show other pages or attachments
than the signed file, fails the test. The project's own allow-list (updates.py) is held to the same rule
without pyHanko's difference analysis under it, so the floor is a second line, never the only one."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest
import update_forgeries
from conftest import NAME

from appeal_archive.verify import pades
from appeal_archive.verify.pdf import verify_pdf
from appeal_archive.verify.signature import Judging

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


def pyhanko_accepts(data: bytes, roots: list) -> bool:
    """pyHanko's verdict, as `pyhanko sign validate` gives it for every signature and document time stamp (strict
    syntax, its default difference policy, the trust root given): all valid, with no modification beyond
    signature maintenance."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        for signature in reader.embedded_signatures:
            context = ValidationContext(trust_roots=roots, allow_fetching=False)
            if signature.sig_object_type == "/Sig":
                status = validate_pdf_signature(signature, context)
                if not status.bottom_line:
                    return False
            else:
                status = validate_pdf_timestamp(signature, context)
                if not (status.intact and status.valid and status.trusted):
                    return False
            if status.modification_level is None or status.modification_level > ModificationLevel.LTA_UPDATES:
                return False
    except Exception:  # noqa: BLE001 - a file pyHanko cannot read is one it refuses
        return False
    return True


PYHANKO_FLOOR = pades.pyhanko_floor


def what_readers_show(data: bytes, folder: Path) -> tuple:
    """What readers other than pyHanko show of a file: each page's text as poppler's pdftotext extracts it, and
    the attachments (name, SHA-256) as qpdf reads them."""
    import hashlib
    import subprocess

    import pikepdf
    from conftest import need_tool

    path = folder / "shown.pdf"
    path.write_bytes(data)
    text = subprocess.run([need_tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, timeout=60).stdout
    try:
        with pikepdf.open(path) as pdf:
            attached = sorted((name, hashlib.sha256(spec.get_file().read_bytes()).hexdigest())
                              for name, spec in pdf.attachments.items())
    except Exception as error:  # noqa: BLE001 - what qpdf cannot read, it shows as its error
        attached = [("qpdf cannot read it", type(error).__name__)]
    return text, attached


@pytest.fixture(scope="module")
def trust(pki) -> tuple[Judging, list]:
    judging = Judging((pki.root_cert,))
    return judging, judging.roots


def _verdicts(path: Path, judging: Judging, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, bool]:
    """verify's verdict on the file, and the verdict of its allow-list alone (without pyHanko's floor)."""
    found = []

    def recorded(report, signatures) -> bool:
        before = len(report.issues)
        PYHANKO_FLOOR(report, signatures)
        found.extend(report.issues[before:])
        del report.issues[before:]
        return True  # verify goes on as if its allow-list were alone

    monkeypatch.setattr(pades, "pyhanko_floor", recorded)
    allow_list_ok = verify_pdf(path, judging=judging).ok
    return allow_list_ok and not found, allow_list_ok


# Every generated update is judged on its own; a time stamp after it (33 ms to make, as much again to verify) is
# added to SAMPLED of them in each run, chosen afresh each time, or to all with APPEAL_ARCHIVE_DIFFERENTIAL=all.
SAMPLED = 40


@pytest.fixture(scope="module")
def judged(basic_build_dir: Path, signed_build_dir: Path, trust, pki, tmp_path_factory: pytest.TempPathFactory):
    """judge(level, name, data): the verdicts on one forged file, counted, with the cases where verify or its
    allow-list accepts what pyHanko refuses collected in `kinder`."""
    import random

    from pki import trusted_time_stamper

    judging, roots = trust
    path = tmp_path_factory.mktemp("differential") / f"{NAME}.pdf"
    counts: dict = {}
    kinder: list[str] = []

    def judge(level: str, name: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
        path.write_bytes(data)
        ours, allow_list = _verdicts(path, judging, monkeypatch)
        tally = counts.setdefault(level, {"judged": 0, "accepted by verify": 0, "by its allow-list": 0})
        tally["judged"] += 1
        tally["accepted by verify"] += ours
        tally["by its allow-list"] += allow_list
        if (ours or allow_list) and not (pyhanko_accepts(data, roots)
                                         and what_readers_show(data, path.parent) == shown[level.split(",")[0]]):
            kinder.append(f"{level}: {name} ({'verify' if ours else 'the allow-list alone'})")

    signed = {"B-B": (basic_build_dir / f"{NAME}.pdf").read_bytes(),
              "B-LTA": (signed_build_dir / f"{NAME}.pdf").read_bytes()}
    cases = {level: list(update_forgeries.forgeries(data)) for level, data in signed.items()}
    shown = {level: what_readers_show(data, path.parent) for level, data in signed.items()}
    every = os.environ.get("APPEAL_ARCHIVE_DIFFERENTIAL") == "all"
    stamped = {level: forged if every else random.sample(forged, SAMPLED) for level, forged in cases.items()}
    yield {"judge": judge, "signed": signed, "cases": cases, "stamped": stamped, "counts": counts, "kinder": kinder,
           "stamper": trusted_time_stamper(pki), "roots": roots, "judging": judging, "path": path}
    print(f"\ndifferential corpus: {counts}")


@pytest.mark.parametrize("level", ["B-B", "B-LTA"])
def test_what_is_not_forged_is_accepted_by_all_three(level: str, judged, monkeypatch: pytest.MonkeyPatch):
    """The controls: the signed file, and the same file time-stamped again (a renewal)."""
    signed = judged["signed"][level]
    for control in (signed, update_forgeries.time_stamped(signed, judged["stamper"])):
        judged["path"].write_bytes(control)
        assert _verdicts(judged["path"], judged["judging"], monkeypatch) == (True, True)
        assert pyhanko_accepts(control, judged["roots"])


@pytest.mark.parametrize("level", ["B-B", "B-LTA"])
@pytest.mark.parametrize("stamped", [False, True], ids=["alone", "time-stamped"])
def test_no_generated_update_is_accepted_by_verify_and_refused_by_pyhanko(level: str, stamped: bool, judged,
                                                                         monkeypatch: pytest.MonkeyPatch):
    """Each generated update, alone and then time-stamped by a trusted authority (what anyone can add): when verify,
    or its allow-list alone, accepts the file, pyHanko must accept it too."""
    logging.disable(logging.WARNING)  # pyHanko logs each refusal; the verdicts are what is compared
    try:
        for forgery in (judged["stamped"] if stamped else judged["cases"])[level]:
            data = update_forgeries.time_stamped(forgery.data, judged["stamper"]) if stamped else forgery.data
            if data is not None:  # pyHanko's writer cannot add to some forged files; neither can an attacker
                judged["judge"](f"{level}{', time-stamped' if stamped else ''}", forgery.name, data, monkeypatch)
    finally:
        logging.disable(logging.NOTSET)
    assert len(judged["cases"][level]) >= 300  # the generator reached the file's objects
    assert judged["kinder"] == []
