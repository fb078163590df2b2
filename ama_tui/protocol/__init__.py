"""The exchange's wire protocol: EIP-712 permits, session ids, relayer Merkle tree, error codes, ABIs.

Pure (no network); used by every venue.
"""
