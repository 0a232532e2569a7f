"""Writing TensorBoard event files: records of ``Event`` protocol buffers (encoded
here by hand: wall time, step, and scalar summaries), each framed as TFRecord
does (length, masked CRC-32C of the length, data, masked CRC-32C of the data)."""

import os
import socket
import struct
import time


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)  # CRC-32C (Castagnoli), reflected
        table.append(c)
    return table


_TABLE = _crc_table()


def _masked_crc(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    c ^= 0xFFFFFFFF
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n):
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number, payload):  # a length-delimited field (wire type 2)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _event(step, **fields):
    out = b"\x09" + struct.pack("<d", time.time()) + b"\x10" + _varint(step)
    if "file_version" in fields:
        out += _field(3, fields["file_version"].encode())
    if "scalars" in fields:  # Summary { repeated Value { tag = 1; simple_value = 2 } }
        values = b"".join(_field(1, _field(1, tag.encode()) + b"\x15" + struct.pack("<f", float(v)))
                          for tag, v in fields["scalars"].items())
        out += _field(5, values)
    return out


class EventFileWriter:
    """Appends scalar summaries to a new event file in ``logdir`` (created if needed)."""

    def __init__(self, logdir):
        os.makedirs(logdir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.{id(self)}.v2"
        self.path = os.path.join(logdir, name)
        self._file = open(self.path, "wb")
        self._write(_event(0, file_version="brain.Event:2"))

    def _write(self, data):
        header = struct.pack("<Q", len(data))
        self._file.write(header + struct.pack("<I", _masked_crc(header)) + data +
                         struct.pack("<I", _masked_crc(data)))

    def scalars(self, values, step):
        """Writes ``{tag: number}`` at ``step``."""
        self._write(_event(int(step), scalars=values))
        self._file.flush()

    def close(self):
        self._file.close()
