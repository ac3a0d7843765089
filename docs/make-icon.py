#!/usr/bin/env python3
"""Draws the package icon (src/Losses/icon.png, 128x128 RGBA) with the standard library only.

A falling loss curve, y = e^(-3x), in white on a rounded indigo square. Run from the repository root:
    python3 docs/make-icon.py
"""
import math
import struct
import zlib

SIZE, SAMPLES = 128, 4          # 4x4 supersampling per pixel for smooth edges
BACKGROUND = (48, 63, 159)      # indigo
CURVE = (255, 255, 255)
ACCENT = (255, 193, 7)          # amber: the point where the loss is now


def rounded_square(x, y):
    r, lo, hi = 22.0, 0.0, SIZE
    cx = min(max(x, lo + r), hi - r)
    cy = min(max(y, lo + r), hi - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def curve_distance(x, y):
    # Distance from (x, y) to the polyline of y = e^(-3t), t in [0, 1], mapped into the square with a margin.
    best = 1e9
    prev = None
    for i in range(65):
        t = i / 64
        px, py = 24 + 80 * t, 24 + 80 * (math.exp(-3 * t) - math.exp(-3)) / (1 - math.exp(-3))
        if prev is not None:
            ax, ay = prev
            dx, dy = px - ax, py - ay
            u = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
            best = min(best, math.hypot(x - ax - u * dx, y - ay - u * dy))
        prev = (px, py)
    return best


def pixel(x, y):
    counts = {"bg": 0, "curve": 0, "dot": 0}
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            fx, fy = x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES
            if not rounded_square(fx, fy):
                continue
            # Image y grows downwards: the loss curve starts high on the left and falls to the right.
            if math.hypot(fx - 104, fy - (SIZE - 24)) <= 9:
                counts["dot"] += 1
            elif curve_distance(fx, SIZE - fy) <= 5:
                counts["curve"] += 1
            else:
                counts["bg"] += 1
    n = SAMPLES * SAMPLES
    covered = sum(counts.values())
    if covered == 0:
        return (0, 0, 0, 0)
    rgb = [sum(c[k] * counts[name] for name, c in (("bg", BACKGROUND), ("curve", CURVE), ("dot", ACCENT))) / covered
           for k in range(3)]
    return (round(rgb[0]), round(rgb[1]), round(rgb[2]), round(255 * covered / n))


def png(width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(v for p in row for v in p) for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    rows = [[pixel(x, y) for x in range(SIZE)] for y in range(SIZE)]
    with open("src/Losses/icon.png", "wb") as f:
        f.write(png(SIZE, SIZE, rows))
    print("wrote src/Losses/icon.png")
