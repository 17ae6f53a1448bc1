"""The Merkle tree of a country's log, in the manner of Certificate Transparency (RFC 9162 section 2.1).

Leaves are the entries' leaf hashes, in ``seq`` order; an interior node is
``SHA-256(0x01 || left || right)``; the left subtree of ``n`` leaves holds the largest
power of two smaller than ``n``; the root of the empty tree is ``SHA-256("")``.

Hashing, root computation and proofs come from ``pymerkle`` (its "security" mode is
exactly RFC 9162's domain separation; ``tests/logbook/test_merkle.py`` checks it against
the RFC 6962 test vectors). This module adds what an append-only database log needs:

* :class:`Frontier`: the roots of the maximal perfect subtrees (at most 64 hashes). With
  the tree size it is all that appending a leaf and computing the new root require, so an
  append costs O(log n) hashes and no reads of earlier leaves.
* :class:`StoredTree`: a ``pymerkle`` tree whose leaves are read from storage (here the
  entries table) for inclusion proofs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pymerkle import BaseMerkleTree, InclusionProof
from pymerkle.core import _inclusion_path_layout
from pymerkle.hasher import MerkleHasher
from pymerkle.proof import InvalidProof

HASHER = MerkleHasher("sha256")
HASH_SIZE = 32
EMPTY_ROOT = HASHER.hash_empty()


#: Perfect subtrees of at least ``2 ** NODE_LEVEL`` leaves are stored when an append completes
#: them (``logbook_log_nodes``), so an inclusion proof reads stored nodes and at most that many
#: leaves per level instead of the whole log.
NODE_LEVEL = 10


class Frontier:
    """The compact state of an append-only tree: size and the perfect-subtree roots, left to right.

    ``completed`` collects ``(level, position, hash)`` of every perfect subtree of
    ``2 ** level >= 2 ** NODE_LEVEL`` leaves that an append completed (the subtree of leaves
    ``position * 2 ** level ... (position + 1) * 2 ** level - 1``), for the caller to store.
    """

    __slots__ = ("size", "roots", "completed")

    def __init__(self, size: int = 0, roots: Sequence[bytes] = ()) -> None:
        if len(roots) != bin(size).count("1"):
            raise ValueError(f"a tree of {size} leaves has {bin(size).count('1')} perfect subtrees, not {len(roots)}")
        self.size = size
        self.roots = list(roots)
        self.completed: list[tuple[int, int, bytes]] = []

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> Frontier:
        if len(data) % HASH_SIZE:
            raise ValueError("frontier length is not a multiple of 32")
        return cls(size, [data[i:i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)])

    def to_bytes(self) -> bytes:
        return b"".join(self.roots)

    def append(self, leaf: bytes) -> None:
        node, size, level = leaf, self.size, 0
        while size & 1:  # merge equal-sized perfect subtrees, smallest first
            node = HASHER.hash_pair(self.roots.pop(), node)
            size >>= 1
            level += 1
            if level >= NODE_LEVEL:
                self.completed.append((level, self.size >> level, node))
        self.roots.append(node)
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        if not self.roots:
            return EMPTY_ROOT
        return HASHER.hash_fold(self.roots[::-1])

    def copy(self) -> Frontier:
        return Frontier(self.size, self.roots)


LeafReader = Callable[[int, int], Sequence[bytes]]
NodeReader = Callable[[int, int], bytes | None]


class StoredTree(BaseMerkleTree):
    """A read-only pymerkle tree over ``size`` stored leaf hashes.

    ``read(offset, width)`` returns the leaf hashes at positions ``offset ..
    offset + width - 1`` (0-based) in order. ``node(level, position)``, if given, returns a
    stored perfect-subtree root (see :class:`Frontier`) or ``None``; the tree then hashes
    leaves only where no stored node covers them.
    """

    def __init__(self, size: int, read: LeafReader, node: NodeReader | None = None) -> None:
        self._size = size
        self._read = read
        self._node = node
        super().__init__("sha256", threshold=128)

    def _get_subroot(self, offset: int, width: int) -> bytes:
        level = width.bit_length() - 1
        if self._node is not None and level >= NODE_LEVEL and offset % width == 0:
            stored = self._node(level, offset >> level)
            if stored is not None:
                return stored
            if level > NODE_LEVEL:  # its halves may be stored
                half = width >> 1
                return HASHER.hash_pair(self._get_subroot(offset, half), self._get_subroot(offset + half, half))
        return super()._get_subroot(offset, width)

    def _encode_entry(self, data: Any) -> bytes:
        raise NotImplementedError("entries are appended by certreg.logbook.ledger, not through this tree")

    def _store_leaf(self, data: Any, digest: bytes) -> int:
        raise NotImplementedError("entries are appended by certreg.logbook.ledger, not through this tree")

    def _get_leaf(self, index: int) -> bytes:
        return self._read(index - 1, 1)[0]

    def _get_leaves(self, offset: int, width: int) -> Sequence[bytes]:
        leaves = self._read(offset, width)
        if len(leaves) != width:
            raise ValueError(f"storage returned {len(leaves)} leaves for {width} at {offset}")
        return leaves

    def _get_size(self) -> int:
        return self._size


def inclusion_path(tree: StoredTree, leaf_index: int, tree_size: int) -> list[bytes]:
    """RFC 9162 inclusion path (sibling subtree hashes, bottom-up) of leaf ``leaf_index`` (0-based)."""
    proof = tree.prove_inclusion(leaf_index + 1, tree_size)
    return list(proof.path[1:])


def verify_inclusion(leaf: bytes, leaf_index: int, tree_size: int, path: Sequence[bytes], root: bytes) -> bool:
    """Check an RFC 9162 inclusion path with pymerkle's verifier."""
    if not 0 <= leaf_index < tree_size:
        return False
    rule, _ranges = _inclusion_path_layout(leaf_index + 1, tree_size)
    proof = InclusionProof("sha256", True, tree_size, leaf_index + 1, rule, [leaf, *path])
    try:
        proof.verify(leaf, root, index=leaf_index + 1, size=tree_size, algorithm="sha256")
    except InvalidProof:
        return False
    return True
