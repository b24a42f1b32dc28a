"""RFC 9162 Merkle trees (SHA-256): the tree hash, audit paths and consistency proofs, and their verification.

leaf hash = SHA-256(0x00 || leaf data), node hash = SHA-256(0x01 || left || right); a tree of n leaves splits
at k, the largest power of two below n (RFC 9162, 2.1.1). Verification follows 2.1.3.2 and 2.1.4.2 to the
letter, so a proof that is one hash too long or too short, or names a leaf outside the tree, is refused.
Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, bottom-up: pairs are hashed level by level and an odd last node is carried up,
    which gives the same tree as the recursive definition without recursion."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        paired = [node_hash(level[index], level[index + 1]) for index in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def audit_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The inclusion proof of leaf `index` (RFC 9162, 2.1.3.1), nearest sibling first."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
    path: list[bytes] = []
    low, high = 0, len(leaves)
    while high - low > 1:
        middle = low + _split(high - low)
        if index < middle:
            path.append(tree_hash(leaves[middle:high]))
            high = middle
        else:
            path.append(tree_hash(leaves[low:middle]))
            low = middle
    return path[::-1]


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root an audit path leads to (RFC 9162, 2.1.3.2), or None when the path cannot belong to a leaf
    `index` of a tree of `size`."""
    if not 0 <= index < size or any(len(node) != 32 for node in path) or len(leaf) != 32:
        return None
    fn, sn, result = index, size - 1, leaf
    for node in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(node, result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, node)
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    return root_from_inclusion(index, size, leaf, path) == root


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The proof that the first `old_size` leaves' tree is a prefix of the whole tree (RFC 9162, 2.1.4.1)."""
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"no consistency proof from {old_size} to {len(leaves)} leaves")

    def subproof(m: int, low: int, high: int, complete: bool) -> list[bytes]:
        size = high - low
        if m == size:
            return [] if complete else [tree_hash(leaves[low:high])]
        k = _split(size)
        if m <= k:
            return subproof(m, low, low + k, complete) + [tree_hash(leaves[low + k:high])]
        return subproof(m - k, low + k, high, False) + [tree_hash(leaves[low:low + k])]

    return subproof(old_size, 0, len(leaves), True)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162, 2.1.4.2."""
    if not 0 < old_size <= new_size or any(len(node) != 32 for node in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    nodes = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        nodes.insert(0, old_root)
    if not nodes:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = nodes[0]
    for node in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(node, fr), node_hash(node, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
