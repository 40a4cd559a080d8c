#!/usr/bin/env python3
"""Fails when a secret appears in a log.

usage: no-secrets.py SECRETS LOG...

SECRETS holds one secret per line, "label hex-bytes" (a PSK file's text is
given as the hex of its bytes). Every 8-byte window of every secret is
looked for in every log as raw bytes and as hex, plain or separated by
spaces, colons or "0x" prefixes, in either case, so a key printed whole,
truncated or dumped byte by byte is found. Only labels and offsets are
printed, never the secret. Exit 0: none found; 1: found; 2: bad input
(including an empty SECRETS, which would make the check vacuous).
"""
import re
import sys

WINDOW = 8


def forms(chunk):
    h = chunk.hex()
    pairs = [h[i : i + 2] for i in range(0, len(h), 2)]
    return [h, " ".join(pairs), ":".join(pairs), " ".join("0x" + p for p in pairs)]


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    secrets = []
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            label, hexbytes = line.split()
            secret = bytes.fromhex(hexbytes)
            if len(secret) < WINDOW:
                print(f"no-secrets: {label}: shorter than {WINDOW} bytes", file=sys.stderr)
                return 2
            secrets.append((label, secret))
    if not secrets:
        print("no-secrets: no secrets to look for", file=sys.stderr)
        return 2
    found = 0
    for path in sys.argv[2:]:
        raw = open(path, "rb").read()
        # Hex in any case, any separator run collapsed to one space.
        text = re.sub(rb"[ \t]+", b" ", raw.lower()).decode("latin-1")
        for label, secret in secrets:
            for off in range(len(secret) - WINDOW + 1):
                chunk = secret[off : off + WINDOW]
                if chunk in raw or any(form in text for form in forms(chunk)):
                    print(f"no-secrets: {path}: {label} (bytes {off}..{off + WINDOW - 1})",
                          file=sys.stderr)
                    found += 1
                    break
    print(f"no-secrets: {len(secrets)} secrets, {len(sys.argv) - 2} logs, {found} leaks")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
