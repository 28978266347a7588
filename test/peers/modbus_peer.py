#!/usr/bin/python3
"""A Modbus slave for tests, served by pymodbus: RTU on a serial port (a socat pty) or TCP on 127.0.0.1.

    modbus_peer.py --rtu /tmp/ttyX [--baud 9600] --map MAP
    modbus_peer.py --tcp 1502 --map MAP

MAP is JSON (inline or a file name): {"size": 200, "units": {"1": {"holding": {"0": [215, 16933]},
"input": {...}, "coil": {"3": [1, 0, 1]}, "discrete": {...}}}}: per unit and table, a start
address (0-based, as on the wire) and the values from there; every other address up to size
holds 0, and addresses beyond size answer "illegal data address"; with "sparse": true only the
addresses given exist. Units not in the map do not answer at all.

It prints "ready" once it serves. Lines on stdin change it while it runs:
    set UNIT TABLE ADDRESS VALUE...   write values
    mute UNIT / unmute UNIT           the unit stops / starts answering
    requests                          prints how many read requests each unit has answered, as JSON
"""
import argparse
import asyncio
import json
import os
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.transaction import ModbusRtuFramer

TABLES = {"holding": "hr", "input": "ir", "coil": "co", "discrete": "di"}
FC = {"holding": 3, "input": 4, "coil": 1, "discrete": 2}


class CountingSlave(ModbusSlaveContext):
    """Counts the reads it answers (one getValues per request), so tests can see how requests were grouped."""

    requests = 0

    def getValues(self, fc_as_hex, address, count=1):
        self.requests += 1
        return super().getValues(fc_as_hex, address, count)


def slave(tables, size, sparse):
    blocks = {}
    for table, key in TABLES.items():
        if sparse:
            # Only the addresses given exist, like a device that refuses reads across holes.
            blocks[key] = ModbusSparseDataBlock({int(start): data for start, data in tables.get(table, {}).items()})
            continue
        values = [0] * size
        for start, data in tables.get(table, {}).items():
            for i, v in enumerate(data if isinstance(data, list) else [data]):
                values[int(start) + i] = int(v)
        blocks[key] = ModbusSequentialDataBlock(0, values)
    # zero_mode: address 0 on the wire is the block's first value (pymodbus shifts by one otherwise).
    return CountingSlave(zero_mode=True, **blocks)


async def commands(context, units):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode():
        words = line.split()
        if not words:
            continue
        if words[0] == "set":
            unit, table, address = int(words[1]), words[2], int(words[3])
            units[unit].setValues(FC[table], address, [int(v) for v in words[4:]])
        elif words[0] == "mute":
            context._slaves.pop(int(words[1]), None)
        elif words[0] == "unmute":
            context._slaves[int(words[1])] = units[int(words[1])]
        elif words[0] == "requests":
            print(json.dumps({u: s.requests for u, s in units.items()}), flush=True)
            continue
        print("ok", flush=True)


async def main():
    ap = argparse.ArgumentParser()
    bus = ap.add_mutually_exclusive_group(required=True)
    bus.add_argument("--rtu")
    bus.add_argument("--tcp", type=int)
    ap.add_argument("--baud", type=int, default=9600)
    ap.add_argument("--map", required=True)
    args = ap.parse_args()
    spec = json.load(open(args.map)) if os.path.exists(args.map) else json.loads(args.map)
    size = spec.get("size", 200)
    units = {int(u): slave(t, size, spec.get("sparse", False)) for u, t in spec["units"].items()}
    context = ModbusServerContext(slaves=dict(units), single=False)
    if args.rtu:
        # The serial server's default framer is ASCII: RTU must be asked for.
        server = await StartAsyncSerialServer(context, framer=ModbusRtuFramer, port=args.rtu, baudrate=args.baud, ignore_missing_slaves=True, defer_start=True)
        await server.start()
        if server.transport is None:
            sys.exit(f"cannot open {args.rtu}")
    else:
        # Reusing the address lets a restarted peer bind while the killed one's connections are in TIME_WAIT.
        server = await StartAsyncTcpServer(context, address=("127.0.0.1", args.tcp), ignore_missing_slaves=True, allow_reuse_address=True, defer_start=True)
    serving = asyncio.ensure_future(server.serve_forever())
    if args.tcp:
        # pymodbus hangs silently when it cannot bind: wait until it listens, or fail loudly.
        done, _ = await asyncio.wait([serving, server.serving], return_when=asyncio.FIRST_COMPLETED)
        if serving in done:
            serving.result()
            sys.exit("TCP server stopped")
    print("ready", flush=True)
    await asyncio.gather(serving, commands(context, units))


asyncio.run(main())
