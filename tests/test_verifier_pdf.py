"""site/verify.html on the archive's signed PDF, against `appeal-archive verify`, below and above the 2,000 records
where the records travel in ZIPs: the genuine PDF verifies with the root the command gives, with an inclusion
proof; and a generated differential (seeded) of changes the custodian's own key signed again — bytes of an
attachment or a ZIP member changed, files removed and added, the root in the metadata or on the cover changed,
hostile YAML — where the page is never kinder than the command. (Changes signed by anyone else are the attack
corpus's, which runs the page too: verify_corpus.py.)"""

from __future__ import annotations

import io
import random
import re
import shutil
import zipfile
from pathlib import Path

import attacks
import pikepdf
import pytest
from click.testing import CliRunner
from conftest import EPOCH, NAME, REAL_RECORDS, large_records

from appeal_archive import layout
from appeal_archive.build.archive import build_archive
from appeal_archive.cli.main import main
from appeal_archive.signing.keys import SignerConfig, load_key_material, utc_now
from appeal_archive.verify import verify_archive

pytestmark = pytest.mark.slow

PDF = f"{NAME}.pdf"


def _public_build(folder: Path, records: Path, pki) -> Path:
    out = folder / "public"
    result = build_archive(records, out, edition="public", environ={"SOURCE_DATE_EPOCH": EPOCH},
                           signer_config=SignerConfig(key=pki.signer_key, cert=pki.signer_cert, level="B-B"))
    assert result.ok, result.issues[:3]
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory, pki) -> Path:
    return _public_build(tmp_path_factory.mktemp("page-small"), REAL_RECORDS, pki)


@pytest.fixture(scope="module")
def large(tmp_path_factory, pki) -> Path:
    folder = tmp_path_factory.mktemp("page-large")
    return _public_build(folder, large_records(folder / "records"), pki)


# --- the changes, each a function of the document and a seeded random source ---------------------------------


def _attached(document) -> dict[str, bytes]:
    """Every file the PDF carries, ZIP members included, by name."""
    files = {}
    for name, spec in document.attachments.items():
        content = spec.get_file().read_bytes()
        if name in layout.ZIPS:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                files.update((member, archive.read(member)) for member in archive.namelist())
        else:
            files[name] = content
    return files


def _flip(content: bytes, chance: random.Random) -> bytes:
    where = chance.randrange(len(content))
    return content[:where] + bytes([content[where] ^ (1 << chance.randrange(7)) or 1]) + content[where + 1:]


def byte_changed(document, chance: random.Random) -> str:
    name = chance.choice(sorted(_attached(document)))
    attacks.replacing(name, _flip(_attached(document)[name], chance))(document)
    return f"a byte of {name}"


def removed(document, chance: random.Random) -> str:
    name = chance.choice(sorted(set(_attached(document)) - {layout.MANIFEST}))
    attacks.replacing(name, None)(document)
    return f"{name} removed"


def added(document, chance: random.Random) -> str:
    name = chance.choice(["records/persons/someone-else.yaml", "canonical/persons/someone-else.json", "notes.txt",
                          "records/sources/another.txt"])
    attacks.replacing(name, b"id: someone-else\n")(document)
    return f"{name} added"


def metadata_root(document, chance: random.Random) -> str:
    with document.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta[layout.ROOT_PROPERTY] = layout.root_value(f"{chance.randrange(16**64):064x}")
    return "another root in the metadata"


def cover_root(document, chance: random.Random) -> str:
    page = document.pages[0]
    content = page.Contents.read_bytes()
    root = re.search(rb"\(([0-9a-f]{64})\) Tj", content)
    assert root is not None
    changed = root.group(1)[:10] + (b"0" if root.group(1)[10:11] != b"0" else b"1") + root.group(1)[11:]
    page.Contents = document.make_stream(content.replace(root.group(1), changed))
    return "another root on the cover"


def _record_yaml(document, chance: random.Random) -> tuple[str, bytes]:
    files = _attached(document)
    name = chance.choice(sorted(name for name in files if name.endswith(".yaml") and name != layout.CONFIG))
    return name, files[name]


def yaml_alias(document, chance: random.Random) -> str:
    name, content = _record_yaml(document, chance)
    first = content.split(b"\n", 1)[0]
    attacks.replacing(name, content.replace(first, first.replace(b": ", b": &a ", 1), 1) + b"again: *a\n")(document)
    return f"{name} given an anchor and an alias"


def yaml_repeated_key(document, chance: random.Random) -> str:
    name, content = _record_yaml(document, chance)
    attacks.replacing(name, content + content.split(b"\n", 1)[0] + b"\n")(document)
    return f"{name} with its first key repeated"


def yaml_comment(document, chance: random.Random) -> str:
    """The same data, another file: verify accepts it (the data hash to the entry), and so may the page."""
    name, content = _record_yaml(document, chance)
    attacks.replacing(name, b"# a comment the custodian added\n" + content)(document)
    return f"{name} with a comment"


def nothing(document, chance: random.Random) -> str:
    return "nothing changed, signed again"


CHANGES = [byte_changed, removed, added, metadata_root, cover_root, yaml_alias, yaml_repeated_key, yaml_comment,
           nothing]


def _cases(build: Path, folder: Path, pki, changes: list, count: int, seed: int) -> list[tuple[str, Path, bool]]:
    """(what, the changed PDF, whether `verify` accepts it): each of `changes`, then more drawn from them up to
    `count`, made with `seed`, each signed again by the custodian's own key."""
    material = _custodian(pki)
    chance = random.Random(seed)
    drawn = changes + [chance.choice(changes) for _ in range(count - len(changes))]
    cases = []
    for number, change in enumerate(drawn):
        target = folder / f"case-{number}" / PDF
        target.parent.mkdir(parents=True)
        shutil.copy(build / PDF, target)
        said: list[str] = []

        def changed(document, change=change, said=said) -> None:
            said.append(change(document, chance))

        attacks.resigned_pdf(target, changed, material=material)
        cases.append((said[0], target, verify_archive(target, trust_roots=[pki.root_cert]).ok))
    return cases


@pytest.fixture(scope="module")
def small_cases(small: Path, pki, tmp_path_factory) -> list[tuple[str, Path, bool]]:
    return _cases(small, tmp_path_factory.mktemp("small-cases"), pki, CHANGES, 16, 20230521)


@pytest.fixture(scope="module")
def large_cases(large: Path, pki, tmp_path_factory) -> list[tuple[str, Path, bool]]:
    # (fewer: each is a PDF of thousands of records re-signed and verified; what changes above 2,000 is the ZIPs)
    return _cases(large, tmp_path_factory.mktemp("large-cases"), pki, [byte_changed, removed, added, yaml_alias,
                                                                        nothing], 6, 1000)


def _custodian(pki):
    return load_key_material(SignerConfig(key=pki.signer_key, cert=pki.signer_cert, level="B-B"), utc_now())[0]


@pytest.fixture(scope="module")
def forged(small: Path, large: Path, pki, tmp_path_factory) -> list[tuple[str, list[Path], bool]]:
    """(what, the forged files, whether `verify` accepts them) for each of forgeries.py's: PDFs of the real
    records, PDFs above 2,000 records, and bundles, each signed again by the custodian's key."""
    from forgeries import BUNDLE_FORGERIES, FORGERIES, LARGE_FORGERIES, SIGNATURE_FORGERIES

    from appeal_archive.signing.sign import sign_bundle

    material, folder = _custodian(pki), tmp_path_factory.mktemp("forged")
    made = []
    pdfs = [(what, forge, small) for what, forge in FORGERIES.items()]
    pdfs += [(what, forge, large) for what, forge in LARGE_FORGERIES.items()]
    for number, (what, forge, build) in enumerate(pdfs):
        target = folder / f"forgery-{number}" / PDF
        target.parent.mkdir()
        target.write_bytes(forge((build / PDF).read_bytes(), material))
        made.append((what, [target], verify_archive(target, trust_roots=[pki.root_cert]).ok))
    for number, (what, forge) in enumerate(SIGNATURE_FORGERIES.items()):
        bundle = folder / f"signature-{number}" / f"{NAME}.jsonld"
        bundle.parent.mkdir()
        content, signature = forge((small / bundle.name).read_bytes(), material)
        bundle.write_bytes(content)
        Path(f"{bundle}.p7s").write_bytes(signature)
        made.append((what, [bundle, Path(f"{bundle}.p7s")], verify_archive(bundle, trust_roots=[pki.root_cert]).ok))
    for number, (what, forge) in enumerate(BUNDLE_FORGERIES.items()):
        bundle = folder / f"bundle-{number}" / f"{NAME}.jsonld"
        bundle.parent.mkdir()
        bundle.write_bytes(forge((small / bundle.name).read_bytes()))
        Path(f"{bundle}.p7s").write_bytes(sign_bundle(bundle.read_bytes(), material))
        made.append((what, [bundle, Path(f"{bundle}.p7s")], verify_archive(bundle, trust_roots=[pki.root_cert]).ok))
    return made


# --- the tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_genuine_pdf_verifies_with_the_root_verify_gives(size: str, request, browser, verifier_page, pki):
    build = request.getfixturevalue(size)
    verdict, said = browser.judge(verifier_page, [build / PDF])
    report = verify_archive(build / PDF, trust_roots=[pki.root_cert])
    assert report.ok and verdict == "verified" and f"Root: {report.root}" in said, said
    assert (size == "large") == ("records.zip" in pikepdf.open(build / PDF).attachments)


@pytest.mark.parametrize("size", ["small", "large"])
def test_no_change_signed_again_by_the_custodian_is_verified_where_verify_refuses(size: str, request, browser,
                                                                                   verifier_page):
    cases = request.getfixturevalue(f"{size}_cases")
    kinder, refused = [], 0
    for what, target, command_accepts in cases:
        verdict, said = browser.judge(verifier_page, [target])
        print(f"{what}: verify {'accepts' if command_accepts else 'refuses'}, the page says {verdict}")
        if verdict == "verified" and not command_accepts:
            kinder.append(what)
        if not command_accepts:
            refused += 1
            assert verdict in ("failed", "not-judged"), (what, said)  # the custodian signed it: never "untrusted"
        else:  # the same data in another file, or nothing changed: no stricter than the command either
            assert verdict == "verified", (what, said)
    assert kinder == [] and refused >= len(cases) // 3, kinder


def test_no_file_read_two_ways_is_verified(forged, browser, verifier_page):
    """forgeries.py: a PDF, XMP, CMap or YAML that one reader reads otherwise than another, signed by the
    custodian's key. verify refuses each (the page's readers are not its readers); the page never verifies one."""
    for what, files, command_accepts in forged:
        verdict, said = browser.judge(verifier_page, files)
        assert not command_accepts, what
        assert verdict in ("failed", "not-judged", "untrusted"), (what, said)


def test_an_inclusion_proof_verifies_with_the_pdf_and_an_altered_one_fails(small: Path, browser, verifier_page,
                                                                         tmp_path: Path):
    proof = tmp_path / "proof.json"
    made = CliRunner().invoke(main, ["prove", "pavel-latushka", str(REAL_RECORDS), "--out", str(proof)])
    assert made.exit_code == 0, made.output
    verdict, said = browser.judge(verifier_page, [small / PDF, proof])
    assert verdict == "verified" and "The proof holds: persons/pavel-latushka.yaml" in said, said
    altered = tmp_path / "altered.json"
    altered.write_text(proof.read_text(encoding="utf-8").replace("Pavel", "Paul", 1), encoding="utf-8")
    verdict, said = browser.judge(verifier_page, [small / PDF, altered])
    assert verdict == "failed" and "The proof fails" in said, said
    bundle = [small / f"{NAME}.jsonld", small / f"{NAME}.jsonld.p7s"]
    assert browser.judge(verifier_page, [*bundle, proof])[0] == "verified"
    verdict, said = browser.judge(verifier_page, [small / PDF, small / "manifest.json"])  # a JSON file, not a proof
    assert verdict == "not-judged" and "manifest.json is not an inclusion proof" in said, said


def test_a_rogue_authority_of_the_same_name_and_a_wrong_pin_are_not_trusted(small: Path, browser, verifier_page,
                                                                           pki, tmp_path: Path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    real = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    rogue = (x509.CertificateBuilder().subject_name(real.subject).issuer_name(real.subject)
             .public_key(key.public_key()).serial_number(real.serial_number)
             .not_valid_before(real.not_valid_before_utc).not_valid_after(real.not_valid_after_utc)
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(key, hashes.SHA256()))
    rogue_file = tmp_path / "rogue.der"
    rogue_file.write_bytes(rogue.public_bytes(serialization.Encoding.DER))
    verdict, said = browser.judge(verifier_page, [small / PDF], anchor=rogue_file)
    assert verdict == "untrusted" and "the authority you gave" in said, said
    fingerprint = real.fingerprint(hashes.SHA256()).hex()
    assert browser.judge(verifier_page, [small / PDF], pin=fingerprint.upper())[0] == "verified"
    verdict, said = browser.judge(verifier_page, [small / PDF], pin="00" * 32)
    assert verdict == "untrusted" and "nothing was trusted" in said, said
    genuine = tmp_path / "genuine.pem"
    genuine.write_bytes(real.public_bytes(serialization.Encoding.PEM))
    assert browser.judge(verifier_page, [small / PDF], anchor=genuine, pin=fingerprint)[0] == "verified"


def _authority(tmp_path: Path, name: str, key, issuer=None, issuer_key=None, ca: bool = True,
               path_length: int | None = None, non_repudiation: bool = True):
    """A certificate (and its PEM file) of `name` for `key`, issued by `issuer` (or by itself)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.subject if issuer is not None else subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
               .not_valid_after(now + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=not ca and non_repudiation,
                                            key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                            crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    certificate = builder.sign(issuer_key or key, hashes.SHA256())
    (tmp_path / f"{name}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return certificate


def test_a_weak_key_a_long_chain_and_a_signer_not_for_non_repudiation_are_not_trusted(small: Path, browser,
                                                                                     tmp_path: Path):
    """What pyHanko's validation refuses and pkijs's alone would not: an RSA key of 1,024 bits, a chain below an
    intermediate CA whose path length allows no CA under it, a signer whose key usage lacks non-repudiation."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from appeal_archive.signing.sign import sign_pdf
    from appeal_archive.views.verifier import verify_page

    def key(bits: int = 2048):
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)

    root_key, middle_key, lower_key = key(), key(), key()
    root = _authority(tmp_path, "root", root_key)
    middle = _authority(tmp_path, "middle", middle_key, root, root_key, path_length=0)
    lower = _authority(tmp_path, "lower", lower_key, middle, middle_key)
    page = tmp_path / "verify.html"
    page.write_bytes(verify_page(root))
    cases = {"weak": (key(1024), root, root_key, [root]), "long": (key(), lower, lower_key, [lower, middle, root]),
             "usage": (key(), root, root_key, [root])}
    for what, (signer_key, issuer, issuer_key, chain) in cases.items():
        signer = _authority(tmp_path, f"signer-{what}", signer_key, issuer, issuer_key, ca=False,
                            non_repudiation=what != "usage")
        key_file, cert_file = tmp_path / f"{what}.key", tmp_path / f"{what}-chain.pem"
        key_file.write_bytes(signer_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
        cert_file.write_bytes(b"".join(each.public_bytes(serialization.Encoding.PEM) for each in [signer, *chain]))
        material, _ = load_key_material(SignerConfig(key=key_file, cert=cert_file, level="B-B"), utc_now())
        target = tmp_path / what / PDF
        target.parent.mkdir()
        target.write_bytes(sign_pdf(attacks.unsigned_copy((small / PDF).read_bytes()), material, reason=what))
        assert not verify_archive(target, trust_roots=[tmp_path / "root.pem"]).ok, what
        verdict, said = browser.judge(page, [target])
        assert verdict == "untrusted" and "not one verify trusts" in said, (what, said)
