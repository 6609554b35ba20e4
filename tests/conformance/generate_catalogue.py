#!/usr/bin/env python3
"""Writes the RFC 6455 case catalogue (tests/conformance/cases/*.jsonl) from the tables below.

The catalogue follows Autobahn|Testsuite's numbering and categories (1 framing, 2 pings/pongs,
3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close handling, 9 sizes, scaled down)
but every case here is written from RFC 6455 itself. The files are committed; re-run this script
after editing it (`python3 tests/conformance/generate_catalogue.py`) and commit both.

Record format (one JSON object per line), read by run_catalogue.py:
  id, category, title, rfc           case number, category, what it checks, the RFC clause
  frames   list of frames the client sends, in order:
             {"op": "text"|"binary"|"cont"|"ping"|"pong"|"close"|<0-15>, "fin": true,
              "rsv": 0-7, "mask": true, "payload": <payload>, "code": <close code>,
              "length": <declared 64-bit length, overrides the real one>}
  payload  {"text": "..."} | {"hex": "..."} | {"repeat": "<one byte in hex>", "size": N}
  chop     how the bytes go on the wire: absent = one write per frame; N = writes of N bytes
  expect   per profile ("protocol", "apigw") or "any":
             {"echo": [{"text"|"binary": payload}], "pongs": [payload], "close": [codes],
              "echo_optional": true, "strict": true}
           no "close": the connection must stay open; the driver then closes with 1000 and
           expects 1000 back. "close": codes the server's close frame may carry (1005 = a close
           frame without a code). strict=false also accepts the TCP connection being dropped.
           echo_optional: the echoes may be cut short by the close that follows.
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases")

KIB = 1024
APIGW_FRAME = 32 * KIB
APIGW_MESSAGE = 128 * KIB

cases = {}


def add(case_id, title, rfc, frames, expect, chop=None):
    category = case_id.split(".")[0]
    rec = {"id": case_id, "category": category, "title": title, "rfc": rfc, "frames": frames}
    if chop is not None:
        rec["chop"] = chop
    rec["expect"] = expect
    cases.setdefault(category, []).append(rec)


def text(s):
    return {"text": s}


def hexp(b):
    return {"hex": bytes(b).hex()}


def rep(ch, n):
    """`n` bytes, each the byte `ch` ("*" or "\xfe")."""
    return {"repeat": bytes([ord(ch)]).hex(), "size": n}


def frame(op, payload=None, **kw):
    f = {"op": op}
    if payload is not None:
        f["payload"] = payload
    f.update(kw)
    return f


OK = {}
FAIL_1002 = {"close": [1002]}
FAIL_1007 = {"close": [1007]}


def same(expect):
    return {"any": expect}


def size_expect(kind, size, frame_size=None):
    """Echo of a `kind` message of `size` bytes, or AWS's close where a limit applies."""
    frame_size = size if frame_size is None else frame_size
    # Binary frames are closed with 1003 in both profiles: Lift's event model, like API Gateway's,
    # carries text only (a deliberate difference of the protocol profile, docs/conformance.md).
    protocol = {"echo": [{kind: rep("*", size)}]} if kind == "text" else {"close": [1003]}
    if kind == "binary":
        apigw = {"close": [1003]}
    elif frame_size > APIGW_FRAME or size > APIGW_MESSAGE:
        apigw = {"close": [1009]}
    else:
        apigw = {"echo": [{kind: rep("*", size)}]}
    return {"protocol": protocol, "apigw": apigw}


# ---- 1 Framing -------------------------------------------------------------------------------
LENGTHS = [0, 125, 126, 127, 128, 65535, 65536]
for i, n in enumerate(LENGTHS, 1):
    add(f"1.1.{i}", f"text message, payload length {n}", "5.2, 5.6", [frame("text", rep("*", n))],
        size_expect("text", n))
add("1.1.8", "text message of 65536 bytes sent in 997-byte chops", "5.2",
    [frame("text", rep("*", 65536))], size_expect("text", 65536), chop=997)
add("1.1.9", "text message of 32768 bytes (the largest frame API Gateway accepts)", "5.2",
    [frame("text", rep("*", APIGW_FRAME))], size_expect("text", APIGW_FRAME))
add("1.1.10", "text message of 32769 bytes (one byte over API Gateway's frame limit)", "5.2",
    [frame("text", rep("*", APIGW_FRAME + 1))], size_expect("text", APIGW_FRAME + 1))
for i, n in enumerate(LENGTHS, 1):
    add(f"1.2.{i}", f"binary message, payload length {n}", "5.2, 5.6",
        [frame("binary", rep("\xfe", n))], size_expect("binary", n))
add("1.2.8", "binary message of 65536 bytes sent in 997-byte chops", "5.2",
    [frame("binary", rep("\xfe", 65536))], size_expect("binary", 65536), chop=997)
add("1.3.1", "unmasked client text frame", "5.1, 5.3", [frame("text", text("Hello"), mask=False)],
    same(FAIL_1002))
add("1.3.2", "unmasked client ping", "5.1", [frame("ping", text("x"), mask=False)], same(FAIL_1002))
add("1.3.3", "64-bit length with the most significant bit set", "5.2",
    [frame("text", text("Hello"), length=(1 << 63) + 5)], same({"close": [1002, 1009]}))
add("1.3.4", "text message, every byte its own TCP segment", "5.2", [frame("text", text("Hello, world"))],
    same({"echo": [{"text": text("Hello, world")}]}), chop=1)
add("1.3.5", "16-bit length field carrying 65535 in 1-byte writes", "5.2",
    [frame("text", rep("*", 65535))], size_expect("text", 65535), chop=1)

# ---- 2 Pings and pongs ----------------------------------------------------------------------
add("2.1", "ping without payload", "5.5.2", [frame("ping")], same({"pongs": [text("")]}))
add("2.2", "ping with a small text payload", "5.5.2", [frame("ping", text("Hello, world!"))],
    same({"pongs": [text("Hello, world!")]}))
add("2.3", "ping with a small binary payload", "5.5.2", [frame("ping", hexp([0, 255, 254, 253, 252, 251, 0, 255]))],
    same({"pongs": [hexp([0, 255, 254, 253, 252, 251, 0, 255])]}))
add("2.4", "ping with a 125-byte binary payload", "5.5", [frame("ping", rep("\xfe", 125))],
    same({"pongs": [rep("\xfe", 125)]}))
add("2.5", "ping with a 126-byte payload (control frames are at most 125)", "5.5",
    [frame("ping", rep("\xfe", 126))], same(FAIL_1002))
add("2.6", "ping with a 125-byte payload sent one byte at a time", "5.5.2", [frame("ping", rep("\xfe", 125))],
    same({"pongs": [rep("\xfe", 125)]}), chop=1)
add("2.7", "unsolicited pong without payload", "5.5.3", [frame("pong")], same(OK))
add("2.8", "unsolicited pong with a payload", "5.5.3", [frame("pong", text("unsolicited pong payload"))],
    same(OK))
add("2.9", "unsolicited pong, then a ping", "5.5.3",
    [frame("pong", text("unsolicited pong payload")), frame("ping", text("ping payload"))],
    same({"pongs": [text("ping payload")]}))
add("2.10", "10 pings in a row", "5.5.2", [frame("ping", text(f"payload-{i}")) for i in range(10)],
    same({"pongs": [text(f"payload-{i}") for i in range(10)]}))
add("2.11", "10 pings in a row, chopped into 1-byte writes", "5.5.2",
    [frame("ping", text(f"payload-{i}")) for i in range(10)],
    same({"pongs": [text(f"payload-{i}") for i in range(10)]}), chop=1)
add("2.12", "ping with an invalid UTF-8 payload (control payloads are not UTF-8 checked)", "5.5.2",
    [frame("ping", hexp([0xC0, 0xAF, 0xFF]))], same({"pongs": [hexp([0xC0, 0xAF, 0xFF])]}))

# ---- 3 Reserved bits -----------------------------------------------------------------------
add("3.1", "text frame with RSV1 set", "5.2", [frame("text", text("Hello"), rsv=1)], same(FAIL_1002))
add("3.2", "valid text, then a text frame with RSV2, then a ping", "5.2",
    [frame("text", text("Hello")), frame("text", text("Hello"), rsv=2), frame("ping", text("Hello"))],
    same({"echo": [{"text": text("Hello")}], "echo_optional": True, "close": [1002]}))
add("3.3", "valid text, then RSV3 text, then ping, chopped per frame", "5.2",
    [frame("text", text("Hello")), frame("text", text("Hello"), rsv=3), frame("ping", text("Hello"))],
    same({"echo": [{"text": text("Hello")}], "echo_optional": True, "close": [1002]}), chop=1)
add("3.4", "valid text, then RSV4 text, then ping, chopped into 1-byte writes", "5.2",
    [frame("text", text("Hello")), frame("text", text("Hello"), rsv=4), frame("ping", text("Hello"))],
    same({"echo": [{"text": text("Hello")}], "echo_optional": True, "close": [1002]}), chop=1)
add("3.5", "binary frame with RSV5", "5.2", [frame("binary", hexp([0, 255, 254]), rsv=5)], same(FAIL_1002))
add("3.6", "ping with RSV6", "5.2", [frame("ping", text("Hello"), rsv=6)], same(FAIL_1002))
add("3.7", "close with RSV7", "5.2", [frame("close", rsv=7, code=1000)], same(FAIL_1002))
add("3.8", "continuation frame with RSV1 inside a fragmented text message", "5.2",
    [frame("text", text("frag"), fin=False), frame("cont", text("ment"), rsv=1)], same(FAIL_1002))

# ---- 4 Opcodes --------------------------------------------------------------------------------
n = 0
for op in (3, 4, 5, 6, 7):
    n += 1
    add(f"4.1.{n}", f"reserved non-control opcode {op}", "5.2", [frame(op)], same(FAIL_1002))
n = 0
for op in (11, 12, 13, 14, 15):
    n += 1
    add(f"4.2.{n}", f"reserved control opcode {op}", "5.2", [frame(op, text("reserved"))], same(FAIL_1002))
add("4.1.6", "valid text, reserved opcode 5 with payload, then ping", "5.2",
    [frame("text", text("Hello")), frame(5, text("reserved")), frame("ping", text("Hello"))],
    same({"echo": [{"text": text("Hello")}], "echo_optional": True, "close": [1002]}))
add("4.2.6", "valid text, reserved opcode 13 with payload, then ping", "5.2",
    [frame("text", text("Hello")), frame(13, text("reserved")), frame("ping", text("Hello"))],
    same({"echo": [{"text": text("Hello")}], "echo_optional": True, "close": [1002]}))

# ---- 5 Fragmentation ------------------------------------------------------------------------
add("5.1", "ping in two fragments", "5.4, 5.5", [frame("ping", text("frag"), fin=False), frame("cont", text("ment"))],
    same(FAIL_1002))
add("5.2", "pong in two fragments", "5.4, 5.5", [frame("pong", text("frag"), fin=False), frame("cont", text("ment"))],
    same(FAIL_1002))
add("5.3", "text in two fragments", "5.4", [frame("text", text("frag"), fin=False), frame("cont", text("ment"))],
    same({"echo": [{"text": text("fragment")}]}))
add("5.4", "text in two fragments, 1-byte writes", "5.4",
    [frame("text", text("frag"), fin=False), frame("cont", text("ment"))],
    same({"echo": [{"text": text("fragment")}]}), chop=1)
add("5.5", "text in five fragments", "5.4",
    [frame("text", text("f"), fin=False)] + [frame("cont", text(c), fin=False) for c in "rag"] + [frame("cont", text("ments"))],
    same({"echo": [{"text": text("fragments")}]}))
add("5.6", "text in two fragments with a ping in between", "5.4, 5.5",
    [frame("text", text("frag"), fin=False), frame("ping", text("ping")), frame("cont", text("ment"))],
    same({"pongs": [text("ping")], "echo": [{"text": text("fragment")}]}))
add("5.7", "text in two fragments with a ping in between, 1-byte writes", "5.4, 5.5",
    [frame("text", text("frag"), fin=False), frame("ping", text("ping")), frame("cont", text("ment"))],
    same({"pongs": [text("ping")], "echo": [{"text": text("fragment")}]}), chop=1)
add("5.8", "text in two fragments with a pong in between", "5.4, 5.5",
    [frame("text", text("frag"), fin=False), frame("pong", text("pong")), frame("cont", text("ment"))],
    same({"echo": [{"text": text("fragment")}]}))
add("5.9", "continuation (fin) without a message to continue", "5.4",
    [frame("cont", text("fragment")), frame("text", text("Hello"))], same(FAIL_1002))
add("5.10", "continuation (fin) without a message, 1-byte writes", "5.4",
    [frame("cont", text("fragment")), frame("text", text("Hello"))], same(FAIL_1002), chop=1)
add("5.11", "continuation (not fin) without a message", "5.4",
    [frame("cont", text("fragment"), fin=False), frame("cont", text("end"))], same(FAIL_1002))
add("5.12", "continuation (not fin) without a message, then text", "5.4",
    [frame("cont", text("fragment"), fin=False), frame("text", text("Hello"))], same(FAIL_1002))
add("5.13", "text message, then a stray continuation", "5.4",
    [frame("text", text("Hello")), frame("cont", text("stray"))],
    same({"echo": [{"text": text("Hello")}], "echo_optional": True, "close": [1002]}))
add("5.14", "text started, then a new text frame before it ends", "5.4",
    [frame("text", text("frag"), fin=False), frame("text", text("new"))], same(FAIL_1002))
add("5.15", "text started, then a new binary frame before it ends", "5.4",
    [frame("text", text("frag"), fin=False), frame("binary", hexp([1, 2]))],
    same({"close": [1002, 1003]}))
add("5.16", "two complete fragmented messages back to back", "5.4",
    [frame("text", text("a1"), fin=False), frame("cont", text("a2")),
     frame("text", text("b1"), fin=False), frame("cont", text("b2"))],
    same({"echo": [{"text": text("a1a2")}, {"text": text("b1b2")}]}))
add("5.17", "fragmented text of empty fragments", "5.4",
    [frame("text", text(""), fin=False), frame("cont", text(""), fin=False), frame("cont", text(""))],
    same({"echo": [{"text": text("")}]}))
add("5.18", "fragmented text, fin continuation then another continuation", "5.4",
    [frame("text", text("a"), fin=False), frame("cont", text("b")), frame("cont", text("c"))],
    same({"echo": [{"text": text("ab")}], "echo_optional": True, "close": [1002]}))
add("5.19", "fragmented text with 10 pings interleaved", "5.4, 5.5",
    [frame("text", text("0"), fin=False)]
    + [x for i in range(1, 10) for x in (frame("ping", text(f"p{i}")), frame("cont", text(str(i)), fin=i == 9))],
    same({"pongs": [text(f"p{i}") for i in range(1, 10)], "echo": [{"text": text("0123456789")}]}))
add("5.20", "fragmented binary message", "5.4",
    [frame("binary", hexp([1, 2]), fin=False), frame("cont", hexp([3, 4]))],
    same({"close": [1003]}))
add("5.21", "close frame inside a fragmented message", "5.4, 5.5.1",
    [frame("text", text("frag"), fin=False), frame("close", code=1000)], same({"close": [1000]}))

# ---- 6 UTF-8 handling -------------------------------------------------------------------------
KOSME = "κόσμε".encode()
add("6.1.1", "empty text message", "5.6", [frame("text", text(""))], same({"echo": [{"text": text("")}]}))
add("6.1.2", "empty fragments: text(empty, not fin), cont(empty, not fin), cont(empty)", "5.4, 5.6",
    [frame("text", text(""), fin=False), frame("cont", text(""), fin=False), frame("cont", text(""))],
    same({"echo": [{"text": text("")}]}))
add("6.1.3", "text(empty, not fin), cont('middle', not fin), cont(empty)", "5.4, 5.6",
    [frame("text", text(""), fin=False), frame("cont", text("middle"), fin=False), frame("cont", text(""))],
    same({"echo": [{"text": text("middle")}]}))
add("6.2.1", "valid UTF-8 (Hello-µ@ßöäüàá-UTF-8!!) in one frame", "8.1",
    [frame("text", text("Hello-µ@ßöäüàá-UTF-8!!"))], same({"echo": [{"text": text("Hello-µ@ßöäüàá-UTF-8!!")}]}))
add("6.2.2", "the same text fragmented on code-point boundaries", "5.6, 8.1",
    [frame("text", text("Hello-µ@ßöä"), fin=False), frame("cont", text("üàá-UTF-8!!"))],
    same({"echo": [{"text": text("Hello-µ@ßöäüàá-UTF-8!!")}]}))
add("6.2.3", "the same text fragmented into 1-byte frames (splitting code points)", "5.6, 8.1",
    [frame("text" if i == 0 else "cont", hexp([b]), fin=i == len("Hello-µ@ßöäüàá-UTF-8!!".encode()) - 1)
     for i, b in enumerate("Hello-µ@ßöäüàá-UTF-8!!".encode())],
    same({"echo": [{"text": text("Hello-µ@ßöäüàá-UTF-8!!")}]}))
add("6.2.4", "κόσμε fragmented into 1-byte frames", "5.6, 8.1",
    [frame("text" if i == 0 else "cont", hexp([b]), fin=i == len(KOSME) - 1) for i, b in enumerate(KOSME)],
    same({"echo": [{"text": text("κόσμε")}]}))
add("6.3.1", "invalid UTF-8 in one frame", "8.1",
    [frame("text", hexp(list(KOSME) + [0xED, 0xA0, 0x80] + list("edited".encode())))], same(FAIL_1007))
add("6.3.2", "invalid UTF-8 sent in 1-byte writes", "8.1",
    [frame("text", hexp(list(KOSME) + [0xED, 0xA0, 0x80] + list("edited".encode())))], same(FAIL_1007), chop=1)
add("6.4.1", "invalid UTF-8 in the first fragment fails before the message ends", "8.1",
    [frame("text", hexp(list(KOSME) + [0xF4, 0x90, 0x80, 0x80]), fin=False), frame("cont", text("edited"))],
    same(FAIL_1007))
add("6.4.2", "invalid UTF-8 split across fragments", "8.1",
    [frame("text", hexp(list(KOSME) + [0xF4]), fin=False), frame("cont", hexp([0x90, 0x80, 0x80])),
     frame("cont", text("edited"))], same(FAIL_1007))
add("6.4.3", "message ends in the middle of a code point", "8.1",
    [frame("text", hexp(list(KOSME) + [0xE2, 0x82]))], same(FAIL_1007))
add("6.4.4", "fragmented message ends in the middle of a code point", "8.1",
    [frame("text", hexp(list(KOSME)), fin=False), frame("cont", hexp([0xF0, 0x9F, 0x98]))], same(FAIL_1007))

valid_seqs = [
    ("U+0000", [0x00]), ("U+007F", [0x7F]), ("U+0080", [0xC2, 0x80]), ("U+07FF", [0xDF, 0xBF]),
    ("U+0800", [0xE0, 0xA0, 0x80]), ("U+D7FF", [0xED, 0x9F, 0xBF]), ("U+E000", [0xEE, 0x80, 0x80]),
    ("U+FFFD", [0xEF, 0xBF, 0xBD]), ("U+FFFE (noncharacter, valid)", [0xEF, 0xBF, 0xBE]),
    ("U+FFFF (noncharacter, valid)", [0xEF, 0xBF, 0xBF]), ("U+10000", [0xF0, 0x90, 0x80, 0x80]),
    ("U+10FFFF", [0xF4, 0x8F, 0xBF, 0xBF]), ("U+1F600", [0xF0, 0x9F, 0x98, 0x80]),
    ("U+FDD0 (noncharacter, valid)", [0xEF, 0xB7, 0x90]), ("U+1FFFE (noncharacter, valid)", [0xF0, 0x9F, 0xBF, 0xBE]),
]
for i, (name, seq) in enumerate(valid_seqs, 1):
    add(f"6.5.{i}", f"valid sequence {name}", "8.1", [frame("text", hexp(seq))],
        same({"echo": [{"text": hexp(seq)}]}))
    add(f"6.6.{i}", f"valid sequence {name}, 1-byte fragments", "5.4, 8.1",
        [frame("text" if j == 0 else "cont", hexp([b]), fin=j == len(seq) - 1) for j, b in enumerate(seq)],
        same({"echo": [{"text": hexp(seq)}]}))

invalid_seqs = [
    ("lone continuation byte 0x80", [0x80]), ("lone continuation byte 0xBF", [0xBF]),
    ("two continuation bytes", [0x80, 0xBF]), ("0xC0 0x80 (overlong NUL)", [0xC0, 0x80]),
    ("0xC1 0xBF (overlong)", [0xC1, 0xBF]), ("0xE0 0x80 0xAF (overlong /)", [0xE0, 0x80, 0xAF]),
    ("0xF0 0x80 0x80 0xAF (overlong /)", [0xF0, 0x80, 0x80, 0xAF]),
    ("0xF8 0x88 0x80 0x80 0x80 (5-byte form)", [0xF8, 0x88, 0x80, 0x80, 0x80]),
    ("0xFC 0x84 0x80 0x80 0x80 0x80 (6-byte form)", [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80]),
    ("0xFE", [0xFE]), ("0xFF", [0xFF]), ("0xFE 0xFE 0xFF 0xFF", [0xFE, 0xFE, 0xFF, 0xFF]),
    ("U+D800 (high surrogate)", [0xED, 0xA0, 0x80]), ("U+DBFF", [0xED, 0xAF, 0xBF]),
    ("U+DC00 (low surrogate)", [0xED, 0xB0, 0x80]), ("U+DFFF", [0xED, 0xBF, 0xBF]),
    ("surrogate pair U+D800 U+DC00", [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80]),
    ("U+110000 (over the maximum)", [0xF4, 0x90, 0x80, 0x80]), ("0xF5 lead byte", [0xF5, 0x80, 0x80, 0x80]),
    ("truncated 2-byte sequence then space", [0xC2, 0x20]), ("truncated 3-byte sequence then space", [0xE0, 0xA0, 0x20]),
    ("truncated 4-byte sequence then space", [0xF0, 0x90, 0x80, 0x20]),
    ("0xC0 alone", [0xC0]), ("0xE0 0x80 alone", [0xE0, 0x80]),
    ("overlong U+07FF as 3 bytes", [0xE0, 0x9F, 0xBF]), ("overlong U+FFFF as 4 bytes", [0xF0, 0x8F, 0xBF, 0xBF]),
]
for i, (name, seq) in enumerate(invalid_seqs, 1):
    add(f"6.7.{i}", f"invalid UTF-8: {name}", "8.1", [frame("text", hexp(list(b"ab") + seq + list(b"yz")))],
        same(FAIL_1007))
    add(f"6.8.{i}", f"invalid UTF-8: {name}, 1-byte writes", "8.1",
        [frame("text", hexp(list(b"ab") + seq + list(b"yz")))], same(FAIL_1007), chop=1)

# ---- 7 Close handling ------------------------------------------------------------------------
add("7.1.1", "text message, then close 1000", "5.5.1, 7.1.2",
    [frame("text", text("Hello")), frame("close", code=1000)],
    same({"echo": [{"text": text("Hello")}], "echo_optional": True, "close": [1000]}))
add("7.1.2", "close twice", "5.5.1", [frame("close", code=1000), frame("close", code=1000)], same({"close": [1000]}))
add("7.1.3", "ping after close (ignored)", "5.5.1", [frame("close", code=1000), frame("ping", text("late"))],
    same({"close": [1000]}))
add("7.1.4", "text after close (ignored)", "5.5.1", [frame("close", code=1000), frame("text", text("late"))],
    same({"close": [1000]}))
add("7.1.5", "first fragment, then close", "5.5.1", [frame("text", text("frag"), fin=False), frame("close", code=1000)],
    same({"close": [1000]}))
add("7.1.6", "large message then close right away", "5.5.1",
    [frame("text", rep("B", 16 * KIB)), frame("close", code=1000)],
    same({"echo": [{"text": rep("B", 16 * KIB)}], "echo_optional": True, "close": [1000]}))
add("7.3.1", "close without payload", "5.5.1, 7.4.1", [frame("close")], same({"close": [1005, 1000]}))
add("7.3.2", "close with a 1-byte payload", "5.5.1", [frame("close", hexp([0x03]))], same(FAIL_1002))
add("7.3.3", "close with code 1000 and no reason", "5.5.1", [frame("close", code=1000)], same({"close": [1000]}))
add("7.3.4", "close with code 1000 and a reason", "5.5.1", [frame("close", text("Hello World!"), code=1000)],
    same({"close": [1000]}))
add("7.3.5", "close with code 1000 and a 123-byte reason (125 in all)", "5.5",
    [frame("close", rep("*", 123), code=1000)], same({"close": [1000]}))
add("7.3.6", "close with code 1000 and a 124-byte reason (126 in all)", "5.5",
    [frame("close", rep("*", 124), code=1000)], same(FAIL_1002))
add("7.5.1", "close reason with invalid UTF-8", "5.5.1, 8.1",
    [frame("close", hexp(list(KOSME) + [0xED, 0xA0, 0x80]), code=1000)], same(FAIL_1007))
add("7.5.2", "close reason with valid UTF-8", "5.5.1", [frame("close", text("κόσμε"), code=1000)],
    same({"close": [1000]}))
valid_codes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
for i, code in enumerate(valid_codes, 1):
    add(f"7.7.{i}", f"close with the valid code {code}", "7.4.1, 7.4.2", [frame("close", code=code)],
        same({"close": [code, 1000]}))
invalid_codes = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
for i, code in enumerate(invalid_codes, 1):
    add(f"7.9.{i}", f"close with the invalid code {code}", "7.4.1, 7.4.2", [frame("close", code=code)],
        same(FAIL_1002))
# IANA registered 1012-1014 after RFC 6455; Autobahn 0.8 still treats them as invalid. We accept
# them (deliberate difference, listed in docs/conformance.md).
for i, code in enumerate([1012, 1013, 1014], len(valid_codes) + 1):
    add(f"7.7.{i}", f"close with the IANA-registered code {code}", "7.4.2 (IANA registry)",
        [frame("close", code=code)], same({"close": [code, 1000]}))

# ---- 9 Sizes (scaled down) -------------------------------------------------------------------
text_sizes = [64 * KIB, 128 * KIB, 256 * KIB, 1024 * KIB]
for i, size in enumerate(text_sizes, 1):
    add(f"9.1.{i}", f"text message of {size // KIB} KiB in one frame", "5.2",
        [frame("text", rep("*", size))], size_expect("text", size))
    add(f"9.2.{i}", f"binary message of {size // KIB} KiB in one frame", "5.2",
        [frame("binary", rep("\xfe", size))], size_expect("binary", size))
for i, fsize in enumerate([64, 256, 1 * KIB, 4 * KIB, 16 * KIB, 32 * KIB, 64 * KIB], 1):
    total = 128 * KIB
    parts = total // fsize
    add(f"9.3.{i}", f"text message of 128 KiB in fragments of {fsize} bytes", "5.4",
        [frame("text" if j == 0 else "cont", rep("*", fsize), fin=j == parts - 1) for j in range(parts)],
        size_expect("text", total, fsize))
for i, chop in enumerate([64, 1 * KIB, 16 * KIB], 1):
    add(f"9.5.{i}", f"text message of 64 KiB in 16 KiB frames, written in {chop}-byte chops", "5.4",
        [frame("text" if j == 0 else "cont", rep("*", 16 * KIB), fin=j == 3) for j in range(4)],
        size_expect("text", 64 * KIB, 16 * KIB), chop=chop)
add("9.6.1", "text message of 128 KiB + 1 byte in 32 KiB fragments", "5.4",
    [frame("text" if j == 0 else "cont", rep("*", 32 * KIB if j < 4 else 1), fin=j == 4) for j in range(5)],
    {"protocol": {"echo": [{"text": rep("*", 128 * KIB + 1)}]}, "apigw": {"close": [1009]}})
add("9.7.1", "100 small text messages back to back", "5.6",
    [frame("text", text(f"msg-{i}")) for i in range(100)],
    same({"echo": [{"text": text(f"msg-{i}")} for i in range(100)]}))


# ---- Handshake negatives (cases/handshake/*.jsonl; run by run_catalogue.py --handshake) -------
# Placeholders in targets and header values: {path} the stage path (/dev), {host} host:port,
# {key} a fresh valid Sec-WebSocket-Key. `expect.status` is exact; `expect.headers` must be present
# with these values (case-insensitive names); 101 answers are checked for the right Accept.
handshakes = []
BASE = [["Host", "{host}"], ["Upgrade", "websocket"], ["Connection", "Upgrade"],
        ["Sec-WebSocket-Key", "{key}"], ["Sec-WebSocket-Version", "13"]]


def hs(case_id, title, rfc, status, method="GET", target="{path}", version="HTTP/1.1", headers=None,
       drop=(), replace=None, extra=(), expect_headers=None):
    hdrs = [list(h) for h in (BASE if headers is None else headers) if h[0] not in drop]
    for name, value in (replace or {}).items():
        hdrs = [[n, value] if n == name else [n, v] for n, v in hdrs]
    hdrs += [list(h) for h in extra]
    rec = {"id": case_id, "category": "handshake", "title": title, "rfc": rfc,
           "request": {"method": method, "target": target, "version": version, "headers": hdrs},
           "expect": {"status": status}}
    if expect_headers:
        rec["expect"]["headers"] = expect_headers
    handshakes.append(rec)


hs("h.1", "valid handshake", "4.2.1, 4.2.2", 101)
hs("h.2", "valid handshake to {path}/ (trailing slash)", "4.2.1", 101, target="{path}/")
hs("h.3", "header names and tokens in other cases", "4.2.1 (case-insensitive)", 101,
   headers=[["host", "{host}"], ["UPGRADE", "WebSocket"], ["connection", "upgrade"],
            ["sec-websocket-key", "{key}"], ["SEC-WEBSOCKET-VERSION", "13"]])
hs("h.4", "Connection with several tokens (keep-alive, Upgrade)", "4.2.1", 101,
   replace={"Connection": "keep-alive, Upgrade"})
hs("h.5", "Upgrade with several tokens (websocket, foo/1)", "4.2.1", 101, replace={"Upgrade": "foo/1, websocket"})
hs("h.6", "subprotocol offered and chosen by $connect", "4.2.2 /subprotocol/", 101,
   extra=[["Sec-WebSocket-Protocol", "chat.v0, lift.v1"]], expect_headers={"Sec-WebSocket-Protocol": "lift.v1"})
hs("h.7", "URL of 4000 bytes (under the 4096 limit)", "API Gateway limit", 101,
   target="{path}?pad=" + "a" * (4000 - len("/dev?pad=")))
hs("h.8", "POST instead of GET", "4.2.1 item 1", 400, method="POST")
hs("h.9", "PUT instead of GET", "4.2.1 item 1", 400, method="PUT")
hs("h.10", "HTTP/1.0", "4.2.1 item 1", 400, version="HTTP/1.0")
hs("h.11", "missing Host", "4.2.1 item 2", 400, drop=["Host"])
hs("h.12", "two Host headers", "RFC 7230 5.4", 400, extra=[["Host", "example.com"]])
hs("h.13", "missing Sec-WebSocket-Key", "4.2.1 item 5", 400, drop=["Sec-WebSocket-Key"])
hs("h.14", "Sec-WebSocket-Key that is not base64", "4.2.1 item 5", 400, replace={"Sec-WebSocket-Key": "not base64!!"})
hs("h.15", "Sec-WebSocket-Key of 15 bytes", "4.2.1 item 5", 400, replace={"Sec-WebSocket-Key": "AAAAAAAAAAAAAAAAAAAA"})
hs("h.16", "Sec-WebSocket-Key of 17 bytes", "4.2.1 item 5", 400, replace={"Sec-WebSocket-Key": "AAAAAAAAAAAAAAAAAAAAAAA="})
hs("h.17", "empty Sec-WebSocket-Key", "4.2.1 item 5", 400, replace={"Sec-WebSocket-Key": ""})
hs("h.18", "two Sec-WebSocket-Key headers", "4.2.1 item 5, 11.3.1", 400,
   extra=[["Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA=="]])
hs("h.19", "Sec-WebSocket-Version 8", "4.4", 426, replace={"Sec-WebSocket-Version": "8"},
   expect_headers={"Sec-WebSocket-Version": "13"})
hs("h.20", "Sec-WebSocket-Version 12", "4.4", 426, replace={"Sec-WebSocket-Version": "12"},
   expect_headers={"Sec-WebSocket-Version": "13"})
hs("h.21", "Sec-WebSocket-Version 14", "4.4", 426, replace={"Sec-WebSocket-Version": "14"},
   expect_headers={"Sec-WebSocket-Version": "13"})
hs("h.22", "missing Sec-WebSocket-Version", "4.2.1 item 6, 4.4", 426, drop=["Sec-WebSocket-Version"],
   expect_headers={"Sec-WebSocket-Version": "13"})
hs("h.23", "Sec-WebSocket-Version not a number", "4.4", 426, replace={"Sec-WebSocket-Version": "thirteen"},
   expect_headers={"Sec-WebSocket-Version": "13"})
hs("h.24", "missing Upgrade (a plain GET of the WebSocket URL)", "4.2.1 item 3", 426, drop=["Upgrade"],
   expect_headers={"Upgrade": "websocket"})
hs("h.25", "Upgrade: h2c instead of websocket", "4.2.1 item 3", 426, replace={"Upgrade": "h2c"},
   expect_headers={"Upgrade": "websocket"})
hs("h.26", "missing Connection", "4.2.1 item 4", 400, drop=["Connection"])
hs("h.27", "Connection: keep-alive without the Upgrade token", "4.2.1 item 4", 400,
   replace={"Connection": "keep-alive"})
hs("h.28", "Connection: upgraded (a token that only starts with upgrade)", "4.2.1 item 4", 400,
   replace={"Connection": "upgraded"})
hs("h.29", "one header over 8 KiB", "RFC 6585 5", 431, extra=[["X-Big", "b" * (8 * 1024 + 1)]])
hs("h.30", "headers over 8 KiB in all", "RFC 6585 5", 431,
   extra=[[f"X-Pad-{i}", "p" * 100] for i in range(90)])
hs("h.31", "URL over 4096 bytes", "RFC 7231 6.5.12", 414, target="{path}?pad=" + "a" * 4100)
hs("h.32", "path that is not the stage", "API Gateway (ForbiddenException)", 403, target="/other")
hs("h.33", "$connect rejects with 401 (example-echo ?deny=1)", "API Gateway $connect", 401,
   target="{path}?deny=1")
hs("h.34", "header line without a colon", "RFC 7230 3.2", 400, extra=[["BrokenHeaderLine", None]])


def main():
    os.makedirs(OUT, exist_ok=True)
    names = {"1": "framing", "2": "pings", "3": "reserved-bits", "4": "opcodes", "5": "fragmentation",
             "6": "utf8", "7": "close", "9": "sizes"}
    total = 0
    for category, recs in sorted(cases.items(), key=lambda kv: int(kv[0])):
        path = os.path.join(OUT, f"{int(category):02d}-{names[category]}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for rec in recs:
                f.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")
        total += len(recs)
        print(f"{path}: {len(recs)} cases")
    print(f"{total} cases")
    os.makedirs(os.path.join(OUT, "handshake"), exist_ok=True)
    path = os.path.join(OUT, "handshake", "handshake.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for rec in handshakes:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"{path}: {len(handshakes)} handshake cases")


if __name__ == "__main__":
    main()
