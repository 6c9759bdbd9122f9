"""Tiny .npy files written by numpy, for test/npy.test.ts.

Run with Debian's python3 (numpy) from the project root:

    /usr/bin/python3 test/golden/make_npy_golden.py

Writes test/golden/npy/. The values are k / 7 - 1 for the k-th element in C
order (computed in float64, then cast for float32), so the test can recompute
them. Readable: float64 and float32 in format versions 1.0, 2.0 and 3.0, ranks
0 to 3, an empty array. Rejected: Fortran order, big-endian, int64, a
structured dtype, a truncated file.
"""
import os

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'npy')
os.makedirs(OUT, exist_ok=True)


def values(shape, dtype):
    return (np.arange(int(np.prod(shape)), dtype=np.float64) / 7 - 1).reshape(shape).astype(dtype)


def write(name, array, version=None):
    with open(os.path.join(OUT, name), 'wb') as f:
        npformat.write_array(f, array, version=version, allow_pickle=False)


write('f8_v1.npy', values((3, 4), np.float64))
write('f4_v1.npy', values((2, 5), np.float32))
write('f8_v2.npy', values((4, 2), np.float64), version=(2, 0))
write('f4_v3.npy', values((2, 3), np.float32), version=(3, 0))
write('f8_scalar.npy', values((), np.float64))
write('f8_1d.npy', values((6,), np.float64))
write('f4_3d.npy', values((2, 3, 4), np.float32))
write('f8_empty.npy', values((0, 3), np.float64))
write('bad_fortran.npy', np.asfortranarray(values((3, 4), np.float64)))
write('bad_bigendian.npy', values((3, 4), '>f8'))
write('bad_int64.npy', np.arange(12, dtype=np.int64).reshape(3, 4))
write('bad_structured.npy', np.zeros(3, dtype=[('a', '<f8'), ('b', '<f4')]))
with open(os.path.join(OUT, 'f8_v1.npy'), 'rb') as f:
    whole = f.read()
with open(os.path.join(OUT, 'bad_truncated.npy'), 'wb') as f:
    f.write(whole[:-8])
print(f'wrote {len(os.listdir(OUT))} files to {OUT} (numpy {np.__version__})')
