"""`enter` on the wallets panel: why each wallet is not placing what it wants, and its last error, in
full — the table's Status column only has room for a few words. Also spells out the two limits
behind most skips, with the snapshot's own numbers: the safety floor and each wallet's cap.

A picture of one snapshot (it does not follow the engine): close and open it again to refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ama_tui.engine.snapshot import EngineSnapshot, WalletView
from ama_tui.tui.widgets.text import ago_text, code_label, price_text, usdc_text, utc_clock

EVERYTHING_PLACED: Final = "Every wallet places what it wants, and none has an error."


@dataclass(frozen=True, slots=True)
class StatusLine:
    label: str
    """`skip` or `error`."""
    text: str
    style: str


@dataclass(frozen=True, slots=True)
class WalletStatus:
    nickname: str
    summary: str
    """Orders, cap arithmetic and utilization on one line."""
    lines: tuple[StatusLine, ...]


def cap_text(wallet: WalletView, utilization: str) -> str:
    """`cap 2,000.00 = 0.20 × (9,000.00 free + 1,000.00 held by our orders)`."""
    return (
        f"cap {usdc_text(wallet.cap6)} = {utilization} × ({usdc_text(wallet.available6)} free"
        f" + {usdc_text(wallet.reserved6)} held by our orders)"
    )


def wallet_status(wallet: WalletView, utilization: str) -> WalletStatus:
    lines = []
    if wallet.skip_reason:
        lines.append(StatusLine("skip", " ".join(wallet.skip_reason.split()), "yellow"))
    if wallet.last_error:
        when = f" ({ago_text(wallet.last_error_age_s)})" if wallet.last_error_age_s is not None else ""
        lines.append(StatusLine("error", " ".join(wallet.last_error.split()) + when, "red"))
    summary = (
        f"B/S {wallet.open_buys}/{wallet.open_sells} · {cap_text(wallet, utilization)}"
        f" · util {wallet.utilization_bps // 100}%"
        if wallet.balances_known
        else f"B/S {wallet.open_buys}/{wallet.open_sells} · collateral not read yet"
    )
    return WalletStatus(wallet.nickname, summary, tuple(lines))


def floor_sentence(snapshot: EngineSnapshot) -> str:
    """The safety floor with what it is made of (σ, latency, safetySigmas)."""
    tick6 = snapshot.market.tick6
    ticks = snapshot.floor_ticks
    distance = f" ({price_text(ticks * tick6, tick6)})" if ticks > 0 and tick6 > 0 else ""
    # two more places than the tick: a calm market's σ is a fraction of a tick
    sigma_places6 = max(1, tick6 // 100)
    sigma = (
        f"σ {price_text(round(snapshot.sigma6), sigma_places6)}/√s"
        if snapshot.sigma6
        else "σ not measured yet"
    )
    return (
        f"Safety floor {ticks:,} ticks{distance}: every order keeps at least safetySigmas "
        f"{snapshot.packer.safety_sigmas} × {sigma} × √(latency {snapshot.latency_s:.2f} s) "
        "from the mid and from the other side's best price."
    )


def cap_sentence(snapshot: EngineSnapshot) -> str:
    return (
        f"Cap = maxWalletUtilization {snapshot.packer.max_wallet_utilization} × (free collateral + "
        "margin held by our open orders); Util = margin held by our open orders / Cap."
    )


def skipped_sentence(snapshot: EngineSnapshot) -> str:
    """Placements skipped since this process started the run, by reason."""
    if not snapshot.skips_by_reason:
        return "No placement skipped since the start."
    counts = sorted(snapshot.skips_by_reason, key=lambda item: (-item[1], item[0]))
    parts = ", ".join(f"{code_label(reason)} {count:,}" for reason, count in counts)
    return f"Skipped since the start: {parts}."


def statuses(snapshot: EngineSnapshot) -> list[WalletStatus]:
    """The wallets that skip something or have an error, in the table's order."""
    utilization = str(snapshot.packer.max_wallet_utilization)
    return [
        wallet_status(wallet, utilization)
        for wallet in snapshot.wallets
        if wallet.skip_reason or wallet.last_error
    ]


class WalletStatusScreen(ModalScreen[None]):
    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "close", "Close")]

    def __init__(self, snapshot: EngineSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def compose(self) -> ComposeResult:
        snapshot = self.snapshot
        with Vertical(id="wallet-status"), VerticalScroll(id="wallet-status-body"):
            yield Static(Content(floor_sentence(snapshot)), classes="wallet-status-fact")
            yield Static(Content(cap_sentence(snapshot)), classes="wallet-status-fact")
            yield Static(Content(skipped_sentence(snapshot)), classes="wallet-status-fact")
            shown = statuses(snapshot)
            if not shown:
                yield Static(EVERYTHING_PLACED, classes="wallet-status-none")
            for status in shown:
                yield Static(
                    Content.assemble((status.nickname, "bold"), "  ", (status.summary, "dim")),
                    classes="wallet-status-name",
                )
                for line in status.lines:
                    with Horizontal(classes="wallet-status-row"):
                        yield Static(Content(line.label), classes="wallet-status-label")
                        yield Static(Content.styled(line.text, line.style), classes="wallet-status-text")

    def on_mount(self) -> None:
        box = self.query_one("#wallet-status")
        box.border_title = f"Wallets: why not placing, last errors — at {utc_clock(self.snapshot.now)}"
        box.border_subtitle = "esc closes · the log keeps them too: / skip, / error"

    def action_close(self) -> None:
        self.dismiss(None)
