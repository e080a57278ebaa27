"""A Modbus TCP server iiot did not write: pymodbus serving known values.

Usage: python3 pymodbus_server.py PORT   (binds 127.0.0.1 only)

Unit 1, zero-based addresses (what a Modbus PDU carries):
  holding 0-1   f32 ABCD   1234.5
  holding 2-3   f32 CDAB   -7.25
  holding 4-5   i32 BADC   -123456
  holding 6     u16        65535
  holding 7     i16        -2
  holding 8-11  f64 DCBA   3.141592653589793
  holding 12-15 str4       "HELLO"
  holding 16    bits       0x0008 (bit 3 set)
  holding 17-20 u64 ABCD   9007199254740993 -> read as f64
  input 0-1     u32 CDAB   4000000000
  input 2       u16        1234 (scale 0.1 -> 123.4)
  coils 0-2     1 0 1
  discrete 0-1  0 1
"""

import struct
import sys

from pymodbus.datastore import (
    ModbusDeviceContext,
    ModbusSequentialDataBlock,
    ModbusServerContext,
)
from pymodbus.server import StartTcpServer


def words(fmt, value):
    b = struct.pack(fmt, value)
    return [int.from_bytes(b[i : i + 2], "big") for i in range(0, len(b), 2)]


def swap_words(ws):
    return list(reversed(ws))


def swap_bytes(ws):
    return [((w & 0xFF) << 8) | (w >> 8) for w in ws]


holding = (
    words(">f", 1234.5)
    + swap_words(words(">f", -7.25))
    + swap_bytes(words(">i", -123456))
    + words(">H", 65535)
    + words(">h", -2)
    + swap_bytes(swap_words(words(">d", 3.141592653589793)))
    + [int.from_bytes(b"HE", "big"), int.from_bytes(b"LL", "big"), int.from_bytes(b"O\0", "big"), 0]
    + [0x0008]
    + words(">Q", 9007199254740993)
)
inputs = swap_words(words(">I", 4000000000)) + [1234]

# pymodbus reads a request for address A from the block at A + 1 (its
# historical one-based data model), so each block starts at 1 with the
# value for PDU address 0.
device = ModbusDeviceContext(
    hr=ModbusSequentialDataBlock(1, holding),
    ir=ModbusSequentialDataBlock(1, inputs),
    co=ModbusSequentialDataBlock(1, [1, 0, 1]),
    di=ModbusSequentialDataBlock(1, [0, 1]),
)
context = ModbusServerContext(devices={1: device}, single=False)
StartTcpServer(context, address=("127.0.0.1", int(sys.argv[1])))
