"""The ledger: a validated record set -> what commits to it: canonical JSON, the RFC 9162 Merkle tree, the
manifest and its root, the editions of a set, and inclusion proofs. Pure: no file is read or written here, so
any other verifier (a browser's) can be held to it. Imports records' types and the shared vocabulary only.
"""
