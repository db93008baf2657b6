import pytest

from inventory import Product, ValidationError
from inventory.integrity import canonical, checksum_chain, fingerprint, sign_export, verify_export
from inventory.csvio import export_to_string

ROUNDS = 250_000  # a real deployment uses more; enough to make forging costly


def test_canonical_form_ignores_order(catalog):
    assert canonical(catalog) == canonical(list(reversed(catalog)))


@pytest.mark.cpu_bound
def test_fingerprint_ignores_catalog_order(catalog):
    assert fingerprint(catalog, ROUNDS) == fingerprint(list(reversed(catalog)), ROUNDS)


@pytest.mark.cpu_bound
@pytest.mark.parametrize(
    "change",
    [
        {"price": "3.50"},
        {"stock": 121},
        {"name": "Granny Smith apple"},
        {"tags": ("fruit",)},
        {"description": ""},
    ],
    ids=["price", "stock", "name", "tags", "description"],
)
def test_fingerprint_sees_every_field(catalog, change):
    fields = catalog[0].to_dict() | change
    fields["tags"] = tuple(fields["tags"])
    changed = [Product(**fields)] + catalog[1:]
    assert fingerprint(changed, ROUNDS) != fingerprint(catalog, ROUNDS)


@pytest.mark.cpu_bound
def test_fingerprint_depends_on_the_salt(catalog):
    assert fingerprint(catalog, ROUNDS, salt=b"a") != fingerprint(catalog, ROUNDS, salt=b"b")


def test_fingerprint_needs_rounds(catalog):
    with pytest.raises(ValidationError):
        fingerprint(catalog, 0)


@pytest.mark.cpu_bound
@pytest.mark.parametrize("key", ["s3cret", "correct horse battery staple", "\u00fcml\u00e4ut"])
def test_signed_export_verifies(catalog, key):
    data = export_to_string(catalog).encode()
    signature = sign_export(data, key, ROUNDS)
    assert signature.startswith(f"{ROUNDS}$")
    assert verify_export(data, key, signature)


@pytest.mark.cpu_bound
def test_tampered_export_fails_verification(catalog):
    data = export_to_string(catalog).encode()
    signature = sign_export(data, "k", ROUNDS)
    assert not verify_export(data.replace(b"199.00", b"1.99"), "k", signature)


@pytest.mark.cpu_bound
def test_wrong_key_fails_verification(catalog):
    data = export_to_string(catalog).encode()
    assert not verify_export(data, "other", sign_export(data, "k", ROUNDS))


@pytest.mark.cpu_bound
def test_signature_written_to_disk_verifies_after_reload(tmp_path, catalog):
    export = tmp_path / "catalog.csv"
    export.write_text(export_to_string(catalog))
    (tmp_path / "catalog.csv.sig").write_text(sign_export(export.read_bytes(), "k", ROUNDS))
    assert verify_export(export.read_bytes(), "k", (tmp_path / "catalog.csv.sig").read_text())


@pytest.mark.parametrize("signature", ["", "abc", "x$abc", "$"])
def test_malformed_signature(signature):
    with pytest.raises(ValidationError, match="malformed signature"):
        verify_export(b"data", "k", signature)


def test_signing_needs_a_key():
    with pytest.raises(ValidationError):
        sign_export(b"data", "")


@pytest.mark.cpu_bound
@pytest.mark.parametrize("position", [0, 7, 15])
def test_chain_changes_from_the_edited_block_on(position):
    blocks = [f"block {i}".encode() for i in range(16)]
    original = checksum_chain(blocks, rounds_per_block=8000)
    blocks[position] = b"edited"
    edited = checksum_chain(blocks, rounds_per_block=8000)
    assert edited[:position] == original[:position]
    assert all(a != b for a, b in zip(edited[position:], original[position:]))
