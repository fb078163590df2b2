"""The run's configuration: every field validated by the same pydantic models as the checkpoint.

The form builds a change dict by JSON name and calls `apply_changes`; each of
`ParamsError.problems` is shown next to its field, and a cross-field problem (min above max) next
to every field it names. Dismisses with a `ConfigResult`, or None on escape (back).

Sizes that fit the market (`ama_tui.tui.size_advice`): given a way to read the market's price and
the wallets' collateral (`read_facts`, run once in a worker thread), the form fills in notional
sizes (`sizeMinUsd`/`sizeMaxUsd`) whose full book fits the wallets' cap — when `propose` is set and
the fields are still empty (else it only says what it would propose) — and, as the user types,
says the caps and warns (without blocking) when a wallet's cap cannot hold one order of the
minimum size.

A run over several markets (`markets`): the form also asks each market's weight in the wallets'
budget (default equal) and shows the split (`market_weights`); `maxWalletUtilization` is then
each wallet's total over the markets. Every other value is given to every market; each market's
own are changed later on its tab (the live parameters edit that market alone), so the form
stays one column of fields, not a grid of markets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from decimal import Decimal, InvalidOperation
from typing import ClassVar, Final

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.live_params import PACKER_PARAM_NAMES, RUN_PARAM_NAMES, ParamsError, apply_changes
from ama_tui.strategies import DEFAULT_STRATEGY
from ama_tui.tui.messages import MarketFactsRead
from ama_tui.tui.screens.market_weights import (
    Split,
    initial_weights,
    smallest_share,
    split_text,
    weight_field,
    weight_problems,
)
from ama_tui.tui.size_advice import (
    MarketFacts,
    decimal_text,
    facts_text,
    min_order_shortfall,
    problems_text,
    proposal_text,
    propose_sizes,
    shortfall_text,
)
from ama_tui.tui.strategy_choice import display_name, param_fields, params_model, strategy_options, summary

WALLETS: Final = "wallets"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    """The checkpoint's JSON name (or WALLETS)."""
    label: str
    integer: bool


FIELDS: Final[tuple[Field, ...]] = (
    Field("minDelayMs", "Min delay between cycles (ms)", True),
    Field("maxDelayMs", "Max delay between cycles (ms)", True),
    Field("sizeMinUsd", "Order size min (USDC notional)", False),
    Field("sizeMaxUsd", "Order size max (USDC notional)", False),
    Field("sizeMin", "Order size min (base, if no USDC)", False),
    Field("sizeMax", "Order size max (base, if no USDC)", False),
    Field("ordersPerSidePerWallet", "Orders per side per wallet", True),
    Field("maxWalletUtilization", "Max wallet utilization (0.02–0.9)", False),
    Field("minDistanceTicks", "Min distance from the top (ticks)", True),
    Field("maxDistanceTicks", "Max distance from the top (ticks)", True),
    Field("referencePrice", "Reference price (fresh market only)", False),
    Field("maxFailedCycles", "Kill switch: failed cycles in a row", True),
    Field("maxWalletLossFraction", "Kill switch: wallet loss fraction", False),
    Field(WALLETS, "Wallets", True),
)
FIELD_NAMES: Final = tuple(field.name for field in FIELDS)
MARKETS_NOTE: Final = (
    "These values apply to every market; once the run is up, e on a market's tab changes that market's alone."
)
"""Under the budget split of a run over several markets."""
USD_SIZES: Final = ("sizeMinUsd", "sizeMaxUsd")
ADVICE_FIELDS: Final = (*USD_SIZES, "sizeMin", "sizeMax", "ordersPerSidePerWallet", "maxWalletUtilization")
"""What the size advice depends on (besides the number of wallets)."""


@dataclass(frozen=True, slots=True)
class ConfigResult:
    config: RunConfig
    packer: PackerParams
    wallets: int
    strategy: str = DEFAULT_STRATEGY
    """A built-in's or an example's name, or a strategy file's path."""
    strategy_params: Mapping[str, str] = dc_field(default_factory=dict)
    """The strategy's own parameters as typed (JSON names; empty ones left out: their defaults)."""
    weights: Mapping[str, Decimal] = dc_field(default_factory=dict)
    """A run over several markets: each market's weight in the wallets' budget, by symbol."""


def strategy_problems(name: str, values: Mapping[str, str]) -> dict[str, str]:
    """Per strategy field, what is wrong with the values as typed (none: empty)."""
    model = params_model(name)
    given = {key: value.strip() for key, value in values.items() if value.strip()}
    if model is None or not given:
        return {}
    try:
        model.model_validate(given)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            where = str(error["loc"][0]) if error["loc"] else ""
            problems[where] = plain_problem(error["msg"])
        return problems
    return {}


def plain_problem(message: str) -> str:
    """A validator's message in plain words."""
    message = message.removeprefix("Value error, ")
    for raw, plain in (
        ("Input should be a valid integer, unable to parse string as an integer", "a whole number"),
        ("Input should be a valid integer", "a whole number"),
        ("Input should be a valid decimal", "a number"),
        ("Input should be greater than or equal to", "at least"),
        ("Input should be less than or equal to", "at most"),
        ("Input should be greater than", "more than"),
        ("Input should be less than", "less than"),
        ("Input should be", "one of"),
    ):
        if message.startswith(raw):
            return plain + message[len(raw) :]
    return message


def initial_values(config: RunConfig, packer: PackerParams, wallets: int) -> dict[str, str]:
    """The form's text per JSON name (decimals as written, never float noise; unset: empty)."""
    dumped = {**config.model_dump(by_alias=True), **packer.model_dump(by_alias=True)}
    values = {
        name: "" if dumped[name] is None else str(dumped[name]) for name in FIELD_NAMES if name != WALLETS
    }
    values[WALLETS] = str(wallets)
    return values


def field_problems(
    values: dict[str, str], config: RunConfig, packer: PackerParams, max_wallets: int
) -> tuple[dict[str, str], ConfigResult | None]:
    """Per field name, what is wrong (empty when nothing); the result when everything is valid."""
    changes = {name: value.strip() for name, value in values.items() if name != WALLETS}
    problems: dict[str, str] = {}
    result_config, result_packer = config, packer
    try:
        result_config, result_packer = apply_changes(config, packer, changes)
    except ParamsError as exc:
        for where, raw in exc.problems.items():
            message = form_message(raw)
            for name in _fields_of(where, raw):
                problems[name] = f"{problems[name]}; {message}" if name in problems else message
    for low, high, strict in ORDERED_PAIRS:  # said at once, not only once every field is valid
        if low in problems or high in problems:
            continue
        below, above = _number(changes.get(low, "")), _number(changes.get(high, ""))
        if below is not None and above is not None and (below >= above if strict else below > above):
            words = "must be below" if strict else "must not exceed"
            problems[low] = problems[high] = f"{PLAIN_NAMES[low]} {words} {PLAIN_NAMES[high]}"
    wallets_text = values.get(WALLETS, "").strip()
    wallets = 0
    try:
        wallets = int(wallets_text)
    except ValueError:
        problems[WALLETS] = "a whole number of wallets"
    else:
        if not 1 <= wallets <= max_wallets:
            problems[WALLETS] = f"between 1 and {max_wallets}"
    if problems:
        return problems, None
    return {}, ConfigResult(result_config, result_packer, wallets)


PLAIN_NAMES: Final = {
    "minDelayMs": "the min delay",
    "maxDelayMs": "the max delay",
    "sizeMinUsd": "the min USDC size",
    "sizeMaxUsd": "the max USDC size",
    "sizeMin": "the min size",
    "sizeMax": "the max size",
    "ordersPerSidePerWallet": "the orders per side",
    "maxWalletUtilization": "the utilization",
    "minDistanceTicks": "the min distance",
    "maxDistanceTicks": "the max distance",
    "referencePrice": "the reference price",
    "maxFailedCycles": "the failed cycles",
    "maxWalletLossFraction": "the loss fraction",
}
"""How the form's messages name a field (the checkpoint's names are for `--set`)."""
ORDERED_PAIRS: Final = (
    ("minDelayMs", "maxDelayMs", False),
    ("sizeMinUsd", "sizeMaxUsd", False),
    ("sizeMin", "sizeMax", False),
    ("minDistanceTicks", "maxDistanceTicks", True),
)
"""(low, high, strictly below): pairs whose order the form checks even while other fields are wrong."""


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def form_message(message: str) -> str:
    """A validator's message in the form's words: plain phrases, fields by their plain names."""
    message = plain_problem(message)
    if message.startswith("not a number"):
        return "not a number"
    for name in sorted(PLAIN_NAMES, key=len, reverse=True):
        message = re.sub(rf"\b{name}\b", PLAIN_NAMES[name], message)
    return message


def _fields_of(where: str, message: str) -> list[str]:
    """The form fields a problem belongs to: the field itself, or for a cross-field problem
    (reported under several names) the fields its message names (else all of them)."""
    known = [*RUN_PARAM_NAMES, *PACKER_PARAM_NAMES]
    if where in known:
        return [where] if where in FIELD_NAMES else []
    candidates = [name for name in where.split(",") if name in FIELD_NAMES] or list(FIELD_NAMES[:-1])
    # whole names only: `sizeMin` is not named by a message about `sizeMinUsd`
    named = [name for name in candidates if re.search(rf"\b{name}\b", message)]
    return named or candidates


def wallet_count(values: dict[str, str], max_wallets: int) -> int | None:
    """The form's number of wallets when it is valid."""
    try:
        count = int(values.get(WALLETS, "").strip())
    except ValueError:
        return None
    return count if 1 <= count <= max_wallets else None


def size_advice(
    facts: MarketFacts | None,
    values: dict[str, str],
    config: RunConfig,
    packer: PackerParams,
    max_wallets: int,
) -> str:
    """The warning line for the form's current values: empty when every wallet's cap holds one
    order of the minimum size, or when nothing can be said (no facts, invalid sizes)."""
    if facts is None or not facts.complete:
        return ""
    try:
        config, packer = apply_changes(config, packer, {name: values[name].strip() for name in ADVICE_FIELDS})
    except ParamsError:
        return ""
    shortfall = min_order_shortfall(facts, config, packer, wallet_count(values, max_wallets))
    return "" if shortfall is None else shortfall_text(shortfall, facts)


class ConfigScreen(Screen[ConfigResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "start", "Start", priority=True, tooltip="start the run"),
        Binding("escape", "back", "Back", tooltip="back to the markets"),
    ]
    HELP_EXTRA: ClassVar[tuple[tuple[str, str], ...]] = (
        ("tab  shift+tab", "next / previous field"),
        ("enter", "start the run, once every field is valid"),
    )
    """What the help says besides the bindings."""

    def __init__(
        self,
        *,
        title: str,
        config: RunConfig,
        packer: PackerParams,
        wallets: int,
        max_wallets: int,
        cursor_blink: bool = True,
        read_facts: Callable[[], MarketFacts] | None = None,
        propose: bool = True,
        strategy: str = DEFAULT_STRATEGY,
        strategy_params: Mapping[str, object] | None = None,
        strategy_locked: bool = False,
        markets: Sequence[str] = (),
        weights: Mapping[str, Decimal] | None = None,
        split: Split | None = None,
    ) -> None:
        """`read_facts` reads the market and the wallets (in a worker thread; venue errors are
        noted in its result); `propose`: fill in notional sizes (when the run has none)."""
        super().__init__()
        self.form_title = title
        self.base_config = config
        self.base_packer = packer
        self.max_wallets = max_wallets
        self.values = initial_values(config, packer, wallets)
        self.problems: dict[str, str] = {}
        self._shown: dict[str, str] = {}
        self.cursor_blink = cursor_blink
        self.read_facts = read_facts
        self.propose = propose and not config.sizes_in_usd
        self.facts: MarketFacts | None = None
        self.facts_read = read_facts is None
        """True once the facts are in (or there is nothing to read)."""
        self.advice = ""
        """The lines about the market, the caps and the proposal."""
        self._proposal = ""
        self.warning = ""
        """The line saying a wallet's cap cannot hold one order of the minimum size."""
        self.strategy = strategy or DEFAULT_STRATEGY
        self.strategy_locked = strategy_locked
        """A resumed run keeps its strategy: shown, not chosen."""
        self.strategy_values: dict[str, str] = {
            key: "" if value is None else str(value) for key, value in (strategy_params or {}).items()
        }
        self.strategy_problems: dict[str, str] = {}
        self.markets = tuple(markets)
        """A run over several markets: their symbols (the form asks each one's weight)."""
        self.weight_values = initial_weights(self.markets, weights or {})
        self.weight_problems: dict[str, str] = {}
        self.split = split
        self.split_line = ""
        self.split_holds = True
        self.shares: Mapping[str, int] | None = None
        """Each market's share of the budget (basis points) while the split holds."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(self.form_title), id="config-title")
        yield Static("", id="config-advice")
        yield Static("", id="config-warning")
        if self.markets:
            yield Static("", id="config-split")
            yield Static(Content(MARKETS_NOTE), id="config-markets-note")
        with VerticalScroll(id="config-fields"):
            for index, symbol in enumerate(self.markets):
                name = weight_field(index)
                with Horizontal(classes="config-row"):
                    yield Label(Content(f"Weight of {symbol} in the budget"), classes="config-label")
                    yield Input(
                        self.weight_values[name],
                        id=f"field-{name}",
                        compact=True,
                        select_on_focus=False,
                        classes="config-input weight-input",
                    )
                    yield Label("", id=f"error-{name}", classes="config-error")
            for field in FIELDS:
                with Horizontal(classes="config-row"):
                    yield Label(Content(field.label), classes="config-label")
                    yield Input(
                        self.values[field.name],
                        id=f"field-{field.name}",
                        compact=True,
                        select_on_focus=False,
                        classes="config-input",
                    )
                    yield Label("", id=f"error-{field.name}", classes="config-error")
            with Horizontal(classes="config-row"):
                yield Label("Strategy", classes="config-label")
                if self.strategy_locked:
                    yield Label(
                        Content(f"{display_name(self.strategy)} (the resumed run's)"), id="strategy-locked"
                    )
                else:
                    options = strategy_options()
                    if self.strategy not in {name for _, name in options}:
                        options.append((display_name(self.strategy), self.strategy))
                    yield Select(
                        [(label, name) for label, name in options],
                        value=self.strategy,
                        allow_blank=False,
                        compact=True,
                        id="strategy-select",
                    )
            yield Vertical(*self._strategy_rows(), id="strategy-fields")
        with Horizontal(id="config-buttons", classes="dialog-buttons"):
            yield Button("Start (ctrl+s)", id="start", variant="success")
            yield Button("Back (esc)", id="back")
        yield Footer()

    def _strategy_rows(self) -> list[Horizontal]:
        """A row per parameter of the chosen strategy, from its parameter model."""
        fields = param_fields(params_model(self.strategy))
        about = summary(self.strategy) + ("" if fields else "; no parameters of its own")
        rows = [Horizontal(Static(Content(about), classes="config-about"), classes="config-row")]
        for spec in fields:
            value = self.strategy_values.get(spec.name, "")
            editor: Input | Select[str]
            if spec.choices:
                editor = Select(
                    [(choice, choice) for choice in spec.choices],
                    value=value or spec.default,
                    allow_blank=False,
                    compact=True,
                    id=f"sfield-{spec.name}",
                    classes="strategy-choice",
                )
            else:
                editor = Input(
                    value,
                    placeholder=spec.default,
                    id=f"sfield-{spec.name}",
                    compact=True,
                    select_on_focus=False,
                    classes="config-input strategy-input",
                )
                editor.tooltip = spec.help
            rows.append(
                Horizontal(
                    Label(Content(spec.label), classes="config-label"),
                    editor,
                    Label(Content(spec.help), id=f"serror-{spec.name}", classes="config-help"),
                    classes="config-row",
                )
            )
        return rows

    @on(Select.Changed, "#strategy-select")
    async def _strategy_chosen(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str) or event.value == self.strategy:
            return
        self.strategy = event.value
        self.strategy_values = {}
        self.strategy_problems = {}
        box = self.query_one("#strategy-fields", Vertical)
        await box.remove_children()
        await box.mount_all(self._strategy_rows())
        self._validate()

    @on(Input.Changed, ".strategy-input")
    def _strategy_typed(self, event: Input.Changed) -> None:
        event.stop()
        self.strategy_values[(event.input.id or "").removeprefix("sfield-")] = event.value
        self._validate()

    @on(Select.Changed, ".strategy-choice")
    def _strategy_option(self, event: Select.Changed) -> None:
        event.stop()
        self.strategy_values[(event.select.id or "").removeprefix("sfield-")] = str(event.value)
        self._validate()

    def _show_strategy_problems(self) -> None:
        problems = strategy_problems(self.strategy, self.strategy_values)
        if problems == self.strategy_problems:
            return
        for spec in param_fields(params_model(self.strategy)):
            problem = problems.get(spec.name, "")
            for label in self.query(f"#serror-{spec.name}").results(Label):
                label.update(Content(problem or spec.help))
                label.set_class(bool(problem), "-problem")
            for editor in self.query(f"#sfield-{spec.name}").results(Input):
                editor.set_class(bool(problem), "-problem")
        self.strategy_problems = problems

    def on_mount(self) -> None:
        for field_input in self.query(Input):
            field_input.cursor_blink = self.cursor_blink
        self.query_one(f"#field-{FIELDS[0].name}", Input).focus()
        self._validate()
        if self.read_facts is not None:
            self._show_advice(f"Reading {self._symbol()}'s price and the wallets' collateral…")
            self._read_facts(self.read_facts)

    def _symbol(self) -> str:
        return self.form_title.split(" · ", 1)[0]

    @work(thread=True, exclusive=True, group="market-facts", exit_on_error=False)
    def _read_facts(self, read: Callable[[], MarketFacts]) -> None:
        """Venue reads, off the UI thread; only posts the result."""
        try:
            facts = read()
        except Exception as exc:  # a reader that fails is a line on the form, not a crash
            facts = MarketFacts(self._symbol(), 0, problems=(f"the market ({type(exc).__name__}: {exc})",))
        self.post_message(MarketFactsRead(facts))

    def on_market_facts_read(self, message: MarketFactsRead) -> None:
        facts = self.facts = message.facts
        self.facts_read = True
        if facts.complete:
            packer = self._sizing_packer()
            proposal = propose_sizes(facts, packer, wallet_count(self.values, self.max_wallets))
            untouched = not any(self.values[name].strip() for name in USD_SIZES)
            applied = self.propose and untouched and proposal is not None
            if proposal is None:
                self._proposal = "No size proposal: no wallet has the collateral for a full book of orders."
            else:
                self._proposal = proposal_text(proposal, packer, applied=applied)
            if applied and proposal is not None:
                for name, value in zip(USD_SIZES, (proposal.min_usd, proposal.max_usd), strict=True):
                    self.values[name] = decimal_text(value)
                    self.query_one(f"#field-{name}", Input).value = self.values[name]
        self._validate()

    def _current_packer(self) -> PackerParams:
        """The packer parameters as typed, or the run's when they are not valid."""
        try:
            _, packer = apply_changes(
                self.base_config,
                self.base_packer,
                {name: self.values[name].strip() for name in FIELD_NAMES if name in PACKER_PARAM_NAMES},
            )
        except ParamsError:
            return self.base_packer
        return packer

    def _sizing_values(self) -> dict[str, str]:
        """The values the size advice reads: over several markets, the utilization is the
        smallest market's share (sizes proposed for it fit every market's cap)."""
        share = smallest_share(self.shares) if self.markets else None
        return self.values if share is None else {**self.values, "maxWalletUtilization": str(share)}

    def _sizing_packer(self) -> PackerParams:
        share = smallest_share(self.shares) if self.markets else None
        packer = self._current_packer()
        return packer if share is None else packer.model_copy(update={"max_wallet_utilization": share})

    def _show_advice(self, text: str) -> None:
        if text != self.advice:
            self.advice = text
            self.query_one("#config-advice", Static).update(Content(text))

    def _advice_text(self) -> str:
        """The market and the caps for the values as typed, then the proposal made when the facts
        came in (or why there is none)."""
        facts = self.facts
        if facts is None:
            return self.advice
        if not facts.complete:
            return problems_text(facts)
        count = wallet_count(self.values, self.max_wallets)
        text = f"{facts_text(facts, self._sizing_packer(), count)}\n{self._proposal}"
        share = smallest_share(self.shares) if self.markets else None
        if share is not None:
            text = f"Sizes for every market, at the smallest share ({share} of a wallet):\n{text}"
        return text

    @on(Input.Changed, ".config-input")
    def _changed(self, event: Input.Changed) -> None:
        if event.input.has_class("strategy-input"):
            return
        if event.input.has_class("weight-input"):
            self.weight_values[(event.input.id or "").removeprefix("field-")] = event.value
            self._validate()
            return
        name = (event.input.id or "").removeprefix("field-")
        self.values[name] = event.value
        self._validate()

    @on(Input.Submitted, ".config-input")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter starts the run once every field is valid; until then it moves to the next field."""
        event.stop()
        if not self.problems and not self.strategy_problems and not self.weight_problems:
            self.action_start()
        else:
            self.focus_next()

    def _validate(self) -> ConfigResult | None:
        problems, result = field_problems(self.values, self.base_config, self.base_packer, self.max_wallets)
        with self.app.batch_update():
            for field in FIELDS:
                problem = problems.get(field.name, "")
                if problem == self._shown.get(field.name, ""):
                    continue
                self.query_one(f"#error-{field.name}", Label).update(Content(problem))
                self.query_one(f"#field-{field.name}", Input).set_class(bool(problem), "-problem")
            self._show_strategy_problems()
            weights = self._show_weights()
            self.query_one("#start", Button).disabled = (
                result is None or bool(self.strategy_problems) or weights is None
            )
            warning = size_advice(
                self.facts, self._sizing_values(), self.base_config, self.base_packer, self.max_wallets
            )
            if warning != self.warning:
                self.warning = warning
                box = self.query_one("#config-warning", Static)
                box.update(Content(warning))
                box.set_class(bool(warning), "-shown")
            self._show_advice(self._advice_text())
        self.problems = self._shown = problems
        return result

    def _show_weights(self) -> dict[str, Decimal] | None:
        """The weights' problems next to them and the budget split under the title; the weights
        when they are valid and the split holds (always {} for one market)."""
        if not self.markets:
            return {}
        problems, weights = weight_problems(self.markets, self.weight_values)
        for index in range(len(self.markets)):
            name = weight_field(index)
            problem = problems.get(name, "")
            if problem != self.weight_problems.get(name, ""):
                self.query_one(f"#error-{name}", Label).update(Content(problem))
                self.query_one(f"#field-{name}", Input).set_class(bool(problem), "-problem")
        self.weight_problems = problems
        line, holds = "", True
        if self.split is not None:
            line, self.shares = split_text(self.split, self.values.get("maxWalletUtilization", ""), weights)
            holds = self.shares is not None
        if line != self.split_line:
            self.split_line = line
            box = self.query_one("#config-split", Static)
            box.update(Content(line))
            box.set_class(not holds, "-problem")
        self.split_holds = holds
        return weights if holds else None

    def action_start(self) -> None:
        result = self._validate()
        if self.weight_problems:
            self.query_one(f"#field-{next(iter(self.weight_problems))}", Input).focus()
            self.notify("Fix the marked weights first.", severity="warning")
            return
        if not self.split_holds:
            self.notify(self.split_line, severity="warning")
            return
        if result is None:
            first = next(field.name for field in FIELDS if field.name in self.problems)
            self.query_one(f"#field-{first}", Input).focus()
            self.notify("Fix the marked fields first.", severity="warning")
            return
        if self.strategy_problems:
            first = next(iter(self.strategy_problems))
            for editor in self.query(f"#sfield-{first}"):
                editor.focus()
            self.notify("Fix the strategy's marked fields first.", severity="warning")
            return
        given = {key: value.strip() for key, value in self.strategy_values.items() if value.strip()}
        _, weights = weight_problems(self.markets, self.weight_values)
        self.dismiss(replace(result, strategy=self.strategy, strategy_params=given, weights=weights or {}))

    def action_back(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "start":
            self.action_start()
        else:
            self.action_back()
