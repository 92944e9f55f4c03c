"""The plain-data protocol: every type both ways, and what a hostile child may send refused within bounds of
size, time, memory and nesting (autograder/runner/protocol.py)."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time

import pytest
import torch

from autograder.runner import protocol


def raw(payload: bytes) -> socket.socket:
    """A socket from which `payload` (with its length header) can be read, sent by a thread (it is larger
    than the socket's buffer)."""
    ours, theirs = socket.socketpair()

    def send():
        with theirs:
            theirs.sendall(struct.pack(">I", len(payload)) + payload)

    threading.Thread(target=send, daemon=True).start()
    return ours


@pytest.mark.parametrize("value", [None, True, 3, -2.5, float("inf"), "é", [1, [2]], (1, "a"), {"k": (1,)},
                                   {0: "NEGATIVE", None: 1, "$k": 2}, torch.arange(6).reshape(2, 3),
                                   torch.tensor([0.5], dtype=torch.float16), torch.zeros(0)])
def test_every_type_survives_the_round_trip(value):
    ours, theirs = socket.socketpair()
    protocol.send(theirs, {"value": protocol.encode(value)})
    back = protocol.decode(protocol.receive(ours)["value"])
    if isinstance(value, torch.Tensor):
        assert back.dtype == value.dtype and torch.equal(back, value)
    else:
        assert back == value and type(back) is type(value)


@pytest.mark.parametrize("dtype", [*protocol._DTYPES.values(), torch.bfloat16], ids=str)
def test_a_tensor_of_every_dtype_survives_the_round_trip(dtype):
    """Each dtype the protocol knows, from raw bytes; bfloat16 (which numpy lacks) comes back as float32."""
    value = torch.tensor([[-3, -1, 0], [1, 2, 127]]).to(dtype)  # signs, zero and the largest int8
    ours, theirs = socket.socketpair()
    with ours, theirs:
        protocol.send(theirs, {"value": protocol.encode(value)})
        back = protocol.decode(protocol.receive(ours)["value"])
    assert back.dtype == (torch.float32 if dtype is torch.bfloat16 else dtype)
    assert torch.equal(back, value.to(back.dtype))


def nested(depth: int) -> list:
    value: list = [1]
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("value", [object(), {1j: 1}, nested(40)])
def test_objects_and_deep_values_are_not_encoded(value):
    with pytest.raises(TypeError):
        protocol.encode(value)


@pytest.mark.parametrize("node", [{"$tensor": {"dtype": "complex64", "shape": [1], "data": ""}},
                                  {"$tensor": {"dtype": "float32", "shape": [3], "data": "AAAA"}},
                                  {"$tuple": "not a list"}, {"$dict": [[[1], 2]]}, {"$dict": [[1]]}])
def test_malformed_nodes_are_refused(node):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(node)


@pytest.mark.parametrize(("payload", "why"), [
    (b"[" * 100_000 + b"]" * 100_000, "readable"),  # nested too deep: a RecursionError in the parser before
    (b'{"x": ' + b"9" * 5000 + b"}", "readable"),  # past Python's int digit limit: a ValueError before
    (b'{"x": [' + b",".join([b"[]"] * 200_000) + b"]}", "lists"),  # millions of objects to build
    (b'{"x": [' + b",".join([b"1.5"] * 1_200_000) + b"]}", "items"),
    (b"\xff\xfe", "readable"),
    (b"[1]", "JSON object"),
])
def test_hostile_payloads_are_refused_quickly_and_cheaply(payload, why):
    start = time.monotonic()
    with pytest.raises(protocol.ProtocolError, match=why):
        protocol.receive(raw(payload))
    assert time.monotonic() - start < 5  # a bound, not a benchmark: the refusal never parses the payload


def test_a_message_over_the_limit_is_refused_unread():
    ours, theirs = socket.socketpair()
    theirs.sendall(struct.pack(">I", 2**31))  # announces 2 GiB and sends nothing more
    with pytest.raises(protocol.ProtocolError, match="over the 1000-byte limit"):
        protocol.receive(ours, limit=1000)


def test_a_trickle_cannot_stretch_the_deadline():
    """One byte every 0.1 s would reset a per-read socket timeout forever; the deadline covers the whole
    message."""
    ours, theirs = socket.socketpair()
    payload = json.dumps({"ok": True, "value": "x" * 100}).encode()

    def trickle():
        theirs.sendall(struct.pack(">I", len(payload)))
        for byte in payload:
            time.sleep(0.1)
            try:
                theirs.send(bytes([byte]))
            except OSError:
                return

    threading.Thread(target=trickle, daemon=True).start()
    ours.settimeout(5)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        protocol.receive(ours, deadline=time.monotonic() + 1.0)
    assert time.monotonic() - start < 2
    theirs.close()


def test_a_message_from_the_grader_may_hold_many_items():
    cells = {"cells": ["x = [" + ",".join(["1"] * 1_100_000) + "]"]}  # a student's long literal
    ours, theirs = socket.socketpair()
    threading.Thread(target=protocol.send, args=(theirs, cells), daemon=True).start()
    assert protocol.receive(ours, trusted=True) == cells


def test_a_watch_runs_while_waiting_and_what_it_raises_ends_the_wait():
    """The grader's check of a child's folder runs every WATCH_EVERY seconds of a wait; a message that
    comes still arrives, and the watch's exception ends a wait that would have run to its deadline."""
    calls = []

    class Full(Exception):
        pass

    def watch():
        calls.append(time.monotonic())
        if len(calls) == 3:
            raise Full

    ours, theirs = socket.socketpair()
    with ours, theirs:
        started = time.monotonic()
        with pytest.raises(Full):
            protocol.receive(ours, deadline=started + 30, watch=watch)
        assert len(calls) == 3 and time.monotonic() - started < 10
        calls.clear()
        threading.Timer(0.6, protocol.send, (theirs, {"event": "ready"})).start()
        assert protocol.receive(ours, deadline=time.monotonic() + 30, watch=lambda: calls.append(1)) == \
            {"event": "ready"}
        assert 1 <= len(calls) <= 3
