"""Golden values for `repro analyze cross-dimensionality` and `repro analyze alignment`,
computed independently with numpy/scipy/scikit-learn on matrices the TypeScript code has
never seen. Run from the project root with Debian's python3:

    /usr/bin/python3 test/golden/make_analyze2_golden.py

Writes test/golden/analyze2/{x,y,z,w}.npy and analyze2_golden.json.
- cross-dimensionality: centre each unit, scale to unit L2 norm over samples (the CLI's
  default preprocessing), singular values s of X^T Y / (n - 1) by numpy's SVD of the full
  cross-covariance, participation ratio (sum s)^2 / sum s^2; and without unit norm.
- alignment: sklearn PCA (centred) of each data set, top K components, scipy's
  subspace_angles, cosines largest first, alignment = cos(mean angle).
"""
import json, os
import numpy as np
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

rng = np.random.default_rng(20261123)
out = os.path.join(os.path.dirname(__file__), 'analyze2')
os.makedirs(out, exist_ok=True)
n = 60
latent = rng.normal(size=(n, 5))
x = (latent @ rng.normal(size=(5, 300)) + 0.5 * rng.normal(size=(n, 300))).astype(np.float64)
y = (latent[:, :3] @ rng.normal(size=(3, 80)) + 0.8 * rng.normal(size=(n, 80))).astype(np.float32)
z = (x[:40] @ np.diag(rng.uniform(0.5, 2, 300)) + 0.3 * rng.normal(size=(40, 300))).astype(np.float64)
w = rng.normal(size=(50, 300)).astype(np.float64)
for name, a in [('x', x), ('y', y), ('z', z), ('w', w)]:
    np.save(os.path.join(out, f'{name}.npy'), a)

def prep(a, unit_norm=True):
    a = np.asarray(a, dtype=np.float64)
    a = a - a.mean(0)
    if unit_norm:
        norms = np.linalg.norm(a, axis=0)
        a = a / np.where(norms > 0, norms, 1)
    return a

def cross_dim(a, b, unit_norm=True):
    s = np.linalg.svd(prep(a, unit_norm).T @ prep(b, unit_norm) / (a.shape[0] - 1), compute_uv=False)
    s = s[s > 1e-12 * s[0]]
    return float(s.sum() ** 2 / (s ** 2).sum())

def alignment(a, b, k):
    pa = PCA(n_components=k).fit(a).components_.T
    pb = PCA(n_components=k).fit(b).components_.T
    ang = subspace_angles(pa, pb)
    return float(np.cos(ang.mean())), sorted(np.cos(ang).tolist(), reverse=True)

golden = {
    'crossXY': cross_dim(x, y),
    'crossXYNoUnitNorm': cross_dim(x, y, unit_norm=False),
    'crossXX': cross_dim(x, x),
    'alignXZ10': dict(zip(['alignment', 'cosines'], alignment(x, z, 10))),
    'alignXW5': dict(zip(['alignment', 'cosines'], alignment(x, w, 5))),
}
with open(os.path.join(out, 'analyze2_golden.json'), 'w') as f:
    json.dump(golden, f, indent=1)
print(json.dumps(golden, indent=1)[:600])
