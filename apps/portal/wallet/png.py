"""A plain square PNG of one colour: the icon Apple requires in every pass.

Made here rather than shipped as a file so that each merchant's pass carries its own
colour, and so that no image library is needed for a few hundred bytes.
"""

import struct
import zlib
from functools import cache


def chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@cache
def solid_png(*, size: int, rgb: tuple[int, int, int]) -> bytes:
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit truecolour RGB
    row = b"\x00" + bytes(rgb) * size  # each row starts with filter type 0 (none)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size, 9))
        + chunk(b"IEND", b"")
    )
