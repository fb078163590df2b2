"""The sim's session registry: EIP-712 permits in, sessions out, and the per-trade charge.

It checks what the on-chain registry checks, in this order, and fails with the relay's codes:
createSession — the signature recovers to `permit.trader` (`bad_sig`), the relayer set root is the
sim's (`session_bad_relayer`), `nonce == metaNonce(trader)` (`bad_nonce`), `expiry > now` (`expired`);
each trade — the session exists (`session_unknown`), belongs to the trader named in the request
(`session_bad_trader`, with `expected` and `got`), has not expired (`session_expired`), allows the
method (`session_method_denied`) and fits the notional caps (`session_trade_cap`,
`session_session_cap`); a cap of 0 is unlimited. Like production's registry (reference §7) it does
not enforce `allowedMarkets`: the field is signed, and kept, but never checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ama_tui.protocol.errors import ErrorCode
from ama_tui.protocol.methods import ALL_METHODS, MethodBit
from ama_tui.protocol.permits import SessionPermit, recover_permit_signer
from ama_tui.venues.base import SessionDomain, TradeRejected
from ama_tui.venues.sim.plain import as_int, as_list, as_str


@dataclass(slots=True)
class Session:
    session_id: str
    trader: str
    expiry: int
    methods: MethodBit
    allowed_markets: frozenset[str]
    max_notional_per_trade: int
    max_notional_per_session: int
    used_notional6: int = 0


class SessionRegistry:
    """Not thread-safe: the venue holds its lock."""

    __slots__ = ("_domain", "_nonces", "_root", "_sessions")

    def __init__(self, domain: SessionDomain, relayer_root: str) -> None:
        self._domain = domain
        self._root = relayer_root.lower()
        self._nonces: dict[str, int] = {}
        self._sessions: dict[str, Session] = {}

    def nonce(self, trader: str) -> int:
        return self._nonces.get(trader, 0)

    def check_permit(self, permit: SessionPermit, signature: str, now_s: int) -> None:
        """Raise `TradeRejected` unless the registry would accept this permit now; changes nothing."""
        try:
            signer = recover_permit_signer(self._domain.chain_id, self._domain.registry, permit, signature)
        except (ValueError, TypeError):
            raise TradeRejected(ErrorCode.BAD_SIG, "the signature is malformed") from None
        if signer != permit.trader:
            raise TradeRejected(ErrorCode.BAD_SIG, "the permit was not signed by its trader")
        if permit.relayer_set_root.lower() != self._root:
            raise TradeRejected(ErrorCode.SESSION_BAD_RELAYER, "the permit names another relayer set")
        expected = self.nonce(permit.trader)
        if permit.nonce != expected:
            raise TradeRejected(
                ErrorCode.BAD_NONCE,
                f"permit nonce {permit.nonce}, registry expects {expected}",
                {"expected": expected, "got": permit.nonce},
            )
        if permit.expiry <= now_s:
            raise TradeRejected(
                ErrorCode.EXPIRED,
                f"permit expired at {permit.expiry} (now {now_s})",
                {"expiry": permit.expiry, "now": now_s},
            )

    def create(self, permit: SessionPermit) -> Session:
        """Open the session of a permit `check_permit` accepted, and bump the trader's nonce."""
        session = Session(
            session_id=permit.session_id.lower(),
            trader=permit.trader,
            expiry=permit.expiry,
            methods=MethodBit(int(permit.methods_bitmap, 16) & int(ALL_METHODS)),
            allowed_markets=frozenset(market.lower() for market in permit.allowed_markets),
            max_notional_per_trade=permit.max_notional_per_trade,
            max_notional_per_session=permit.max_notional_per_session,
        )
        self._sessions[session.session_id] = session
        self._nonces[permit.trader] = self.nonce(permit.trader) + 1
        return session

    def authorize(
        self,
        session_id: object,
        trader: str,
        method: MethodBit,
        notional6: int,
        now_s: int,
    ) -> Session:
        """The session, if it may run this trade now; raises `TradeRejected` otherwise. Charges nothing."""
        session = self._sessions.get(session_id.strip().lower()) if isinstance(session_id, str) else None
        if session is None:
            raise TradeRejected(ErrorCode.SESSION_UNKNOWN, "no such session")
        if session.trader != trader:
            raise TradeRejected(
                ErrorCode.SESSION_BAD_TRADER,
                "the session belongs to another trader",
                {"expected": session.trader, "got": trader},
            )
        if now_s >= session.expiry:
            raise TradeRejected(
                ErrorCode.SESSION_EXPIRED,
                f"session expired at {session.expiry} (now {now_s})",
                {"expiry": session.expiry, "now": now_s},
            )
        if method not in session.methods:
            raise TradeRejected(
                ErrorCode.SESSION_METHOD_DENIED,
                f"the session does not allow {method.name}",
                {"reason": "method", "method": method.name},
            )
        cap = session.max_notional_per_trade
        if cap and notional6 > cap:
            raise TradeRejected(
                ErrorCode.SESSION_TRADE_CAP,
                f"trade notional {notional6} exceeds the per-trade cap {cap}",
                {"notional6": notional6, "cap6": cap},
            )
        cap = session.max_notional_per_session
        if cap and session.used_notional6 + notional6 > cap:
            raise TradeRejected(
                ErrorCode.SESSION_SESSION_CAP,
                f"session notional would reach {session.used_notional6 + notional6}, cap {cap}",
                {"notional6": notional6, "used6": session.used_notional6, "cap6": cap},
            )
        return session

    def is_active(self, session_id: object, now_s: int) -> bool:
        """Does the registry hold this session, unexpired?"""
        session = self._sessions.get(session_id.strip().lower()) if isinstance(session_id, str) else None
        return session is not None and now_s < session.expiry

    def dump(self) -> dict[str, object]:
        """Nonces and sessions in creation order. Session ids are left out: they hash the client's
        random salt, so two identical runs differ only there."""
        return {
            "nonces": dict(sorted(self._nonces.items())),
            "sessions": [
                (s.trader, s.expiry, int(s.methods), sorted(s.allowed_markets), s.used_notional6)
                for s in self._sessions.values()
            ],
        }

    def to_plain(self) -> dict[str, Any]:
        """Nonces and sessions, ids included (for a snapshot: a restored registry must know them)."""
        return {
            "nonces": [[trader, nonce] for trader, nonce in self._nonces.items()],
            "sessions": [
                [
                    s.session_id,
                    s.trader,
                    s.expiry,
                    int(s.methods),
                    sorted(s.allowed_markets),
                    s.max_notional_per_trade,
                    s.max_notional_per_session,
                    s.used_notional6,
                ]
                for s in self._sessions.values()
            ],
        }

    @classmethod
    def from_plain(cls, domain: SessionDomain, relayer_root: str, data: dict[str, Any]) -> SessionRegistry:
        registry = cls(domain, relayer_root)
        for trader, nonce in as_list(data["nonces"]):
            registry._nonces[as_str(trader)] = as_int(nonce, minimum=0)
        for row in as_list(data["sessions"]):
            session_id, trader, expiry, methods, markets, per_trade, per_session, used = as_list(row)
            session = Session(
                session_id=as_str(session_id),
                trader=as_str(trader),
                expiry=as_int(expiry),
                methods=MethodBit(as_int(methods, minimum=0) & int(ALL_METHODS)),
                allowed_markets=frozenset(as_str(market) for market in as_list(markets)),
                max_notional_per_trade=as_int(per_trade, minimum=0),
                max_notional_per_session=as_int(per_session, minimum=0),
                used_notional6=as_int(used, minimum=0),
            )
            if session.session_id in registry._sessions:
                raise ValueError(f"session {session.session_id} is listed twice")
            registry._sessions[session.session_id] = session
        return registry
