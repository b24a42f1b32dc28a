"""Only the archive's own files enter it (issue 17): a hard link, key material, a name the salt ledger cannot hold,
an output written into the records folder, a build folder given through a symbolic link."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from appeal_archive.cli.main import main
from appeal_archive.records.validate import validate_records


def _described(records: Path, name: str, data: bytes, media_type: str = "text/plain") -> None:
    """A source record for records/sources/<name>, so that a build would attach the document."""
    (records / "sources" / f"{name.split('.')[0]}.yaml").write_text(
        f"id: {name.split('.')[0]}\ntype: source\ntitle: A capture\nfile: {name}\nsha256: "
        f"{hashlib.sha256(data).hexdigest()}\nmedia_type: {media_type}\nlanguage: en\ncapture:\n  kind: other\n"
        "  description: A test document.\n  publisher_url: unknown\n  captured_on: unknown\n", encoding="utf-8")


def _codes(report, path: str) -> set[str]:
    return {issue.code for issue in report.errors if issue.file == f"records/{path}"}


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def test_a_hard_link_to_a_private_key_is_refused_and_never_attached(records: Path, tmp_path: Path,
                                                                     isolated_identity: Path):
    """The attack: records/sources/notes.txt is a second name of the signing key (mode 0600), described by a
    source record; the public PDF attached it."""
    key = tmp_path / "signer.key"
    key.write_bytes(b"not even a key: any file of the custodian's\n")
    key.chmod(0o600)
    os.link(key, records / "sources" / "notes.txt")
    _described(records, "notes.txt", key.read_bytes())
    report = validate_records("records")
    assert _codes(report, "sources/notes.txt") == {"path.hard-link"}, report.errors
    result = CliRunner().invoke(main, ["build", "records", "--unsigned", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "path.hard-link" in result.output and not (tmp_path / "out").exists()


def _pem_body(data: bytes) -> bytes:
    return b"".join(line for line in data.splitlines(keepends=True) if not line.startswith(b"-----"))


@pytest.mark.parametrize("place", ["der-and-a-byte-as-text", "pkcs12-and-a-newline", "pem-written-with-yaml-escapes",
                                   "base64-in-a-value", "base64-in-a-comment", "pem-in-a-stray-file",
                                   "der-and-two-megabytes", "pem-in-utf-16", "base64-indented-in-a-comment",
                                   "base64url-in-a-value", "hex-in-a-value", "openssh-body-in-a-comment",
                                   "json-web-key"])
def test_key_material_in_disguise_is_refused(records: Path, place: str):
    """Found by an attacker of issue 17: a key followed by a byte (openssl reads the first structure), a key
    spelt out with YAML escapes, a key in base64 without its PEM lines, a key in a file no record describes."""
    key = _key()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    person = records / "persons" / "pavel-latushka.yaml"
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    documents = {"der-and-a-byte-as-text": lambda: der + b"\n",
                 "pkcs12-and-a-newline": lambda: pkcs12.serialize_key_and_certificates(
                     b"k", key, None, None, serialization.BestAvailableEncryption(b"x")) + b"\n",
                 "der-and-two-megabytes": lambda: der + bytes(2 << 20),
                 "pem-in-utf-16": lambda: pem.decode().encode("utf-16"),
                 "json-web-key": lambda: b'{"kty": "EC", "crv": "P-256", "d": "' + base64.urlsafe_b64encode(
                     bytes(32)).rstrip(b"=") + b'"}'}
    expected = ("sources/statement.txt" if place in documents
                else "persons/k.pem" if place == "pem-in-a-stray-file" else "persons/pavel-latushka.yaml")
    data = documents[place]() if place in documents else b""
    if expected == "sources/statement.txt":
        (records / "sources" / "statement.txt").write_bytes(data)
        _described(records, "statement.txt", data)
    elif place == "pem-written-with-yaml-escapes":
        escaped = pem.decode().replace("-", "\\x2D").replace("\n", "\\n")
        person.write_text(person.read_text() + f'archivist_note: "{escaped}"\n')
    elif place == "base64-in-a-value":
        person.write_text(person.read_text() + "archivist_note: " + _pem_body(pem).decode().replace("\n", "") + "\n")
    elif place == "base64-in-a-comment":
        person.write_text(person.read_text() + "".join(f"# {line}\n" for line in _pem_body(pem).decode().splitlines()))
    elif place == "base64-indented-in-a-comment":
        person.write_text(person.read_text() + "".join(f"#{' ' * 12}{line}\n"
                                                       for line in _pem_body(pem).decode().splitlines()))
    elif place == "base64url-in-a-value":
        person.write_text(person.read_text() + f"archivist_note: {base64.urlsafe_b64encode(der).decode()}\n")
    elif place == "hex-in-a-value":
        person.write_text(person.read_text() + f"archivist_note: {der.hex(' ')}\n")
    elif place == "openssh-body-in-a-comment":
        openssh = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                    serialization.NoEncryption())
        person.write_text(person.read_text() + "".join(f"# {line}\n"
                                                       for line in _pem_body(openssh).decode().splitlines()))
    else:
        (records / "persons" / "k.pem").write_bytes(pem)
    assert "file.key-material" in _codes(validate_records("records"), expected)


@pytest.mark.parametrize("form", ["pem-pkcs8", "pem-sec1", "der-pkcs8", "der-sec1", "pkcs12"])
def test_key_material_among_the_records_is_refused(records: Path, form: str):
    key = _key()
    encryption = serialization.NoEncryption()
    data = {"pem-pkcs8": lambda: key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   encryption),
            "pem-sec1": lambda: key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.TraditionalOpenSSL, encryption),
            "der-pkcs8": lambda: key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                   encryption),
            "der-sec1": lambda: key.private_bytes(serialization.Encoding.DER,
                                                  serialization.PrivateFormat.TraditionalOpenSSL, encryption),
            "pkcs12": lambda: pkcs12.serialize_key_and_certificates(
                b"k", key, None, None, serialization.BestAvailableEncryption(b"a passphrase"))}[form]()
    name = "capture.txt" if form.startswith("pem") else "capture.bin"
    (records / "sources" / name).write_bytes(data)
    _described(records, name, data, "text/plain" if form.startswith("pem") else "application/octet-stream")
    report = validate_records("records")
    assert _codes(report, f"sources/{name}") == {"file.key-material"}, report.errors
    # Unreferenced, or pasted into a record, it is refused all the same.
    (records / "sources" / "capture.yaml").unlink()
    assert "file.key-material" in _codes(validate_records("records"), f"sources/{name}")
    if form.startswith("pem"):
        person = records / "persons" / "pavel-latushka.yaml"
        person.write_bytes(person.read_bytes() + b"# " + data.replace(b"\n", b"\n# ") + b"\n")
        assert "file.key-material" in _codes(validate_records("records"), "persons/pavel-latushka.yaml")


@pytest.mark.parametrize("name", ["line\nbreak.txt", "separator\u2028.txt", "next\u0085line.txt", "tab\there.txt",
                                  " leading.txt", "trailing.txt "])
def test_a_name_the_ledger_cannot_hold_is_refused_before_anything_is_salted(records: Path, name: str):
    ledger = records / "salts.txt"
    before = ledger.read_bytes()
    (records / "sources" / name).write_text("A capture.\n")
    report = validate_records("records")
    assert [issue.code for issue in report.errors] == ["path.bad-name"]
    assert "\n" not in report.errors[0].file
    for command in (["salt", "records"], ["build", "records", "--unsigned", "--out", "out"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code in (0, 1) and "Traceback" not in result.output
    assert ledger.read_bytes() == before  # nothing salted: the ledger is as it was, readable
    (records / "sources" / name).unlink()
    assert validate_records("records").ok


def test_a_ledger_line_holding_a_line_separator_is_read_back(records: Path):
    """What an earlier version wrote: a path with U+2028 in it is one line of the ledger, not two."""
    ledger = records / "salts.txt"
    ledger.write_text(ledger.read_text() + "00" * 16 + " sources/old\u2028name.txt\n")
    report = validate_records("records")
    assert [issue.code for issue in report.issues if issue.code.startswith("salt.")] == ["salt.stale"]


@pytest.mark.parametrize("command", [
    ["prove", "pavel-latushka", "records", "--out", "records/salts.txt"],
    ["prove", "pavel-latushka", "records", "--out", "records/persons/proof.json"],
    ["build", "records", "--unsigned", "--out", "records"],
    ["build", "records", "--unsigned", "--out", "records/sources/build"],
], ids=["prove-over-the-ledger", "prove-into-a-record-folder", "build-over-the-records", "build-into-sources"])
def test_no_output_is_written_inside_the_records_folder(records: Path, command: list[str]):
    before = {path: path.read_bytes() for path in records.rglob("*") if path.is_file()}
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2 and "error[output.in-records]" in result.output, result.output
    assert {path: path.read_bytes() for path in records.rglob("*") if path.is_file()} == before


def test_export_ca_and_extend_write_nothing_inside_the_records_folder(records: Path, custodian_identity: Path):
    result = CliRunner().invoke(main, ["identity", "--export-ca", "records/ca.pem"])
    assert result.exit_code == 2 and "output.in-records" in result.output and not (records / "ca.pem").exists()


def test_a_build_folder_given_through_a_symbolic_link_is_built_and_nothing_is_left(records: Path, tmp_path: Path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "build-link"
    link.symlink_to(target)
    for _ in range(2):  # the first build fills the empty folder, the second replaces it
        result = CliRunner().invoke(main, ["build", "records", "--unsigned", "--out", str(link)])
        assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert json.loads((target / "manifest.json").read_text())["root"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["build-link", "elsewhere", "records"]


def test_git_ignores_what_builds_write_by_default_and_never_the_records(tmp_path: Path):
    """The default output folders of both editions stay out of the records' repository; the records do not."""
    import shutil
    import subprocess

    from conftest import REPO

    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    shutil.copy(REPO / ".gitignore", tmp_path / ".gitignore")
    subprocess.run([git, "init", "-q", str(tmp_path)], check=True)
    names = ["build/AA.pdf", "build-public/AA.pdf", "build-public/AA-bag/bagit.txt", "records/persons/x.yaml",
             "records/salts.txt", "build/.gitkeep"]
    ignored = subprocess.run([git, "-C", str(tmp_path), "check-ignore", "--no-index", *names],
                             capture_output=True, text=True).stdout.split()
    assert ignored == ["build/AA.pdf", "build-public/AA.pdf", "build-public/AA-bag/bagit.txt"]
