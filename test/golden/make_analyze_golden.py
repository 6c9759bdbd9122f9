"""Inputs and golden results for test/analyzeCli.test.ts (`repro analyze`).

Run with Debian's python3 (numpy, scipy, scikit-learn, h5py) from the project root:

    /usr/bin/python3 test/golden/make_analyze_golden.py

Writes test/golden/analyze/:
- *.npy (float64) and inputs.h5 (h5py; the same matrices under /pr, /denoising and
  /predictivity, some stored as float32) for the three subcommands;
- analyze_golden.json: the results computed here, independently of the TypeScript,
  with numpy, scipy and scikit-learn:
  participation ratio (eigenvalues of the covariance after centring and, by default,
  unit-norm columns), de-noising (np.corrcoef, scipy.stats.ttest_1samp), and
  predictivity (sklearn PLSRegression(scale=False), scipy.stats.pearsonr, medians,
  means, s.d. with ddof 0; split-half ceiling with Spearman-Brown).
  Predictivity's random splits come from a port of the project's seeded generator
  (src/random.ts, sfc32) and split procedure (shuffleSplits in
  src/analysis/predictivity.ts), so that both sides draw the same splits.
"""
import json
import os

import h5py
import numpy as np
from scipy import stats
from sklearn.cross_decomposition import PLSRegression

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'analyze')
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20250302)
M32 = 0xFFFFFFFF


class Sfc32:
    """src/random.ts's Rng: sfc32 seeded with (0x9e3779b9, 0x243f6a88, 0xb7e15162, seed), 12 warm-up draws."""

    def __init__(self, seed):
        self.a, self.b, self.c, self.d = 0x9E3779B9, 0x243F6A88, 0xB7E15162, seed & M32
        for _ in range(12):
            self.next_uint32()

    def next_uint32(self):
        t = (self.a + self.b + self.d) & M32
        self.d = (self.d + 1) & M32
        self.a = self.b ^ (self.b >> 9)
        self.b = (self.c + (self.c << 3)) & M32
        self.c = ((self.c << 21) | (self.c >> 11)) & M32
        self.c = (self.c + t) & M32
        return t

    def int(self, n):
        return int(np.floor(self.next_uint32() / 4294967296 * n))

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.int(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


def approximate_mode(counts, draws, gen):
    total = sum(counts)
    continuous = [c * draws / total for c in counts]
    out = [int(np.floor(c)) for c in continuous]
    need = draws - sum(out)
    remainder = [c - o for c, o in zip(continuous, out)]
    for value in sorted(set(remainder), reverse=True):
        if need <= 0:
            break
        tied = [i for i, r in enumerate(remainder) if r == value]
        add = min(len(tied), need)
        order = gen.permutation(len(tied))
        for a in range(add):
            out[tied[order[a]]] += 1
        need -= add
    return out


def shuffle_splits(n, n_splits, train_size, seed, labels=None):
    """The split procedure documented at shuffleSplits (src/analysis/predictivity.ts)."""
    gen = Sfc32(seed)
    n_train = int(np.floor(train_size * n))
    n_test = n - n_train
    splits = []
    if labels is None:
        for _ in range(n_splits):
            perm = gen.permutation(n)
            splits.append((np.sort(perm[n_test:]), np.sort(perm[:n_test])))
        return splits
    classes = sorted(set(labels.tolist()))
    members = [[i for i, l in enumerate(labels) if l == c] for c in classes]
    counts = [len(m) for m in members]
    for _ in range(n_splits):
        train_counts = approximate_mode(counts, n_train, gen)
        test_counts = approximate_mode([c - t for c, t in zip(counts, train_counts)], n_test, gen)
        train, test = [], []
        for m, tr, te in zip(members, train_counts, test_counts):
            perm = gen.permutation(len(m))
            train += [m[k] for k in perm[:tr]]
            test += [m[k] for k in perm[tr:tr + te]]
        splits.append((np.sort(train), np.sort(test)))
    return splits


def participation_ratio(x, unit_norm=True):
    x = x - x.mean(axis=0)
    if unit_norm:
        norms = np.linalg.norm(x, axis=0)
        x = np.where(norms > 0, x / np.where(norms > 0, norms, 1), 0.0)
    v = np.clip(np.linalg.eigvalsh(x.T @ x / (x.shape[0] - 1)), 0, None)
    return float(v.sum() ** 2 / (v ** 2).sum())


def denoising(a, b, c):
    d = np.array([np.corrcoef(a[i], c[i])[0, 1] - np.corrcoef(a[i], b[i])[0, 1] for i in range(len(a))])
    t = stats.ttest_1samp(d, 0.0)
    return {'denoising': d.tolist(), 'mean': float(d.mean()), 'median': float(np.median(d)),
            'tStatistic': float(t.statistic), 'pValue': float(t.pvalue)}


def predictivity(features, responses, labels=None, components=None, n_splits=10, seed=1, formula='r2/c'):
    features = features.astype(np.float64)
    responses = responses.astype(np.float64)
    target = responses.mean(axis=0) if responses.ndim == 3 else responses
    n, p = features.shape
    splits = shuffle_splits(n, n_splits, 0.9, seed, labels)
    k = components if components is not None else min(25, p, int(np.floor(0.9 * n)) - 1)
    per_split, per_neuroid = [], []
    for tr, te in splits:
        model = PLSRegression(n_components=k, scale=False).fit(features[tr], target[tr])
        pred = model.predict(features[te])
        r = np.array([stats.pearsonr(pred[:, j], target[te, j])[0] for j in range(target.shape[1])])
        per_neuroid.append(r)
        per_split.append(np.median(r))
    score = float(np.mean(per_split))
    result = {'score': score, 'scoreError': float(np.std(per_split) / np.sqrt(n_splits)),
              'ceiling': None, 'ceiledScore': None,
              'perNeuroid': np.mean(per_neuroid, axis=0).tolist(), 'components': k}
    if responses.ndim == 3:
        halves = []
        for a, b in shuffle_splits(responses.shape[0], 10, 0.5, seed):
            ha, hb = responses[a].mean(axis=0), responses[b].mean(axis=0)
            r = np.array([stats.pearsonr(ha[:, j], hb[:, j])[0] for j in range(ha.shape[1])])
            halves.append(np.median(2 * r / (1 + r)))
        c = float(np.mean(halves))
        result['ceiling'] = c
        result['ceiledScore'] = score ** 2 / c if formula == 'r2/c' else (score / c) ** 2
    return result


# --- inputs -------------------------------------------------------------------------------
pr_x = rng.normal(size=(30, 3)) @ rng.normal(size=(3, 8)) + 0.4 * rng.normal(size=(30, 8)) + np.arange(8)
clean_ff = rng.normal(size=(25, 40))
noisy_ff = 0.6 * clean_ff + rng.normal(size=(25, 40))
noisy_rec = 0.8 * clean_ff + 0.7 * rng.normal(size=(25, 40))
n, p, q, reps = 60, 40, 12, 4
labels = rng.permutation(np.repeat([0.0, 1.0, 2.0], n // 3))
features = rng.normal(size=(n, p)) + labels[:, None] * rng.normal(size=(1, p))
signal = features @ (rng.normal(size=(p, q)) / np.sqrt(p))
responses = signal[None] + np.linspace(0.4, 2.5, q) * rng.normal(size=(reps, n, q))

arrays = {'pr_x': pr_x, 'clean_ff': clean_ff, 'noisy_ff': noisy_ff, 'noisy_rec': noisy_rec,
          'features': features, 'responses': responses, 'responses_mean': responses.mean(axis=0), 'labels': labels}
for name, a in arrays.items():
    np.save(os.path.join(OUT, f'{name}.npy'), a)
with h5py.File(os.path.join(OUT, 'inputs.h5'), 'w') as f:
    f.create_dataset('pr/x', data=pr_x.astype(np.float32))
    for name in ['clean_ff', 'noisy_ff', 'noisy_rec']:
        f.create_dataset(f'denoising/{name}', data=arrays[name])
    f.create_dataset('predictivity/features', data=features.astype(np.float32))
    f.create_dataset('predictivity/responses', data=responses)
    f.create_dataset('predictivity/labels', data=labels)
    f.create_dataset('predictivity/labels_int', data=labels.astype(np.int64))

# --- golden results -----------------------------------------------------------------------
f32 = lambda a: a.astype(np.float32).astype(np.float64)
golden = {
    'prNpy': participation_ratio(pr_x),
    'prNpyNoUnitNorm': participation_ratio(pr_x, unit_norm=False),
    'prH5Float32': participation_ratio(f32(pr_x)),
    'denoising': denoising(clean_ff, noisy_ff, noisy_rec),
    'predictivityNpyStratified': predictivity(features, responses, labels=labels),
    'predictivityH5': predictivity(f32(features), responses, components=5, seed=7, formula='(r/c)^2'),
    'predictivityNoRepetitions': predictivity(features, responses.mean(axis=0), n_splits=4, seed=3),
}
with open(os.path.join(OUT, 'analyze_golden.json'), 'w') as f:
    json.dump(golden, f, indent=1)
print(f'wrote {len(os.listdir(OUT))} files to {OUT}; stratified predictivity score '
      f"{golden['predictivityNpyStratified']['score']:.4f}, ceiling {golden['predictivityNpyStratified']['ceiling']:.4f}")
