// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Owned} from "./Owned.sol";
import {ISessionRegistry} from "./ISessionRegistry.sol";
import {RelayerSetProof} from "./RelayerSetProof.sol";

/// @title Gasless trading sessions opened by an EIP-712 permit.
/// @notice A trader signs a SessionPermit once; relayers in the permit's relayer set then trade for
/// the trader until expiry, within the allowed methods and notional caps. Like production's
/// GlobalSessionRegistry it does not enforce `allowedMarkets`: the field is signed (it is part of
/// the digest) but neither stored nor checked. Every revert reason is the relay API's error code,
/// so the API can pass it through unchanged; a trade's checks run in the order the production
/// route checks them before it sends (unknown, trader, revoked, expired, relayer, method, caps).
contract SessionRegistry is Owned, ISessionRegistry {
    struct SessionPermit {
        address trader;
        bytes32 relayerSetRoot;
        uint256 expiry;
        uint256 maxNotionalPerTrade;
        uint256 maxNotionalPerSession;
        bytes32 methodsBitmap;
        bytes32 sessionSalt;
        bytes32[] allowedMarkets;
        uint256 nonce;
    }

    struct Session {
        address trader;
        bytes32 relayerSetRoot;
        uint256 expiry;
        uint256 maxNotionalPerTrade;
        uint256 maxNotionalPerSession;
        uint256 sessionNotionalUsed;
        bytes32 methodsBitmap;
        bool revoked;
    }

    bytes32 public constant SESSION_PERMIT_TYPEHASH = keccak256(
        "SessionPermit(address trader,bytes32 relayerSetRoot,uint256 expiry,uint256 maxNotionalPerTrade,"
        "uint256 maxNotionalPerSession,bytes32 methodsBitmap,bytes32 sessionSalt,bytes32[] allowedMarkets,"
        "uint256 nonce)"
    );
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("DexetraMeta");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// @dev secp256k1 order / 2: a larger s is the malleable twin of a valid signature.
    uint256 private constant HALF_CURVE_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    mapping(address => uint256) public metaNonce;
    mapping(bytes32 => Session) public sessions;
    mapping(address => bool) public isOrderBook;

    event SessionCreated(bytes32 indexed sessionId, address indexed trader, bytes32 relayerSetRoot, uint256 expiry);
    event SessionCharged(bytes32 indexed sessionId, uint256 notionalUsed, uint256 newSessionTotalUsed, uint8 methodBit);
    event SessionRevoked(bytes32 indexed sessionId, address indexed trader);
    event OrderBookSet(address indexed orderBook, bool allowed);

    function setOrderBook(address orderBook, bool allowed) external onlyOwner {
        isOrderBook[orderBook] = allowed;
        emit OrderBookSet(orderBook, allowed);
    }

    function domainSeparator() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// @notice The EIP-712 digest a trader signs for `permit` on this registry.
    function permitDigest(SessionPermit calldata permit) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                SESSION_PERMIT_TYPEHASH,
                permit.trader,
                permit.relayerSetRoot,
                permit.expiry,
                permit.maxNotionalPerTrade,
                permit.maxNotionalPerSession,
                permit.methodsBitmap,
                permit.sessionSalt,
                keccak256(abi.encodePacked(permit.allowedMarkets)),
                permit.nonce
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    function sessionIdOf(address trader, bytes32 relayerSetRoot, bytes32 sessionSalt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(trader, relayerSetRoot, sessionSalt));
    }

    /// @notice Open a session. Anyone may submit the permit (normally a relayer); the signature
    /// proves the trader agreed. Checks run in the order the production route checks them:
    /// signature, nonce, expiry (a permit expiring this very second is still good). A session id
    /// in use may be opened again once that session is revoked or expired.
    function createSession(SessionPermit calldata permit, bytes calldata signature)
        external
        returns (bytes32 sessionId)
    {
        address signer = _recover(permitDigest(permit), signature);
        require(signer != address(0) && signer == permit.trader, "bad_sig");
        require(permit.nonce == metaNonce[permit.trader], "bad_nonce");
        require(block.timestamp <= permit.expiry, "expired");

        sessionId = sessionIdOf(permit.trader, permit.relayerSetRoot, permit.sessionSalt);
        Session storage existing = sessions[sessionId];
        require(
            existing.trader == address(0) || existing.revoked || block.timestamp > existing.expiry, "session_exists"
        );

        metaNonce[permit.trader] = permit.nonce + 1;
        sessions[sessionId] = Session({
            trader: permit.trader,
            relayerSetRoot: permit.relayerSetRoot,
            expiry: permit.expiry,
            maxNotionalPerTrade: permit.maxNotionalPerTrade,
            maxNotionalPerSession: permit.maxNotionalPerSession,
            sessionNotionalUsed: 0,
            methodsBitmap: permit.methodsBitmap,
            revoked: false
        });
        emit SessionCreated(sessionId, permit.trader, permit.relayerSetRoot, permit.expiry);
    }

    /// @notice End a session early: its trader may, and so may any relayer of its set (with a proof).
    /// Later trades on it revert "session_revoked".
    function revokeSession(bytes32 sessionId, bytes32[] calldata relayerProof) external {
        Session storage session = sessions[sessionId];
        require(session.trader != address(0), "session_unknown");
        require(
            msg.sender == session.trader || isRelayerAllowed(sessionId, msg.sender, relayerProof), "session_not_auth"
        );
        session.revoked = true;
        emit SessionRevoked(sessionId, session.trader);
    }

    function isRelayerAllowed(bytes32 sessionId, address relayer, bytes32[] calldata relayerProof)
        public
        view
        returns (bool)
    {
        Session storage session = sessions[sessionId];
        return session.trader != address(0) && RelayerSetProof.verify(relayerProof, session.relayerSetRoot, relayer);
    }

    /// @notice Authorise one trade and add its notional to the session's running total.
    /// @dev Only registered order books call this, passing the transaction's sender as `relayer`.
    /// An expiry is inclusive: a session is good through the second it names.
    function chargeSession(
        bytes32 sessionId,
        address trader,
        uint8 methodBit,
        uint256 notional6,
        address relayer,
        bytes32[] calldata relayerProof
    ) external {
        require(isOrderBook[msg.sender], "not_order_book");
        Session storage session = sessions[sessionId];
        address owner_ = session.trader;
        require(owner_ != address(0), "session_unknown");
        require(owner_ == trader, "session_bad_trader");
        require(!session.revoked, "session_revoked");
        require(block.timestamp <= session.expiry, "session_expired");
        require(RelayerSetProof.verify(relayerProof, session.relayerSetRoot, relayer), "session_bad_relayer");
        require((uint256(session.methodsBitmap) >> methodBit) & 1 == 1, "session_method_denied");

        uint256 perTrade = session.maxNotionalPerTrade;
        require(perTrade == 0 || notional6 <= perTrade, "session_trade_cap");
        uint256 used = session.sessionNotionalUsed + notional6;
        uint256 perSession = session.maxNotionalPerSession;
        require(perSession == 0 || used <= perSession, "session_session_cap");
        session.sessionNotionalUsed = used;
        emit SessionCharged(sessionId, notional6, used, methodBit);
    }

    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address) {
        if (signature.length != 65) {
            return address(0);
        }
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v < 27) {
            v += 27;
        }
        if ((v != 27 && v != 28) || uint256(s) > HALF_CURVE_ORDER) {
            return address(0);
        }
        return ecrecover(digest, v, r, s);
    }
}
