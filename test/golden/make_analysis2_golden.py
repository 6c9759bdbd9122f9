"""Golden reference numbers for the behaviour, influence, PCA, subspace and
cross-layer dimensionality analyses (test/analysisBehaviour.test.ts,
analysisInfluence.test.ts, analysisPca.test.ts, analysisSubspace.test.ts,
analysisDimensionality.test.ts).

Run with Debian's python3 (numpy, scipy, scikit-learn) from the project root:

    /usr/bin/python3 test/golden/make_analysis2_golden.py

Writes analysis2_golden.json next to this script. Everything is float64 and
computed independently of the TypeScript code:
- pca: sklearn.decomposition.PCA (svd_solver='full'): mean_, components_,
  explained_variance_, explained_variance_ratio_, transform, and
  inverse_transform(transform(X)) of a PCA fitted with k components.
- subspace: scipy.linalg.subspace_angles (returned in descending order).
- crossLayer: numpy SVD of the full cross-covariance XᵀY / (n − 1) after
  centring (and unit-norm columns), and the participation ratio of the
  singular values and of their squares.
- rowCorrelation: np.corrcoef of each pair of rows, and their mean.
- logits: per-image np.corrcoef of logit differences over images both
  networks classify correctly; incorrect-label agreement.
- histogram: np.histogram.
"""
import json
import os

import numpy as np
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240612)


def flat(a):
    return np.asarray(a, dtype=float).ravel().tolist()


def preprocess(x, unit_norm=True):
    x = x - x.mean(axis=0)
    if unit_norm:
        norms = np.linalg.norm(x, axis=0)
        x = np.where(norms > 0, x / np.where(norms > 0, norms, 1), 0.0)
    return x


def pr(v):
    v = np.asarray(v, dtype=float)
    return float(v.sum() ** 2 / (v ** 2).sum())


def activity(samples, units, rank):
    """Low-rank structure plus noise with unequal unit scales: distinct, decaying PC variances."""
    latent = rng.normal(size=(samples, rank)) * (2.0 ** -np.arange(rank))
    x = latent @ rng.normal(size=(rank, units)) + 0.2 * rng.normal(size=(samples, units))
    return x * rng.uniform(0.5, 2.0, size=units) + rng.normal(size=units)


# --- PCA ----------------------------------------------------------------------------------
pca_cases = []
for samples, units, rank, k in [(24, 150, 8, 6), (60, 12, 5, 4)]:
    x = activity(samples, units, rank)
    full = PCA(svd_solver='full').fit(x)
    fitted = PCA(n_components=k, svd_solver='full').fit(x)
    pca_cases.append({
        'samples': samples, 'units': units, 'k': k, 'data': flat(x),
        'mean': flat(full.mean_),
        'components': flat(full.components_[:k]),
        'variances': flat(full.explained_variance_),
        'explainedRatio': flat(full.explained_variance_ratio_),
        'totalVariance': float(x.var(axis=0, ddof=1).sum()),
        'scores': flat(fitted.transform(x)),
        'reconstruction': flat(fitted.inverse_transform(fitted.transform(x))),
    })

# --- principal angles ---------------------------------------------------------------------
subspace_cases = []
units = 120
shared = np.linalg.qr(rng.normal(size=(units, 3)))[0]
for name, ka, kb, mix in [('random', 6, 4, None), ('partlyShared', 5, 5, 0.6), ('nearlyAligned', 4, 4, 0.05)]:
    a = rng.normal(size=(units, ka))
    if mix is None:
        b = rng.normal(size=(units, kb))
    else:
        # b: the shared directions tilted by `mix` noise, and the rest random.
        a[:, :3] = shared + 0.1 / np.sqrt(units) * rng.normal(size=(units, 3))
        b = rng.normal(size=(units, kb))
        b[:, :3] = shared + mix / np.sqrt(units) * rng.normal(size=(units, 3))
    angles = np.sort(subspace_angles(a, b))
    subspace_cases.append({'name': name, 'units': units, 'ka': ka, 'kb': kb, 'a': flat(a), 'b': flat(b),
                           'angles': flat(angles), 'alignment': float(np.cos(angles.mean()))})

# --- cross-layer dimensionality -----------------------------------------------------------
cross_cases = []
for samples, ux, uy, unit_norm in [(30, 160, 90, True), (30, 160, 90, False), (50, 20, 160, True), (50, 10, 8, True)]:
    latent = rng.normal(size=(samples, 6))
    x = latent @ rng.normal(size=(6, ux)) + rng.normal(size=(samples, ux))
    y = np.maximum(latent @ rng.normal(size=(6, uy)) + rng.normal(size=(samples, uy)), 0) + 0.5
    c = preprocess(x, unit_norm).T @ preprocess(y, unit_norm) / (samples - 1)
    s = np.linalg.svd(c, compute_uv=False)
    cross_cases.append({'samples': samples, 'unitsX': ux, 'unitsY': uy, 'unitNorm': unit_norm, 'x': flat(x), 'y': flat(y),
                        'singularValues': flat(s), 'prSingular': pr(s), 'prSquared': pr(s ** 2)})

# --- per-sample correlations of recurrent influences --------------------------------------
samples, units = 30, 200
base = rng.normal(size=(samples, units))
ia = base + 0.8 * rng.normal(size=(samples, units)) + rng.normal(size=(samples, 1))
ib = 0.5 * base + rng.normal(size=(samples, units))
per_row = np.array([np.corrcoef(ia[i], ib[i])[0, 1] for i in range(samples)])
row_corr = {'samples': samples, 'units': units, 'a': flat(ia), 'b': flat(ib), 'perSample': flat(per_row),
            'mean': float(per_row.mean()), 'entryMean': float(ia.mean()), 'entrySd': float(ia.std(ddof=1))}

# --- behaviour ----------------------------------------------------------------------------
images, classes = 60, 10
labels = rng.integers(0, classes, size=images)
pred_a = np.where(rng.uniform(size=images) < 0.6, labels, rng.integers(0, classes, size=images))
pred_b = np.where(rng.uniform(size=images) < 0.5, pred_a, rng.integers(0, classes, size=images))
both_wrong = (pred_a != labels) & (pred_b != labels)
diff_a = rng.normal(size=(images, classes))
diff_b = 0.6 * diff_a + rng.normal(size=(images, classes))
correct_a = pred_a == labels
correct_b = pred_b == labels
both_right = correct_a & correct_b
r = [np.corrcoef(diff_a[i], diff_b[i])[0, 1] for i in range(images) if both_right[i]]
behaviour = {'labels': labels.tolist(), 'predA': pred_a.tolist(), 'predB': pred_b.tolist(),
             'bothIncorrect': int(both_wrong.sum()), 'agreement': float((pred_a[both_wrong] == pred_b[both_wrong]).mean()),
             'classes': classes, 'diffA': flat(diff_a), 'diffB': flat(diff_b),
             'correctA': correct_a.astype(int).tolist(), 'correctB': correct_b.astype(int).tolist(),
             'images': len(r), 'correlation': float(np.mean(r))}

# --- histogram ----------------------------------------------------------------------------
values = rng.normal(size=1000)
hist_cases = []
for bins, value_range in [(20, None), (7, (-1.0, 1.5))]:
    counts, edges = np.histogram(values, bins=bins, range=value_range)
    hist_cases.append({'bins': bins, 'range': value_range, 'counts': counts.tolist(), 'edges': flat(edges)})
histogram = {'values': flat(values), 'cases': hist_cases}

with open(os.path.join(HERE, 'analysis2_golden.json'), 'w') as f:
    json.dump({'pca': pca_cases, 'subspace': subspace_cases, 'crossLayer': cross_cases, 'rowCorrelation': row_corr,
               'behaviour': behaviour, 'histogram': histogram}, f)
print('wrote analysis2_golden.json:', os.path.getsize(os.path.join(HERE, 'analysis2_golden.json')), 'bytes')
