"""Plain-data messages between the trusted grader and an untrusted child.

Only JSON crosses the boundary: numbers (a float subclass such as numpy.float64 as its plain float),
strings, booleans, None, lists, string-keyed dicts, tuples as `{"$tuple": [...]}`, dicts with keys other
than plain strings as `{"$dict": [[key, value], ...]}`, and tensors as `{"$tensor": {"dtype", "shape",
"data" (base64 of the raw bytes)}}`.
Nothing is ever unpickled, and decoding checks every node, so a hostile child can send wrong answers but
never objects.
Each message is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.

The grader treats what a child sends as hostile: a message is refused unread when its header announces more
than the caller's limit, read against one wall-clock deadline (a child that trickles a byte at a time
cannot stretch it), and parsed only when its count of containers and items is bounded (so a reply of
millions of tiny arrays cannot take gigabytes to parse) and its nesting and numbers are sane.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import time
from collections.abc import Callable

import torch

MAX_MESSAGE = 64 * 2**20  # a message larger than this is refused, not read
MAX_CONTAINERS = 100_000  # JSON arrays and objects in one message (a tensor is one object and one string)
MAX_ITEMS = 1_000_000  # commas in one message: the values of all its arrays and objects
_HEADER = struct.Struct(">I")
WATCH_EVERY = 0.25  # seconds between a waiting receive's calls of its `watch`
_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float16, torch.float32, torch.float64, torch.int8, torch.int16, torch.int32, torch.int64,
    torch.uint8, torch.bool)}


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


def encode(value, depth: int = 0):
    """A JSON-able form of `value`; raises TypeError naming the first unsupported type."""
    if depth > 32:
        raise TypeError("a value nested more than 32 levels deep")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, float):  # numpy.float64 is a float: send its number (never the object itself)
        return float.__float__(value)
    if isinstance(value, torch.Tensor):
        tensor = torch.Tensor.as_subclass(value, torch.Tensor).detach().cpu()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        if str(tensor.dtype).removeprefix("torch.") not in _DTYPES:
            raise TypeError(f"a tensor of dtype {tensor.dtype}")
        data = tensor.contiguous().numpy().tobytes()
        return {"$tensor": {"dtype": str(tensor.dtype).removeprefix("torch."), "shape": list(tensor.shape),
                            "data": base64.b64encode(data).decode("ascii")}}
    if type(value) is list:
        return [encode(v, depth + 1) for v in value]
    if type(value) is tuple:
        return {"$tuple": [encode(v, depth + 1) for v in value]}
    if type(value) is dict:
        if all(type(k) is str and not k.startswith("$") for k in value):
            return {k: encode(v, depth + 1) for k, v in value.items()}
        if not all(k is None or type(k) in (bool, int, float, str) for k in value):
            raise TypeError("a dict whose keys are not numbers or strings")
        return {"$dict": [[k, encode(v, depth + 1)] for k, v in value.items()]}
    raise TypeError(f"an object of type {type(value).__name__}")


def decode(value, depth: int = 0):
    """The Python value of an encoded message, checking every node (ProtocolError on anything else)."""
    if depth > 34:
        raise ProtocolError("message nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return [decode(v, depth + 1) for v in value]
    if type(value) is not dict:
        raise ProtocolError(f"unexpected JSON node {type(value).__name__}")
    if "$tensor" in value:
        return _decode_tensor(value["$tensor"])
    if "$tuple" in value:
        if type(value["$tuple"]) is not list:
            raise ProtocolError("malformed tuple")
        return tuple(decode(v, depth + 1) for v in value["$tuple"])
    if "$dict" in value:
        pairs = value["$dict"]
        if type(pairs) is not list or not all(type(p) is list and len(p) == 2 and
                                              (p[0] is None or type(p[0]) in (bool, int, float, str))
                                              for p in pairs):
            raise ProtocolError("malformed dict")
        return {key: decode(item, depth + 1) for key, item in pairs}
    return {str(k): decode(v, depth + 1) for k, v in value.items()}


def _decode_tensor(spec) -> torch.Tensor:
    try:
        dtype, shape = _DTYPES[spec["dtype"]], [int(n) for n in spec["shape"]]
        data = base64.b64decode(spec["data"], validate=True)
        flat = torch.frombuffer(bytearray(data), dtype=dtype) if data else torch.empty(0, dtype=dtype)
        return flat.reshape(shape).clone()
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ProtocolError(f"malformed tensor: {exc}") from None


def send(sock: socket.socket, message: dict) -> None:
    payload = json.dumps(message, allow_nan=True).encode()
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def receive(sock: socket.socket, limit: int = MAX_MESSAGE, deadline: float | None = None,
            trusted: bool = False, watch: Callable[[], None] | None = None) -> dict:
    """The next message, of at most `limit` bytes, whole by `deadline` (a `time.monotonic()` value; None:
    the socket's own timeout per read). EOFError when the other side has gone, TimeoutError past the
    deadline, ProtocolError for anything that is not a well-formed message within the bounds. `trusted`
    (a message from the grader: a notebook's cells, a call's arguments) lifts the count of items. `watch`
    is called every WATCH_EVERY seconds of waiting (with a `deadline`): what it raises ends the wait."""
    (size,) = _HEADER.unpack(_read(sock, _HEADER.size, deadline, watch))
    if size > limit:
        raise ProtocolError(f"a message of {size} bytes, over the {limit}-byte limit")
    payload = _read(sock, size, deadline, watch)
    if not trusted and (payload.count(b"[") + payload.count(b"{") > MAX_CONTAINERS
                        or payload.count(b",") > MAX_ITEMS):
        raise ProtocolError(f"a message of more than {MAX_CONTAINERS} lists and dicts or {MAX_ITEMS} items")
    try:
        message = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, nested too deep, an int too long
        raise ProtocolError(f"not a readable message: {type(exc).__name__}: {str(exc)[:200]}") from None
    if type(message) is not dict:
        raise ProtocolError("a message must be a JSON object")
    return message


def _read(sock: socket.socket, size: int, deadline: float | None, watch: Callable[[], None] | None) -> bytes:
    chunks, left = [], size
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the message did not arrive in time")
            sock.settimeout(min(remaining, WATCH_EVERY) if watch else remaining)
        try:
            chunk = sock.recv(min(left, 2**20))
        except TimeoutError:
            if watch is None or deadline is None or time.monotonic() >= deadline:
                raise
            watch()
            continue
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
