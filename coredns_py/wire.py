"""Screening a packet before dnslib sees it, the way CoreDNS's DNS library (miekg/dns) does.

miekg/dns (server.go serveDNS, acceptfunc.go, msg.go) decides in this order, and CoreDNS answers what it decides:
- fewer than 12 bytes (no header): drop, no answer ("they are sending crap; any reply can be used to amplify");
- QR set (a response): drop (MsgIgnore);
- opcode other than QUERY/NOTIFY: NOTIMP, header only, opcode kept (MsgRejectNotImplemented);
- qdcount != 1, ancount > 1, nscount > 1, arcount > 2: FORMERR, header only (MsgReject);
- a header with nothing after it: CoreDNS's ServeDNS finds no question and answers SERVFAIL;
- a question name that does not decode (a label length byte 0x40-0xBF, a pointer or label past the end, more than
  126 pointers (a loop), over 255 octets on the wire): FORMERR, header only;
- an answer/authority/additional record that does not decode: FORMERR with the question echoed;
- bytes after the last counted record: ignored, the query is answered.

The error answers echo the query's ID and its TC/RD/RA/AD/CD bits, clear AA and Z and (FORMERR) set opcode
QUERY, as miekg's SetRcodeFormatError on the half-read request does. They are built from bytes here, never by
packing a dnslib record, so an answer cannot fail the way the packet did.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct("!HHHHHH")
MAX_NAME_OCTETS = 255  # RFC 1035 2.3.4; miekg maxDomainNameWireOctets
MAX_POINTERS = (MAX_NAME_OCTETS + 1) // 2 - 2  # miekg maxCompressionPointers: beyond this a name loops
OPCODE_QUERY, OPCODE_NOTIFY = 0, 4
FORMERR, SERVFAIL, NOTIMP = 1, 2, 4
_QR, _AA, _TC, _RD, _RA, _Z, _AD, _CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0040, 0x0020, 0x0010
_ECHOED = _TC | _RD | _RA | _AD | _CD  # the bits miekg's setHdr copies and SetRcodeFormatError leaves alone


class Malformed(Exception):
    """Wire data that does not decode; the message is the reason a log line gives."""


@dataclass(frozen=True)
class Verdict:
    """What to do with a packet that is not a well-formed query: `answer` None means drop it."""
    answer: bytes | None
    reason: str


def screen(data: bytes) -> Verdict | None:
    """None when the packet may go on to be parsed and served; otherwise the answer (or silence) CoreDNS gives."""
    if len(data) < HEADER.size:
        return Verdict(None, f"{len(data)}-byte packet, shorter than a DNS header")
    _, flags, qdcount, ancount, nscount, arcount = HEADER.unpack_from(data)
    if flags & _QR:
        return Verdict(None, "a response, not a query")
    opcode = (flags >> 11) & 0xF
    if opcode not in (OPCODE_QUERY, OPCODE_NOTIFY):
        return Verdict(error_answer(data, NOTIMP), f"opcode {opcode} not implemented")
    if qdcount != 1 or ancount > 1 or nscount > 1 or arcount > 2:
        return Verdict(error_answer(data, FORMERR),
                       f"section counts qd={qdcount} an={ancount} ns={nscount} ar={arcount}")
    if len(data) == HEADER.size:
        return Verdict(servfail_answer(data), "no question")
    try:
        name, offset = decode_name(data, HEADER.size)
    except Malformed as exc:
        return Verdict(error_answer(data, FORMERR), f"question name: {exc}")
    if offset + 4 > len(data):
        # miekg lets a question without qtype/qclass through as type 0 class 0; we refuse it (RFC 1035 4.1.2
        # makes both fields mandatory) rather than forward a type-0 query upstream.
        return Verdict(error_answer(data, FORMERR), "question truncated after its name")
    question = encode_name(name) + data[offset:offset + 4]
    try:
        offset += 4
        for _ in range(ancount + nscount + arcount):
            offset = _skip_record(data, offset)
    except Malformed as exc:
        return Verdict(error_answer(data, FORMERR, question), f"record after the question: {exc}")
    return None


def decode_name(data: bytes, offset: int) -> tuple[list[bytes], int]:
    """The labels of the name at offset and the offset just past it (past the first pointer if it has one)."""
    labels: list[bytes] = []
    budget = MAX_NAME_OCTETS
    pointers = 0
    end = -1
    while True:
        if offset >= len(data):
            raise Malformed("runs past the end of the packet")
        length = data[offset]
        kind = length & 0xC0
        if kind == 0xC0:
            if offset + 1 >= len(data):
                raise Malformed("pointer runs past the end of the packet")
            pointers += 1
            if pointers > MAX_POINTERS:
                raise Malformed("too many compression pointers (a loop)")
            if end < 0:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | data[offset + 1]
            continue
        if kind:
            raise Malformed(f"label type 0x{kind:02x} (a label longer than 63 octets)")
        offset += 1
        if length == 0:
            return labels, (end if end >= 0 else offset)
        if offset + length > len(data):
            raise Malformed("label runs past the end of the packet")
        budget -= length + 1
        if budget <= 0:
            raise Malformed(f"name longer than {MAX_NAME_OCTETS} octets")
        labels.append(data[offset:offset + length])
        offset += length


def encode_name(labels: list[bytes]) -> bytes:
    """Uncompressed wire form, so an echoed question does not depend on offsets in the query."""
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


def _skip_record(data: bytes, offset: int) -> int:
    """Past one resource record: owner name, type, class, TTL, RDLENGTH and that many bytes of RDATA."""
    _, offset = decode_name(data, offset)
    if offset + 10 > len(data):
        raise Malformed("record header runs past the end of the packet")
    (rdlength,) = struct.unpack_from("!H", data, offset + 8)
    offset += 10 + rdlength
    if offset > len(data):
        raise Malformed("record data runs past the end of the packet")
    return offset


def error_answer(data: bytes, rcode: int, question: bytes = b"") -> bytes:
    """miekg's reject answer: ID and TC/RD/RA/AD/CD echoed; FORMERR forces opcode QUERY, NOTIMP keeps it."""
    query_id, flags = struct.unpack_from("!HH", data)
    opcode = (flags >> 11) & 0xF if rcode == NOTIMP else OPCODE_QUERY
    bits = _QR | (opcode << 11) | (flags & _ECHOED) | rcode
    return HEADER.pack(query_id, bits, 1 if question else 0, 0, 0, 0) + question


def servfail_answer(data: bytes, question: bytes = b"") -> bytes:
    """CoreDNS's errorAndMetricsFunc (dns.Msg.SetRcode): ID and opcode echoed, RD and CD too for a QUERY."""
    query_id, flags = struct.unpack_from("!HH", data)
    opcode = (flags >> 11) & 0xF
    bits = _QR | (opcode << 11) | SERVFAIL | ((flags & (_RD | _CD)) if opcode == OPCODE_QUERY else 0)
    return HEADER.pack(query_id, bits, 1 if question else 0, 0, 0, 0) + question


def question_of(data: bytes) -> bytes:
    """The first question of a screened query, uncompressed (b"" if there is none)."""
    try:
        name, offset = decode_name(data, HEADER.size)
    except Malformed:
        return b""
    return encode_name(name) + data[offset:offset + 4] if offset + 4 <= len(data) else b""
