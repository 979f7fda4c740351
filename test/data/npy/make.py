#!/usr/bin/env python3
"""Regenerates the .npy fixtures in this folder with real numpy (tested with numpy 1.24).

    cd test/data/npy && /usr/bin/python3 make.py

Writes one small file per case plus expected.json: for each readable file its dtype, shape
and flattened C-order values as strings (repr of the Python value, so nan/inf/-0.0 and
int64 beyond 2**53 are exact). Files listed under "invalid" must be refused by the reader.
"""
import json
import numpy as np
from numpy.lib import format as npf

cases = {}


def save(name, arr, version=None, expect=True):
    with open(name, 'wb') as f:
        if version is None:
            np.save(f, arr, allow_pickle=arr.dtype == object)
        else:
            npf.write_array(f, arr, version=version)
    if expect:
        flat = np.ascontiguousarray(arr).reshape(-1)
        if arr.dtype == np.bool_:
            vals = [str(int(v)) for v in flat]
        elif arr.dtype.kind == 'f':
            vals = [repr(float(v)) for v in flat]
        else:
            vals = [str(int(v)) for v in flat]
        cases[name] = {'dtype': arr.dtype.str, 'shape': list(arr.shape), 'values': vals}


special = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.1e-5, 6e-8, np.inf, -np.inf, np.nan, 0.1, 1.0 / 3]
save('f4_2x3.npy', (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3))
save('f4_be_2x2.npy', np.array([[1.5, -2.25], [3.0e-38, 1e30]], dtype='>f4'))
save('f8_special.npy', np.array(special, dtype='<f8'))
save('f8_be_3.npy', np.array([1.0 / 3, -1e300, 5e-324], dtype='>f8'))
save('f2_special.npy', np.array(special, dtype='<f2'))
save('f2_be_2.npy', np.array([1.0, -0.5], dtype='>f2'))
save('i1.npy', np.array([-128, -1, 0, 127], dtype='i1'))
save('i2_be.npy', np.array([-32768, 258, 32767], dtype='>i2'))
save('i4_2x2.npy', np.array([[-2**31, -1], [0, 2**31 - 1]], dtype='<i4'))
save('i8.npy', np.array([-2**63, -1, 0, 2**53 + 1, 2**63 - 1], dtype='<i8'))
save('i8_be.npy', np.array([-2, 2**40 + 7], dtype='>i8'))
save('u1_2x2x2.npy', np.arange(0, 256, 32, dtype='u1').reshape(2, 2, 2))
save('b1.npy', np.array([True, False, True, True, False]))
save('scalar_f4.npy', np.array(3.5, dtype='<f4'))
save('empty_0x3_f4.npy', np.zeros((0, 3), dtype='<f4'))
save('empty_1d_i8.npy', np.zeros((0,), dtype='<i8'))
save('v2_f4.npy', np.array([[1, 2], [3, 4]], dtype='<f4'), version=(2, 0))
save('v3_i4.npy', np.array([7, -7], dtype='<i4'), version=(3, 0))
# Refused by the reader:
save('bad_fortran.npy', np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)), expect=False)
save('bad_complex.npy', np.array([1 + 2j], dtype='<c8'), expect=False)
save('bad_object.npy', np.array([1, 'a'], dtype=object), expect=False)
save('bad_struct.npy', np.zeros(2, dtype=[('a', '<i4'), ('b', '<f4')]), expect=False)
save('bad_u4.npy', np.array([1, 2], dtype='<u4'), expect=False)

with open('expected.json', 'w') as f:
    json.dump({'numpy': np.__version__, 'valid': cases,
               'invalid': ['bad_fortran.npy', 'bad_complex.npy', 'bad_object.npy', 'bad_struct.npy', 'bad_u4.npy']},
              f, indent=1)
