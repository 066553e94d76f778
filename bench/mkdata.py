#!/usr/bin/env python3
"""Write the benchmark dataset: N files of random bytes, 512 B to 8 KiB each.

Files go to OUT/dNNN/fNNNNNN.bin, spread round-robin over up to 100 subdirectories.
The sequence is seeded (random.Random(42)), so the same N gives the same bytes on
every machine with the same Python major version.

    python3 bench/mkdata.py OUT N
    python3 bench/mkdata.py --big OUT/big.bin SIZE_MIB   # one large file, 1 MiB blocks
"""
import os
import random
import sys


def small_files(out, count):
    rng = random.Random(42)
    for i in range(count):
        sub = os.path.join(out, "d%03d" % (i % 100))
        os.makedirs(sub, exist_ok=True)
        size = rng.randint(512, 8192)
        with open(os.path.join(sub, "f%06d.bin" % i), "wb") as f:
            f.write(rng.randbytes(size))


def big_file(path, mib):
    rng = random.Random(7)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    block = rng.randbytes(1 << 20)
    with open(path, "wb") as f:
        for i in range(mib):
            # Vary each block cheaply so the file does not compress or dedupe.
            f.write(i.to_bytes(8, "little") + block[8:])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--big":
        big_file(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3:
        small_files(sys.argv[1], int(sys.argv[2]))
    else:
        sys.exit(__doc__)
