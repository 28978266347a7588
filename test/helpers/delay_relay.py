#!/usr/bin/env python3
"""Joins two network namespaces by a TUN device in each and holds every packet for a fixed time.

This kernel has no sch_netem, so the delay of a slow link is made here: each IP packet the kernel
routes out of one TUN device is written into the other after DELAY_MS (so a round trip takes twice
that). Packets keep their order per direction. Usage (as root):

    delay_relay.py DELAY_MS NS_A_PATH NAME_A NS_B_PATH NAME_B

NS_*_PATH are network namespace files (/proc/PID/ns/net). The devices exist while this runs; the
caller gives them addresses and routes once "ready" is printed.
"""
import collections
import ctypes
import fcntl
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)


def enter(ns_path):
    fd = os.open(ns_path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns_path}")
    finally:
        os.close(fd)


def tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    delay = float(sys.argv[1]) / 1000
    enter(sys.argv[2])
    a = tun(sys.argv[3])
    enter(sys.argv[4])
    b = tun(sys.argv[5])
    other = {a: b, b: a}
    queues = {a: collections.deque(), b: collections.deque()}  # by output device: (due, packet)
    poll = select.poll()
    poll.register(a, select.POLLIN)
    poll.register(b, select.POLLIN)
    print("ready", flush=True)
    while True:
        now = time.monotonic()
        due = [q[0][0] for q in queues.values() if q]
        timeout = max(0, (min(due) - now) * 1000) if due else None
        for fd, _ in poll.poll(timeout):
            while True:
                try:
                    packet = os.read(fd, 65535)
                except BlockingIOError:
                    break
                queues[other[fd]].append((time.monotonic() + delay, packet))
        now = time.monotonic()
        for out, q in queues.items():
            while q and q[0][0] <= now:
                try:
                    os.write(out, q.popleft()[1])
                except OSError:
                    pass  # the device is down, or its queue is full: the packet is lost, as on a wire


if __name__ == "__main__":
    main()
