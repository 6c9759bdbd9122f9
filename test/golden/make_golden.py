"""Golden reference numbers for test/analysis.test.ts and test/fmri.test.ts.

Run with Debian's python3 (numpy, scipy, h5py) from the project root:

    /usr/bin/python3 test/golden/make_golden.py

Writes, next to this script:
- analysis_golden.json: participation ratios (numpy eigvalsh of the covariance),
  one-sample t-tests (scipy.stats.ttest_1samp), Pearson r and de-noising values.
- bdata_h5py.h5: a small BData file written the way bdpy does it with h5py
  (/dataset, /metadata with fixed-length byte-string keys and variable-length
  str descriptions, /vmap/<key>/<value as '1.0'>).
- bdata_h5py_legacy.h5: the same data in the legacy spelling (/dataSet, /metaData),
  with variable-length keys.
- fmri_golden.json: the Methods 4.4 analysis of bdata_h5py.h5, computed here
  independently with numpy/scipy, following the procedure documented in
  src/fmri/analysis.ts.
"""
import json
import os

import h5py
import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240611)


def participation_ratio(x, unit_norm=True):
    """PR of the PC variances of x [samples, units] after centring (and unit-norm columns)."""
    x = np.asarray(x, dtype=float)
    x = x - x.mean(axis=0)
    if unit_norm:
        norms = np.linalg.norm(x, axis=0)
        x = np.where(norms > 0, x / np.where(norms > 0, norms, 1), 0.0)
    cov = x.T @ x / (x.shape[0] - 1)
    v = np.clip(np.linalg.eigvalsh(cov), 0, None)
    return float(v.sum() ** 2 / (v ** 2).sum())


def pearson(a, b):
    return float(np.corrcoef(a, b)[0, 1])


# --- analysis_golden.json -------------------------------------------------------------
pr_cases = []
for samples, units, unit_norm, kind in [
    (12, 5, True, 'gaussian'),
    (12, 5, False, 'gaussian'),
    (7, 30, True, 'gaussian'),
    (7, 30, False, 'anisotropic'),
    (20, 150, True, 'lowrank'),
    (25, 25, True, 'anisotropic'),
]:
    if kind == 'gaussian':
        x = rng.normal(size=(samples, units))
    elif kind == 'anisotropic':
        x = rng.normal(size=(samples, units)) * (1.0 / np.arange(1, units + 1)) + 3.0
    else:
        x = rng.normal(size=(samples, 4)) @ rng.normal(size=(4, units)) + 0.3 * rng.normal(size=(samples, units))
    pr_cases.append({'samples': samples, 'units': units, 'unitNorm': unit_norm, 'data': x.ravel().tolist(),
                     'pr': participation_ratio(x, unit_norm)})

ttest_cases = []
for n, loc in [(20, 0.0), (20, 0.4), (5, -1.2), (3, 0.05), (50, 0.02), (10, 3.0)]:
    values = rng.normal(loc=loc, scale=1.0, size=n)
    res = stats.ttest_1samp(values, 0.0)
    ttest_cases.append({'values': values.tolist(), 't': float(res.statistic), 'p': float(res.pvalue),
                        'mean': float(values.mean()), 'sd': float(values.std(ddof=1))})

denoising_cases = []
for units in [5, 50]:
    clean_ff, noisy_ff, noisy_rec = rng.normal(size=(3, units))
    noisy_rec = noisy_rec + 0.8 * clean_ff
    denoising_cases.append({'cleanFf': clean_ff.tolist(), 'noisyFf': noisy_ff.tolist(), 'noisyRec': noisy_rec.tolist(),
                            'rCleanRec': pearson(clean_ff, noisy_rec), 'rCleanFf': pearson(clean_ff, noisy_ff),
                            'd': pearson(clean_ff, noisy_rec) - pearson(clean_ff, noisy_ff)})

with open(os.path.join(HERE, 'analysis_golden.json'), 'w') as f:
    json.dump({'participationRatio': pr_cases, 'tTest': ttest_cases, 'denoising': denoising_cases}, f, indent=1)

# --- bdata_h5py.h5 ----------------------------------------------------------------------
images = [1, 2, 3, 4, 5, 6]
levels = [1, 2, 3]
bins = [1, 2, 3, 4]
rows = []  # (run, label, modification, timebin)
for rep in range(2):
    for img in images:
        for lv in levels:
            if rep == 1 and img in (2, 5) and lv == 1:
                continue  # uneven repetitions: averaging must weigh cells by their own counts
            for b in bins:
                rows.append((rep + 1, img, lv, b))
rows.append((3, 7, 1, 1))  # an image with no blurred version: not a pair, ignored
rows = np.array(rows, dtype=float)
n_samples = rows.shape[0]

roi_sizes = {'ROI_LH_V1': 7, 'ROI_RH_V1': 6, 'ROI_VC': 9}
n_vox = sum(roi_sizes.values())
voxels = rng.normal(size=(n_samples, n_vox)) + 5.0
# Make the blurred patterns drift towards clean over time in the first ROI.
clean_pattern = {img: rng.normal(size=n_vox) for img in images + [7]}
for i, (_, img, lv, b) in enumerate(rows):
    w = 0.3 + 0.2 * b if lv > 1 else 1.0
    voxels[i] += 1.5 * w * clean_pattern[int(img)]
voxels[:, 7 + 2] = 4.25  # a constant voxel in ROI_RH_V1: dropped by the analysis

dataset = np.hstack([voxels, rows])
n_cols = dataset.shape[1]
keys, descs, values = [], [], []


def add(key, desc, value):
    keys.append(key)
    descs.append(desc)
    values.append(value)


vox_cols = np.r_[np.ones(n_vox), np.full(4, np.nan)]
add('VoxelData', 'Attribute: VoxelData = 1', vox_cols)
for j, name in enumerate(['Run', 'Label', 'Modification', 'TimeBin']):
    v = np.full(n_cols, np.nan)
    v[n_vox + j] = 1
    add(name, 'Attribute: %s = 1' % name, v)
start = 0
for key, size in roi_sizes.items():
    v = np.r_[np.zeros(n_vox), np.full(4, np.nan)]
    v[start:start + size] = 1
    start += size
    add(key, '1 = ROI %s' % key, v)
add('voxel_x', 'x coordinate', np.r_[np.linspace(-30, 30, n_vox), np.full(4, np.nan)])

md_values = np.vstack(values)


def write(path, legacy, fixed_keys):
    ds, md = ('dataSet', 'metaData') if legacy else ('dataset', 'metadata')
    with h5py.File(path, 'w') as f:
        f.create_dataset(ds, data=dataset)
        f.create_group(md)
        if fixed_keys:
            f.create_dataset(md + '/key', data=np.array([k.encode() for k in keys]))
        else:
            f.create_dataset(md + '/key', data=keys, dtype=h5py.string_dtype())
        f.create_dataset(md + '/description', data=descs, dtype=h5py.string_dtype())
        f.create_dataset(md + '/value', data=md_values)
        if not legacy:
            f.create_group('vmap')
            f.create_group('vmap/Label')
            for img in images + [7]:
                f.create_dataset('vmap/Label/%s' % float(img), data='image%02d' % img)


write(os.path.join(HERE, 'bdata_h5py.h5'), legacy=False, fixed_keys=True)
write(os.path.join(HERE, 'bdata_h5py_legacy.h5'), legacy=True, fixed_keys=False)

# --- fmri_golden.json: the analysis, independently -------------------------------------
label, mod, tbin = rows[:, 1], rows[:, 2], rows[:, 3]
blur = min(l for l in set(mod) if l > 1)
pairs = sorted(i for i in set(label) if ((label == i) & (mod == 1)).any() and ((label == i) & (mod == blur)).any())
all_bins = sorted(set(tbin))
results = []
col = 0
for key, size in roi_sizes.items():
    x = voxels[:, col:col + size]
    col += size
    cond = np.array([[[x[(label == img) & (mod == lv) & (tbin == b)].mean(axis=0) for b in all_bins]
                      for img in pairs] for lv in (1, blur)])  # [2, P, B, V]
    flat = cond.reshape(-1, size)
    mu = flat.mean(axis=0)
    norm = np.linalg.norm(flat - mu, axis=0)
    keep = norm > 1e-9
    z = (cond[..., keep] - mu[keep]) / norm[keep]
    d = np.array([pearson(z[0, p, 0], z[1, p, -1]) - pearson(z[0, p, 0], z[1, p, 0]) for p in range(len(pairs))])
    tt = stats.ttest_1samp(d, 0.0)
    dim_first = participation_ratio(np.vstack([z[0, :, 0], z[1, :, 0]]))
    dim_last = participation_ratio(np.vstack([z[0, :, -1], z[1, :, -1]]))
    region = key.split('_')[-1]
    hemi = key.split('_')[1] if key.count('_') == 2 else 'both'
    results.append({'roiKey': key, 'region': region, 'hemisphere': hemi, 'voxels': int(keep.sum()),
                    'droppedVoxels': int((~keep).sum()), 'pairs': len(pairs), 'images': [int(p) for p in pairs],
                    'blurLevel': int(blur), 'denoising': d.tolist(), 'meanDenoising': float(d.mean()),
                    'medianDenoising': float(np.median(d)), 'tStatistic': float(tt.statistic),
                    'pValue': float(tt.pvalue), 'dimensionalityFirst': dim_first, 'dimensionalityLast': dim_last})

with open(os.path.join(HERE, 'fmri_golden.json'), 'w') as f:
    json.dump({'file': 'bdata_h5py.h5', 'samples': int(n_samples), 'columns': int(n_cols), 'keys': keys,
               'results': results}, f, indent=1)
print('wrote golden files to', HERE)
