"""Golden reference numbers for test/predictivity.test.ts.

Run with Debian's python3 (numpy, scipy, scikit-learn) from the project root:

    /usr/bin/python3 test/golden/make_predictivity_golden.py

Writes predictivity_golden.json next to this script:
- pls: scikit-learn PLSRegression(n_components, scale=False) fitted on seeded
  small data: weights, loadings, rotations, coefficients (features x targets),
  power iterations per component, and predictions on held-out rows.
- metric: Brain-Score's regression_correlation metric and internal_consistency
  ceiling computed here with scikit-learn and scipy, on listed splits of the
  stimuli (sklearn StratifiedShuffleSplit, 10 splits, train size 0.9,
  random_state 1, indices sorted) and listed halvings of the repetitions
  (sklearn ShuffleSplit, train size 0.5, random_state 1), so the TypeScript
  side can use the same splits.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from scipy import stats
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20250301)
warnings.simplefilter('error')  # a convergence warning would make the golden numbers fragile


def fit_pls(x, y, k):
    model = PLSRegression(n_components=k, scale=False)
    model.fit(x, y)
    return model


pls_cases = []
for name, n, p, q, k, kind in [
    ('single target', 20, 6, 1, 2, 'gaussian'),
    ('several targets', 30, 8, 5, 3, 'gaussian'),
    ('more features than samples', 12, 20, 4, 5, 'gaussian'),
    ('components = features (least squares)', 25, 6, 3, 6, 'gaussian'),
    ('unequal feature scales and offsets', 40, 10, 6, 4, 'scaled'),
    ('more targets than samples', 10, 20, 30, 4, 'gaussian'),
]:
    x = rng.normal(size=(n + 5, p))
    if kind == 'scaled':
        x = x * np.logspace(-2, 2, p) + np.linspace(-50, 50, p)
    b = rng.normal(size=(p, q))
    y = x @ b + 0.5 * rng.normal(size=(n + 5, q)) + 3.0
    x_train, x_test, y_train = x[:n], x[n:], y[:n]
    model = fit_pls(x_train, y_train, k)
    coef = model.x_rotations_ @ model.y_loadings_.T
    pls_cases.append({
        'name': name, 'n': n, 'p': p, 'q': q, 'components': k,
        'x': x_train.tolist(), 'y': y_train.tolist(), 'xTest': x_test.tolist(),
        'xWeights': model.x_weights_.tolist(), 'yWeights': model.y_weights_.tolist(),
        'xLoadings': model.x_loadings_.tolist(), 'yLoadings': model.y_loadings_.tolist(),
        'xRotations': model.x_rotations_.tolist(), 'coefficients': coef.tolist(),
        'iterations': [int(i) for i in model.n_iter_],
        'prediction': model.predict(x_test).reshape(len(x_test), q).tolist(),
    })

# --- whole metric on listed splits ------------------------------------------------------
n, p, q, reps, classes = 48, 30, 15, 4, 4
labels = np.repeat(np.arange(classes), n // classes).astype(float)
features = rng.normal(size=(n, p)) + labels[:, None] * rng.normal(size=(1, p)) * 0.5
weights = rng.normal(size=(p, q)) / np.sqrt(p)
signal = features @ weights
noise_sd = np.linspace(0.3, 2.0, q)  # neuroids from reliable to noisy
responses = signal[None] + noise_sd * rng.normal(size=(reps, n, q))
mean_responses = responses.mean(axis=0)

splits = [(np.sort(tr), np.sort(te)) for tr, te in
          StratifiedShuffleSplit(n_splits=10, train_size=0.9, test_size=None, random_state=1).split(np.zeros(n), labels)]
components = min(25, p, min(len(tr) for tr, _ in splits) - 1)
per_split, per_neuroid_split = [], []
for tr, te in splits:
    model = fit_pls(features[tr], mean_responses[tr], components)
    pred = model.predict(features[te])
    r = np.array([stats.pearsonr(pred[:, j], mean_responses[te, j])[0] for j in range(q)])
    per_neuroid_split.append(r)
    per_split.append(float(np.median(r)))
score = float(np.mean(per_split))
score_error = float(np.std(per_split, ddof=0) / np.sqrt(len(splits)))

halvings = [(np.sort(a), np.sort(b)) for a, b in
            ShuffleSplit(n_splits=10, train_size=0.5, test_size=None, random_state=1).split(np.zeros(reps))]
per_halving = []
for a, b in halvings:
    ha, hb = responses[a].mean(axis=0), responses[b].mean(axis=0)
    r = np.array([stats.pearsonr(ha[:, j], hb[:, j])[0] for j in range(q)])
    per_halving.append(float(np.median(2 * r / (1 + r))))
ceiling = float(np.mean(per_halving))

metric = {
    'features': features.tolist(), 'responses': responses.tolist(), 'labels': labels.tolist(),
    'splits': [{'train': tr.tolist(), 'test': te.tolist()} for tr, te in splits],
    'halvings': [{'train': a.tolist(), 'test': b.tolist()} for a, b in halvings],
    'components': components,
    'perSplit': per_split, 'score': score, 'scoreError': score_error,
    'perNeuroid': np.mean(per_neuroid_split, axis=0).tolist(),
    'perHalving': per_halving, 'ceiling': ceiling,
    'ceiledR2OverC': score ** 2 / ceiling, 'ceiledSquaredRatio': (score / ceiling) ** 2,
}

with open(os.path.join(HERE, 'predictivity_golden.json'), 'w') as f:
    json.dump({'sklearn': sklearn.__version__, 'pls': pls_cases, 'metric': metric}, f)
print(f'wrote predictivity_golden.json (scikit-learn {sklearn.__version__}); '
      f'metric score {score:.4f} ± {score_error:.4f}, ceiling {ceiling:.4f}, components {components}')
