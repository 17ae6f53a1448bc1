"""The Merkle log is RFC 9162's; checkpoints and the canonical form are exactly as specified."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from certreg.logbook import canonical, checkpoint_format
from certreg.logbook.merkle import EMPTY_ROOT, Frontier, StoredTree, inclusion_path, verify_inclusion

# RFC 6962 / certificate-transparency test vectors: leaves and the roots of the first n of them.
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def rfc9162_verify(index: int, size: int, leaf_hash: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2, written independently of pymerkle."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def test_frontier_gives_the_rfc_6962_roots():
    frontier = Frontier()
    assert frontier.root() == EMPTY_ROOT == hashlib.sha256(b"").digest()
    for n, data in enumerate(LEAVES, 1):
        frontier.append(leaf(data))
        assert frontier.root().hex() == ROOTS[n - 1]
        again = Frontier.from_bytes(frontier.size, frontier.to_bytes())
        assert again.root() == frontier.root()


def test_pymerkle_tree_over_stored_leaves_gives_the_same_roots_and_valid_proofs():
    hashes_ = [leaf(d) for d in LEAVES]
    for size in range(1, len(hashes_) + 1):
        tree = StoredTree(size, lambda offset, width: hashes_[offset:offset + width])
        root = tree.get_root(size)
        assert root.hex() == ROOTS[size - 1]
        for index in range(size):
            path = inclusion_path(tree, index, size)
            assert rfc9162_verify(index, size, hashes_[index], path, root)
            assert verify_inclusion(hashes_[index], index, size, path, root)
            assert not verify_inclusion(leaf(b"forged"), index, size, path, root)
            assert not rfc9162_verify(index, size, leaf(b"forged"), path, root)


def test_large_frontier_matches_pymerkle():
    hashes_ = [leaf(i.to_bytes(4, "big")) for i in range(1000)]
    frontier = Frontier()
    frontier.extend(hashes_)
    tree = StoredTree(1000, lambda offset, width: hashes_[offset:offset + width])
    assert frontier.root() == tree.get_root(1000)
    path = inclusion_path(tree, 777, 1000)
    assert rfc9162_verify(777, 1000, hashes_[777], path, frontier.root())


KEY = ec.derive_private_key(0xC0FFEE, ec.SECP256R1())


def test_checkpoint_signs_the_exact_body_and_parses_back():
    body = checkpoint_format.CheckpointBody("certreg.example.org/logbook/KG", 10250, bytes(range(32)),
                                      datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    signed = checkpoint_format.sign(body, "KG", "a2lkOGJ5dGU", KEY)
    text = signed.text()
    assert text.startswith("certreg.example.org/logbook/KG\n10250\n" + base64.b64encode(bytes(range(32))).decode()
                           + "\ntime 2026-11-26T10:00:00Z\n\n\u2014 certreg.example.org/logbook/KG KG a2lkOGJ5dGU ")
    parsed = checkpoint_format.parse(text)
    assert parsed == signed
    checkpoint_format.verify(parsed, KEY.public_key())
    # an independent check with nothing but the text and the public key
    body_bytes = (text.split("\n\n", 1)[0] + "\n").encode()
    sig = base64.urlsafe_b64decode(text.rstrip("\n").rsplit(" ", 1)[1] + "==")
    KEY.public_key().verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                            body_bytes, ec.ECDSA(hashes.SHA256()))
    tampered = checkpoint_format.parse(text.replace("\n10250\n", "\n10251\n"))
    with pytest.raises(checkpoint_format.CheckpointError):
        checkpoint_format.verify(tampered, KEY.public_key())


@pytest.mark.parametrize("bad", ["", "x\n1\n", "origin\n01\nAAAA\ntime x\n\n— origin KG k s\n"])
def test_checkpoint_parser_refuses_anything_else(bad):
    with pytest.raises(checkpoint_format.CheckpointError):
        checkpoint_format.parse(bad)


def test_canonical_form_is_deterministic_and_complete():
    values = {column: None for column in canonical.FIELDS.values()}
    values.update(country_code="KG", seq=7, id=42, logbook_id=3, kind="sale", operation_date=date(2026, 3, 1),
                  substance_code="R-404A", quantity=Decimal("12.5"), condition="virgin", channel="web",
                  recorded_at=datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC), recorded_by_label="a@b.c",
                  counterparty_name="ТОО «Холод»")
    data = canonical.canonical_bytes(values, ["C-1"])
    assert data.startswith(b'{"book":null,"buyer_certificate":null,"channel":"web"')
    assert b'"quantity":"12.500"' in data and b'"recorded_at":"2026-03-01T12:00:00.123456Z"' in data
    assert "ТОО «Холод»".encode() in data and b'"cylinders":["C-1"]' in data and b'"v":1' in data
    assert len(canonical.document(values, [])) == len(canonical.FIELDS) + 2
    key = b"k"
    mac = canonical.entry_mac(key, "KG", 7, canonical.leaf_hash(data))
    assert canonical.mac_matches(key, "KG", 7, canonical.leaf_hash(data), mac)
    assert not canonical.mac_matches(key, "KG", 8, canonical.leaf_hash(data), mac)


def test_completed_subtrees_are_the_trees_own_and_proofs_over_them_need_few_leaves(monkeypatch):
    import os

    from certreg.logbook import merkle

    monkeypatch.setattr(merkle, "NODE_LEVEL", 4)  # subtrees of 16 leaves and more, to keep it small
    leaves = [os.urandom(32) for _ in range(300)]
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    nodes = {(level, position): node for level, position, node in frontier.completed}
    assert set(nodes) == {(level, position) for level in range(4, 9) for position in range(300 >> level)}
    plain = StoredTree(300, lambda offset, width: leaves[offset:offset + width])
    assert all(plain._get_subroot(position << level, 1 << level) == node for (level, position), node in nodes.items())

    read: list[int] = []

    def reader(offset, width):
        read.append(width)
        return leaves[offset:offset + width]

    for index in (0, 17, 255, 256, 299):
        read.clear()
        with_nodes = StoredTree(300, reader, lambda level, position: nodes.get((level, position)))
        path = inclusion_path(with_nodes, index, 300)
        assert path == inclusion_path(plain, index, 300)
        assert verify_inclusion(leaves[index], index, 300, path, frontier.root())
        assert sum(read) <= 16 + (300 % 16) + 32  # its block, the tail, not the 300 leaves


def test_an_append_that_completes_a_subtree_stores_it(people):
    import sqlalchemy as sa

    from certreg.extensions import db
    from certreg.logbook import recording
    from certreg.logbook.models import LogNode
    from tests.logbook.builders import bulk_logbook
    from tests.logbook.conftest import entry_data

    bulk_logbook(people.dealer, 1023, checkpoints=0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LogNode)) == 0
    recording.record_entry(people.dealer_actor, people.dealer, entry_data("import"))  # the 1,024th, one by one
    db.session.commit()
    assert db.session.execute(sa.select(LogNode.country_code, LogNode.level, LogNode.position)).all() == [("KZ", 10, 0)]
