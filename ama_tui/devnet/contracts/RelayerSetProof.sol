// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Membership proofs for the relayer set, a Merkle tree over relayer addresses.
/// @dev leaf = keccak256(abi.encodePacked(relayer)); each step hashes the pair in ascending order
/// (commutative), so the verifier needs no left/right flags. The off-chain builder pairs an odd
/// last node with itself, which simply shows up here as a sibling equal to the running hash.
library RelayerSetProof {
    function leaf(address relayer) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(relayer));
    }

    function verify(bytes32[] calldata proof, bytes32 root, address relayer) internal pure returns (bool) {
        bytes32 node = leaf(relayer);
        for (uint256 i = 0; i < proof.length; ++i) {
            node = hashPair(node, proof[i]);
        }
        return node == root;
    }

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a <= b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }
}
