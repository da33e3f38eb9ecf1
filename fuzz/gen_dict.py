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
    args = ap.parse_args()
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

    seen, lines = set(), []
    for name, data in entries:
        if data in seen:
            continue
        seen.add(data)
        lines.append(f'{name}="' + "".join(f"\\x{b:02x}" for b in data) + '"')
    with open(args.output, "w", encoding="ascii") as f:
        f.write(f"# Generated by fuzz/gen_dict.py from {os.path.basename(args.proto)}; do not edit.\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
