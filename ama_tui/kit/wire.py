"""The typed messages between the engine and a strategy's process, one JSON object per line.

Parent -> child: init, tick, fill, reply, close. Child -> parent: started, ready, call, log,
done, error. Decoding is strict (exact keys and types, no floats, no NaN, no duplicate keys, a
capped line length) and every failure is a `WireError` naming what was wrong, so the parent can
stop a strategy with a message that says what it sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, NoReturn

from ama_tui.kit.calls import METHODS, CallArgs, Method
from ama_tui.kit.models import Fill, MarketData
from ama_tui.kit.payloads import (
    JSON,
    WireError,
    choice,
    decode_args,
    decode_fill,
    decode_market_data,
    encode_args,
    encode_decimal,
    encode_fill,
    encode_market_data,
    fields,
    integer,
    kind,
    text,
)

MAX_CHILD_LINE: Final = 64 * 1024
"""The longest line a strategy may send (the parent's default limit; the kit never sends more)."""
MAX_PARENT_LINE: Final = 8 * 1024 * 1024
"""The longest line the child reads: the init line carries the strategy's source."""
MAX_LOG_CHARS: Final = 2_000
MAX_ERROR_CHARS: Final = 8_000
MAX_SOURCE_CHARS: Final = 1024 * 1024
MAX_PARAM_DEPTH: Final = 8

# Parent -> child.


@dataclass(frozen=True, slots=True)
class Init:
    """`params` holds JSON values; numbers with a fraction arrive as Decimal."""

    market: str
    params: Mapping[str, object]
    source: str
    filename: str
    wallets: int = 1
    """How many wallets of the fleet the strategy trades (`Trading.wallets`)."""


@dataclass(frozen=True, slots=True)
class Tick:
    id: int
    data: MarketData


@dataclass(frozen=True, slots=True)
class FillEvent:
    id: int
    fill: Fill


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to call `id`: `result` is the method's JSON answer, or `error` when not `ok`."""

    id: int
    ok: bool
    result: JSON = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Close:
    id: int


ParentMessage = Init | Tick | FillEvent | Reply | Close

# Child -> parent.


@dataclass(frozen=True, slots=True)
class Started:
    """Sent once the process is confined (or not, when that was allowed): `pid` is the one to kill."""

    pid: int
    confined: bool


@dataclass(frozen=True, slots=True)
class Ready:
    pass


@dataclass(frozen=True, slots=True)
class Call:
    id: int
    method: Method
    args: CallArgs


@dataclass(frozen=True, slots=True)
class Log:
    message: str


@dataclass(frozen=True, slots=True)
class Done:
    id: int


@dataclass(frozen=True, slots=True)
class Error:
    """The strategy failed: `id` is the tick/fill/close it was handling (None while loading)."""

    id: int | None
    error: str
    exception: str | None = field(default=None)


ChildMessage = Started | Ready | Call | Log | Done | Error


# Encoding.


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def params_json(value: object, depth: int = 0) -> str:
    """Parameters as JSON, numbers with a fraction written exactly (the child reads them as Decimal)."""
    if depth > MAX_PARAM_DEPTH:
        raise ValueError(f"parameters nest deeper than {MAX_PARAM_DEPTH} levels")
    if value is None or isinstance(value, bool | int | str):
        return _dumps(value)
    if isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite():
            raise ValueError(f"a parameter is not a finite number: {value!r}")
        literal = format(number, "f")
        return literal if "." in literal else f"{literal}.0"
    if isinstance(value, list | tuple):
        return "[" + ",".join(params_json(item, depth + 1) for item in value) + "]"
    if isinstance(value, Mapping):
        pairs = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"parameter names must be strings, got {key!r}")
            pairs.append(f"{_dumps(key)}:{params_json(item, depth + 1)}")
        return "{" + ",".join(pairs) + "}"
    raise ValueError(f"a parameter cannot be a {type(value).__name__}: {value!r}"[:200])


def _message_dict(message: ParentMessage | ChildMessage) -> dict[str, object]:
    if isinstance(message, Tick):
        return {"type": "tick", "id": message.id, "data": encode_market_data(message.data)}
    if isinstance(message, FillEvent):
        return {"type": "fill", "id": message.id, "fill": encode_fill(message.fill)}
    if isinstance(message, Reply):
        if message.ok:
            return {"type": "reply", "id": message.id, "ok": True, "result": message.result}
        return {"type": "reply", "id": message.id, "ok": False, "error": message.error or ""}
    if isinstance(message, Close):
        return {"type": "close", "id": message.id}
    if isinstance(message, Started):
        return {"type": "started", "pid": message.pid, "confined": message.confined}
    if isinstance(message, Ready):
        return {"type": "ready"}
    if isinstance(message, Call):
        return {"type": "call", "id": message.id, "method": message.method, "args": encode_args(message.args)}
    if isinstance(message, Log):
        return {"type": "log", "message": message.message}
    if isinstance(message, Done):
        return {"type": "done", "id": message.id}
    if isinstance(message, Error):
        return {"type": "error", "id": message.id, "error": message.error, "exception": message.exception}
    raise TypeError(f"not a message: {message!r}")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return encode_decimal(value)
    raise TypeError(f"cannot send a {type(value).__name__}")


def encode(message: ParentMessage | ChildMessage) -> bytes:
    """One line, newline included."""
    if isinstance(message, Init):
        line = (
            f'{{"type":"init","market":{_dumps(message.market)},"params":{params_json(message.params)},'
            f'"source":{_dumps(message.source)},"filename":{_dumps(message.filename)}'
            + (f',"wallets":{int(message.wallets)}}}' if message.wallets != 1 else "}")
        )
    else:
        line = json.dumps(
            _message_dict(message),
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
            default=_json_default,
        )
    return line.encode() + b"\n"


# Decoding.


def _reject_constant(name: str) -> NoReturn:
    raise WireError(f"{name} is not a number the protocol accepts")


def _reject_float(literal: str) -> NoReturn:
    raise WireError(f"numbers must be decimal strings, got the bare number {literal[:40]}")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise WireError("an object repeats a key")
    return result


def _load(line: bytes, max_bytes: int, *, exact_numbers: bool) -> dict[str, object]:
    if len(line) > max_bytes:
        raise WireError(f"the line is longer than {max_bytes:,} bytes")
    try:
        value = json.loads(
            line,
            parse_float=Decimal if exact_numbers else _reject_float,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicates,
        )
    except WireError:
        raise
    except (ValueError, RecursionError) as exc:
        raise WireError(f"not JSON ({str(exc)[:80]})") from None
    if not isinstance(value, dict):
        raise WireError(f"a message must be an object, got {kind(value)}")
    return value


def _id(obj: Mapping[str, object]) -> int:
    return integer(obj["id"], "id")


def decode_child(line: bytes, max_bytes: int = MAX_CHILD_LINE) -> ChildMessage:
    """Decode a line a strategy sent; anything off is a WireError."""
    obj = _load(line, max_bytes, exact_numbers=False)
    kind_ = obj.get("type")
    if kind_ == "call":
        obj = fields(obj, "call", ("type", "id", "method", "args"))
        method = obj["method"]
        if method not in METHODS:
            raise WireError(f"unknown method {str(method)[:40]!r}")
        method_ = choice(method, METHODS, "method")
        return Call(_id(obj), method_, decode_args(method_, obj["args"]))
    if kind_ == "log":
        obj = fields(obj, "log", ("type", "message"))
        return Log(text(obj["message"], "log message", MAX_LOG_CHARS))
    if kind_ == "done":
        return Done(_id(fields(obj, "done", ("type", "id"))))
    if kind_ == "ready":
        fields(obj, "ready", ("type",))
        return Ready()
    if kind_ == "error":
        obj = fields(obj, "error", ("type", "id", "error", "exception"))
        return Error(
            None if obj["id"] is None else _id(obj),
            text(obj["error"], "error", MAX_ERROR_CHARS),
            None if obj["exception"] is None else text(obj["exception"], "exception"),
        )
    if kind_ == "started":
        obj = fields(obj, "started", ("type", "pid", "confined"))
        confined = obj["confined"]
        if not isinstance(confined, bool):
            raise WireError(f"confined must be true or false, got {kind(confined)}")
        return Started(integer(obj["pid"], "pid"), confined)
    raise WireError(f"unknown message type {str(kind_)[:40]!r}")


def decode_parent(line: bytes, max_bytes: int = MAX_PARENT_LINE) -> ParentMessage:
    """Decode a line from the engine (trusted, but checked as strictly: a bug surfaces at once)."""
    obj = _load(line, max_bytes, exact_numbers=True)
    kind_ = obj.get("type")
    if kind_ == "tick":
        obj = fields(obj, "tick", ("type", "id", "data"))
        return Tick(_id(obj), decode_market_data(obj["data"]))
    if kind_ == "reply":
        obj = fields(obj, "reply", ("type", "id", "ok"), ("result", "error"))
        if not isinstance(obj["ok"], bool):
            raise WireError(f"ok must be true or false, got {kind(obj['ok'])}")
        if obj["ok"]:
            return Reply(_id(obj), True, result=obj.get("result"))  # type: ignore[arg-type]
        return Reply(_id(obj), False, error=text(obj.get("error"), "reply error", MAX_ERROR_CHARS))
    if kind_ == "fill":
        obj = fields(obj, "fill", ("type", "id", "fill"))
        return FillEvent(_id(obj), decode_fill(obj["fill"]))
    if kind_ == "close":
        return Close(_id(fields(obj, "close", ("type", "id"))))
    if kind_ == "init":
        obj = fields(obj, "init", ("type", "market", "params", "source", "filename"), ("wallets",))
        params = obj["params"]
        if not isinstance(params, dict):
            raise WireError(f"params must be an object, got {kind(params)}")
        return Init(
            market=text(obj["market"], "market"),
            params=params,
            source=text(obj["source"], "source", MAX_SOURCE_CHARS),
            filename=text(obj["filename"], "filename", 255),
            wallets=max(1, integer(obj.get("wallets", 1), "wallets")),
        )
    raise WireError(f"unknown message type {str(kind_)[:40]!r}")
