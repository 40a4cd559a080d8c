#!/usr/bin/env python3
"""Writes the ML-ESP known-answer vectors (shared/vectors/mlesp.json) as a
pcap, each in an outer IPv4 header (protocol 50), plus one packet of
mmlipsec's ESP (IV = 0 || sequence) that must stay Wireshark's ESP.
Usage: vec-pcap.py VECTORS.json OUT.pcap; prints one line per vector:
spi z1_len key salt inner-src inner-dst."""
import json
import struct
import sys


def ipv4(payload, proto, src, dst):
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                      bytes(src), bytes(dst))
    s = sum(struct.unpack(">10H", hdr))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return hdr[:10] + struct.pack(">H", ~s & 0xffff) + hdr[12:] + payload


def main():
    vecs = json.load(open(sys.argv[1]))["vectors"]
    frames = []
    for v in vecs:
        frames.append(ipv4(bytes.fromhex(v["esp"]), 50, [10, 0, 2, 1], [10, 0, 2, 2]))
        inner = bytes.fromhex(v["inner_packet"])
        print(v["spi"], v["z1_len"], v["zone1"]["key"], v["zone1"]["salt"],
              ".".join(map(str, inner[12:16])), ".".join(map(str, inner[16:20])))
    # ESP: SPI 0x2100, seq 7, IV 0 || 7, 32 bytes of "ciphertext", ICV.
    esp = struct.pack(">IIII", 0x2100, 7, 0, 7) + bytes(range(32)) + bytes(16)
    frames.append(ipv4(esp, 50, [10, 0, 2, 1], [10, 0, 2, 2]))
    with open(sys.argv[2], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))  # raw IPv4
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)


main()
