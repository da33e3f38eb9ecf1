#!/usr/bin/env python3
"""Seeds of fuzz_inspect (fuzz/fuzz_inspect.c): small captures and key logs, generated.

  gen_inspect_corpus.py OUTDIR

Mode byte 0 + a capture: classic pcap in both byte orders with microsecond and nanosecond
timestamps, over every supported link type (Ethernet with and without a VLAN tag, Linux
cooked SLL and SLL2, Null/loopback, raw IP), IPv4 and IPv6, each holding SGP-shaped UDP
payloads (an initiation, a data message, a keepalive) plus a TCP and a fragmented record;
pcapng in both byte orders with two interfaces and if_tsresol.  Mode byte 1 + a key log:
well-formed session lines, a comment, an unknown record and a bad line.  Nothing binary is
committed; this script is the source.
"""
import os
import struct
import sys

PAYLOADS = [
    bytes([1, 0, 0, 0]) + struct.pack(">II", 1, 0x11223344) + bytes(32) + bytes(24 + 16) +
    bytes(32),                                           # initiation, empty SYN (100 bytes)
    struct.pack(">BBHIQIBBI", 4, 3, 0, 0xabcd, 7, 1, 0, 2, 1200) + bytes(1158 + 16)[:60],
    struct.pack(">BBHIQIBBI", 4, 0, 0, 0xabcd, 8, 0, 0, 0, 0) + bytes(16),  # keepalive
]


def udp4(payload, proto=17, frag=0, sport=41000, dport=41001):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, frag, 64, proto, 0,
                       bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2])) + udp


def udp6(payload, sport=41000, dport=41001):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    return struct.pack(">IHBB16s16s", 0x60000000, len(udp), 17, 64, bytes(15) + b"\1",
                       bytes(15) + b"\2") + udp


def link(lt, ip):
    v6 = ip[0] >> 4 == 6
    proto = 0x86DD if v6 else 0x0800
    if lt == 1:
        return bytes(12) + struct.pack(">H", proto) + ip
    if lt == 113:
        return bytes(14) + struct.pack(">H", proto) + ip
    if lt == 276:
        return struct.pack(">H", proto) + bytes(18) + ip
    if lt == 0:
        return struct.pack("<I", 10 if v6 else 2) + ip
    return ip  # 101, 228, 229


def pcap(lt, frames, le=True, ns=False):
    e = "<" if le else ">"
    magic = 0xA1B23C4D if ns else 0xA1B2C3D4
    out = [struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 65535, lt)]
    for i, f in enumerate(frames):
        out.append(struct.pack(e + "IIII", 1764150000 + i, 999 * i, len(f), len(f)) + f)
    return b"".join(out)


def pcapng(frames, le=True):
    e = "<" if le else ">"

    def block(t, body):
        body += bytes(-len(body) % 4)
        n = 12 + len(body)
        return struct.pack(e + "II", t, n) + body + struct.pack(e + "I", n)
    out = [block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))]
    out.append(block(1, struct.pack(e + "HHI", 1, 0, 65535) + struct.pack(e + "HH", 9, 1) +
                     b"\x09\0\0\0" + struct.pack(e + "HH", 0, 0)))
    out.append(block(1, struct.pack(e + "HHI", 101, 0, 65535)))
    for i, f in enumerate(frames):
        ts = 1764150000123456789 + i
        out.append(block(6, struct.pack(e + "IIIII", i % 2, ts >> 32, ts & 0xFFFFFFFF, len(f),
                                        len(f)) + f))
    out.append(block(5, b"\0" * 8))  # an interface statistics block, skipped
    return b"".join(out)


KEY_A = "00112233445566778899aabbccddeeff" * 2
KEY_B = "ffeeddccbbaa99887766554433221100" * 2


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for lt in (1, 113, 276, 0, 101):
        for v6 in (False, True):
            frames = [link(lt, udp6(p) if v6 else udp4(p)) for p in PAYLOADS]
            if not v6:
                frames += [link(lt, udp4(PAYLOADS[0], proto=6)),
                           link(lt, udp4(PAYLOADS[1], frag=0x2000))]
            for le in (True, False):
                for ns in (False, True):
                    name = "pcap-lt%d-ip%d-%s-%s" % (lt, 6 if v6 else 4, "le" if le else "be",
                                                     "ns" if ns else "us")
                    seeds[name] = b"\0" + pcap(lt, frames, le, ns)
    seeds["pcap-lt1-vlan"] = b"\0" + pcap(1, [bytes(12) + b"\x81\0\0\1\x08\0" + udp4(PAYLOADS[1])])
    seeds["pcap-lt228"] = b"\0" + pcap(228, [udp4(p) for p in PAYLOADS])
    seeds["pcap-lt229"] = b"\0" + pcap(229, [udp6(p) for p in PAYLOADS])
    for le in (True, False):
        seeds["pcapng-%s" % ("le" if le else "be")] = b"\0" + pcapng(
            [udp4(p) for p in PAYLOADS], le)
    line = "SGP_SESSION v1 2 5 0000abcd 12345678 %s %s 1764150000.123\n" % (KEY_A, KEY_B)
    seeds["keylog-ok"] = b"\1" + ("# sgpd key log\n\n" + line + line.replace(" 5 ", " 6 ")
                                  .replace("0000abcd", "0000abce")).encode()
    seeds["keylog-mixed"] = b"\3" + (line + "SGP_HANDSHAKE v1 2 5 0000abcd %s initiator\n" % KEY_A
                                     + "SGP_SESSION v1 2 2 x\n" + line).encode()
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("gen_inspect_corpus: %d seeds in %s" % (len(seeds), out))


if __name__ == "__main__":
    main()
