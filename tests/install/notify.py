#!/usr/bin/env python3
"""A NOTIFY_SOCKET for the install suite: binds a datagram socket at PATH
and appends each message to OUT as one line (its newlines shown as " | "),
as systemd's manager would receive them from sd_notify."""
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
with open(out, "a", buffering=1, encoding="utf-8") as f:
    while True:
        msg = sock.recv(4096).decode(errors="replace")
        f.write(msg.replace("\n", " | ") + "\n")
