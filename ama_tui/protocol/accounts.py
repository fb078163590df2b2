"""Addresses derived from keys, and address normalisation."""

from __future__ import annotations

from eth_account import Account
from eth_utils import is_address, to_checksum_address

from ama_tui.core.keys import PrivateKey


class InvalidAddress(ValueError):
    """Not a 20-byte hex address."""


def address_of(key: PrivateKey) -> str:
    """The checksummed address a private key controls."""
    return str(Account.from_key(key.reveal()).address)


def checksum(address: str) -> str:
    """Checksum an address, rejecting anything that is not 20 bytes of hex."""
    if not isinstance(address, str) or not is_address(address.strip()):
        raise InvalidAddress(f"not an address: {address!r}")
    return str(to_checksum_address(address.strip()))
