#!/usr/bin/env python3
"""Generates the libFuzzer dictionary for the SGP packet targets from the schema.

Usage: gen_dict.py proto/sgp.proto -o build/fuzz/fuzz/sgp.dict

Reads every `message` field (number, scalar type, repeated or not) and `enum` value of the
.proto, and the max_count / max_size bounds of the nanopb .options file next to it, and emits:
  - the key (tag) bytes of every field with every wire type 0..5 (the canonical one and the
    wrong ones, so the fuzzer reaches the wire-type, order and unknown-field checks), plus
    keys of unknown field numbers (0, the next free number, 15/16 where the key grows to two
    bytes, the largest field number 2^29-1);
  - enum values, protocol constants (version 1, suspicion/sub-score limits and their +1);
  - varint edge values: 0x7f, 0x80 0x01, UINT32_MAX, 2^32, the 10-byte maximum, an 11-byte
    varint, overlong/non-minimal forms (0x80 0x00, 0xff 0x80 0x00), a lone continuation byte;
  - count and size bounds from the .options file, as varints and +1;
  - the 64-byte signature length byte (0x40) and sig key + length, the packed sub-score
    header, and the fixed64 tag key with a zero and an all-ones value.
The output is deterministic (same schema -> same bytes) and is written at build time; it is
never committed.

With --headers DIR (ref/include/sgp) it also writes the frame dictionaries, from the enum
constants of the transport headers (so a changed constant moves the dictionary with it):
  --session-out FILE  (fuzz_session, fuzz_reasm): datagram type bytes 1-4 with their reserved
      bytes and the defined flags, the minimum and maximum sizes (1200, 42, 92, 100, 64, the
      26-byte data header, 1158-byte fragments, 1100/1108 SYN/ACK) as the scripts' u16 lengths,
      one-fragment and keepalive fragment headers, counter edges, timer steps;
  --carrier-out FILE  (fuzz_carrier): the carrier magics ("P5", "RIFF", "WAVE", "fmt ", "data"),
      PGM header pieces and dimension edges, the canonical WAV fields and sample-rate edges,
      the u16 length prefix of the embedded stream.
"""
import argparse
import os
import re
import sys

SCALAR_WIRE = {
    "int32": 0, "int64": 0, "uint32": 0, "uint64": 0, "sint32": 0, "sint64": 0, "bool": 0,
    "fixed64": 1, "sfixed64": 1, "double": 1,
    "string": 2, "bytes": 2,
    "fixed32": 5, "sfixed32": 5, "float": 5,
}
PACKABLE = {0, 1, 5}


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def parse_proto(text):
    text = re.sub(r"//[^\n]*", "", text)
    messages, enums = {}, {}
    for kind, name, body in re.findall(r"\b(message|enum)\s+(\w+)\s*\{([^}]*)\}", text):
        if kind == "enum":
            enums[name] = [(n, int(v)) for n, v in re.findall(r"(\w+)\s*=\s*(-?\d+)\s*;", body)]
            continue
        fields = []
        for rep, ftype, fname, num in re.findall(
                r"(repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;", body):
            fields.append((fname, ftype, int(num), bool(rep)))
        messages[name] = fields
    return messages, enums


def canonical_wire(ftype, repeated, enums):
    if ftype in SCALAR_WIRE:
        wt = SCALAR_WIRE[ftype]
    elif ftype in enums:
        wt = 0
    else:
        return 2  # message
    if repeated and wt in PACKABLE:
        return 2  # proto3 packs repeated scalars
    return wt


def parse_options(path):
    bounds = []
    if not os.path.exists(path):
        return bounds
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0]
            for key, val in re.findall(r"(max_count|max_size):(\d+)", line):
                bounds.append((line.split()[0] + "." + key, int(val)))
    return bounds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("proto")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--headers", help="ref/include/sgp, for the frame dictionaries")
    ap.add_argument("--session-out")
    ap.add_argument("--carrier-out")
    args = ap.parse_args()
    if args.headers:
        consts = header_constants(args.headers)
        if args.session_out:
            write_dict(args.session_out, "the transport headers", session_entries(consts))
        if args.carrier_out:
            write_dict(args.carrier_out, "carrier.h", carrier_entries(consts))
    with open(args.proto, encoding="utf-8") as f:
        messages, enums = parse_proto(f.read())
    if not messages:
        sys.exit(f"gen_dict: no message in {args.proto}")

    entries = []  # (name, bytes), deduplicated by bytes below

    def add(name, data):
        entries.append((re.sub(r"[^A-Za-z0-9_]", "_", name), bytes(data)))

    for msg, fields in messages.items():
        for fname, ftype, num, rep in fields:
            want = canonical_wire(ftype, rep, enums)
            for wt in range(6):
                tag = "canon" if wt == want else f"wt{wt}"
                add(f"key_{msg}_{fname}_{tag}", varint(num << 3 | wt))
        used = {num for _, _, num, _ in fields}
        free = max(used) + 1
        add(f"key_{msg}_unknown_{free}", varint(free << 3))
        add(f"key_{msg}_unknown_{free}_len", varint(free << 3 | 2))
    for num in (0, 15, 16, (1 << 29) - 1):
        add(f"key_field_{num}", varint(num << 3))
        add(f"key_field_{num}_len", varint(num << 3 | 2))
    for ename, values in enums.items():
        for vname, v in values:
            add(f"enum_{ename}_{vname}", varint(v & 0xFFFFFFFFFFFFFFFF))

    for name, v in [("v0", 0), ("v1", 1), ("v7f", 0x7F), ("v80", 0x80), ("v3fff", 0x3FFF),
                    ("v4000", 0x4000), ("u32_max", 0xFFFFFFFF), ("u32_max_plus1", 1 << 32),
                    ("u64_max", (1 << 64) - 1), ("susp_max", 5000), ("susp_over", 5001),
                    ("theta_suspect", 2500), ("theta_compromised", 4000), ("sub_max", 1000),
                    ("sub_over", 1001), ("max_nodes", 16384), ("max_node_id", 16383),
                    ("max_packet", 262144), ("max_packet_over", 262145)]:
        add(f"varint_{name}", varint(v))
    add("varint_11_bytes", b"\xff" * 10 + b"\x01")
    add("varint_10_bytes_bad_top", b"\xff" * 9 + b"\x02")
    add("varint_nonminimal_0", b"\x80\x00")
    add("varint_nonminimal_1", b"\x81\x00")
    add("varint_nonminimal_long", b"\xff\x80\x00")
    add("varint_open", b"\x80")

    for name, v in parse_options(os.path.join(os.path.dirname(args.proto),
                                              os.path.splitext(os.path.basename(args.proto))[0]
                                              + ".options")):
        add(f"bound_{name}", varint(v))
        add(f"bound_{name}_over", varint(v + 1))

    # Field-specific fragments, looked up by name so a schema change moves them with it.
    fields = {(m, f): (num, ftype, rep) for m, fl in messages.items() for f, ftype, num, rep in fl}
    if ("Report", "sig") in fields:
        num = fields[("Report", "sig")][0]
        add("sig_len_64", b"\x40")
        add("sig_key_len_64", varint(num << 3 | 2) + b"\x40")
        add("sig_key_len_63", varint(num << 3 | 2) + b"\x3f")
    if ("Report", "sub") in fields:
        num = fields[("Report", "sub")][0]
        add("sub_packed_5_zero", varint(num << 3 | 2) + b"\x05" + b"\x00" * 5)
        add("sub_packed_5_max", varint(num << 3 | 2) + b"\x0a" + varint(1000) * 5)
    if ("Version", "tag") in fields:
        num = fields[("Version", "tag")][0]
        add("tag_zero", varint(num << 3 | 1) + b"\x00" * 8)
        add("tag_ones", varint(num << 3 | 1) + b"\xff" * 8)
    if ("Packet", "version") in fields:
        add("packet_version_1", varint(fields[("Packet", "version")][0] << 3) + b"\x01")

    write_dict(args.output, os.path.basename(args.proto), entries)


def write_dict(path, source, entries):
    seen, lines = set(), []
    for name, data in entries:
        name = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if data in seen:
            continue
        seen.add(data)
        lines.append(f'{name}="' + "".join(f"\\x{b:02x}" for b in data) + '"')
    with open(path, "w", encoding="ascii") as f:
        f.write(f"# Generated by fuzz/gen_dict.py from {source}; do not edit.\n")
        f.write("\n".join(lines) + "\n")


def header_constants(d):
    """Every `SGP_NAME = number` enum constant of the transport headers."""
    consts = {}
    for h in ("session.h", "cookie.h", "fragment.h", "carrier.h", "limits.h"):
        path = os.path.join(d, h)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        for name, val in re.findall(r"\b(SGP_[A-Z0-9_]+)\s*=\s*(0x[0-9A-Fa-f]+|\d+)\s*[,}]", text):
            consts[name] = int(val, 0)
    return consts


def u16(v):
    return (v & 0xFFFF).to_bytes(2, "big")


def u32(v):
    return (v & 0xFFFFFFFF).to_bytes(4, "big")


def session_entries(c):
    e = []
    types = [("initiation", c.get("SGP_MSG_INITIATION", 1)), ("response", c.get("SGP_MSG_RESPONSE", 2)),
             ("cookie_reply", c.get("SGP_MSG_COOKIE_REPLY", 3)), ("data", c.get("SGP_MSG_DATA", 4))]
    for name, t in types:
        e.append((f"type_{name}", bytes([t])))
        e.append((f"type_{name}_reserved", bytes([t, 0, 0, 0])))
    data = c.get("SGP_MSG_DATA", 4)
    for flags in (0x00, 0x01, 0x03, 0x02, 0x04, 0xff):
        e.append((f"data_flags_{flags:02x}", bytes([data, flags, 0, 0])))
    for name in ("SGP_DGRAM_MAX", "SGP_INITIATION_MIN", "SGP_RESPONSE_MIN", "SGP_DATA_MIN",
                 "SGP_SYN_MAX", "SGP_ACK_MAX", "SGP_DATA_HDR_BYTES", "SGP_DATA_PT_MAX",
                 "SGP_COOKIE_REPLY_BYTES", "SGP_FRAG_DATA", "SGP_FRAG_AONT_MIN",
                 "SGP_REASM_TIMEOUT_MS", "SGP_FRAG_MAX_DATA_FRAGS", "SGP_FRAG_MAX_FRAGMENTS"):
        if name in c:
            v = c[name]
            e.append((f"u16_{name}", u16(v)))
            e.append((f"u16_{name}_plus1", u16(v + 1)))
            e.append((f"u16_{name}_minus1", u16(v - 1)))
    for name in ("SGP_FRAG_MAX_PLAIN", "SGP_FRAG_MAX_MESSAGE"):
        if name in c:
            e.append((f"u32_{name}", u32(c[name])))
            e.append((f"u32_{name}_plus1", u32(c[name] + 1)))
    # fragment header (msg_id, index, count, total_len): one fragment of 5 bytes, keepalive,
    # the largest message, parity index
    e.append(("fhdr_one", u32(1) + bytes([0, 1]) + u32(5)))
    e.append(("fhdr_keepalive", bytes(10)))
    e.append(("fhdr_max", u32(1) + bytes([0, 228]) + u32(c.get("SGP_FRAG_MAX_MESSAGE", 262176))))
    e.append(("counter_zero", bytes(8)))
    e.append(("counter_reject", (1 << 60).to_bytes(8, "big")))
    e.append(("counter_max", b"\xff" * 8))
    e.append(("index_zero", bytes(4)))
    e.append(("stamp_gen3", u32(3) + u32(1)))
    e.append(("mac_zero", bytes(16)))
    return e


def carrier_entries(c):
    e = [("pgm_magic", b"P5"), ("pgm_magic_nl", b"P5\n"), ("pgm_maxval", b"\n255\n"),
         ("pgm_maxval_bad", b"\n256\n"), ("pgm_gen_width", b"128 "), ("pgm_comment", b"#"),
         ("riff", b"RIFF"), ("wave", b"WAVE"), ("fmt", b"fmt "), ("data", b"data"),
         ("wav_fmt_pcm_mono16", (16).to_bytes(4, "little") + (1).to_bytes(2, "little") +
          (1).to_bytes(2, "little")),
         ("wav_bits16", (2).to_bytes(2, "little") + (16).to_bytes(2, "little"))]
    dim = c.get("SGP_CARRIER_PGM_MAX_DIM", 4096)
    for v in (1, 9, 10, dim, dim + 1, 10 * dim):
        e.append((f"pgm_dim_{v}", str(v).encode() + b" "))
        e.append((f"pgm_dim_{v}_nl", str(v).encode() + b"\n"))
    for name in ("SGP_CARRIER_WAV_MIN_RATE", "SGP_CARRIER_WAV_MAX_RATE"):
        v = c.get(name)
        if v:
            for d in (-1, 0, 1):
                e.append((f"rate_{name}_{d}", (v + d).to_bytes(4, "little")))
    for name in ("SGP_CARRIER_MAX_PAYLOAD", "SGP_CARRIER_MAX_FRAME"):
        v = c.get(name)
        if v:
            e.append((f"u16_{name}", u16(v)))
            e.append((f"u16_{name}_plus1", u16(v + 1)))
    e += [("raw_type_1", b"\x01"), ("raw_type_4", b"\x04"), ("raw_type_5", b"\x05")]
    return e


if __name__ == "__main__":
    main()
