#!/usr/bin/env python3
"""Writes the fuzz seeds of NEIGHBOR_NOTIFY (242) and DKM_CSA_REQUEST (243)
into tests/ike/seeds/ (engine: the layout of fuzz_engine.c's inputs; wire:
first payload type, then the chain). Run from the top directory."""
import struct

NOTIFY, NEIGHBORS, DKM_MH = 41, 131, 135
DKM_CSA_INSTALLED = 40970
SEALED, ANSWER = 1, 3  # fuzz_engine.c: first byte
X_NEIGHBOR, X_DKM = 6, 7  # fuzz_engine.c: index into exchanges[]
ANSWER_DKM = 4  # fuzz_engine.c: second byte of an answer, a DKM request
MH, HA = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])


def pl(nxt, body, critical=True):
    return struct.pack("!BBH", nxt, 0x80 if critical else 0, 4 + len(body)) + body


def dkm_mh(spis):
    return MH + HA + bytes([len(spis), 0, 0, 0]) + b"".join(struct.pack("!I", s) for s in spis)


neighbors = pl(0, bytes([2, 0, 0, 0, 10, 0, 0, 3, 10, 0, 0, 4]))
request = pl(0, dkm_mh([]))
request_spi = pl(0, dkm_mh([0x2222]))
report = pl(DKM_MH, struct.pack("!BBH", 0, 0, DKM_CSA_INSTALLED), False) + pl(0, dkm_mh([0x1111, 0x2222]))
# The previous FA's answer carries KEY_DISTRIBUTE's payloads for 10.0.0.2.
with open("tests/ike/seeds/engine/key_distribute", "rb") as f:
    key_distribute = f.read()

seeds = {
    "engine/neighbor_notify": bytes([SEALED, X_NEIGHBOR, NEIGHBORS]) + neighbors,
    "engine/dkm_csa_request": bytes([SEALED, X_DKM, DKM_MH]) + request,
    "engine/dkm_csa_request_spi": bytes([SEALED, X_DKM, DKM_MH]) + request_spi,
    "engine/dkm_report": bytes([SEALED, X_DKM, NOTIFY]) + report,
    "engine/answer_dkm": bytes([ANSWER, ANSWER_DKM]) + key_distribute[2:],
    "wire/dkm_mh": bytes([DKM_MH]) + request_spi,
    "wire/dkm_report": bytes([NOTIFY]) + report,
}
for name, data in seeds.items():
    with open("tests/ike/seeds/" + name, "wb") as f:
        f.write(data)
