"""Golden reference numbers for test/layers.test.ts (sections 2.4-2.5 summaries).

Run with Debian's python3 (numpy, scipy) from the project root:

    /usr/bin/python3 test/golden/make_layers_golden.py

Writes layers_golden.json next to this script:
- pairedTTest: scipy.stats.ttest_rel(a, b) (two-sided) of random pairs;
- ratioTTest: scipy.stats.ttest_1samp(r, 1.0) of random ratios (Figure 7's
  change with recurrence), with the mean and the standard error (scipy.stats.sem).
"""
import json
import os

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240614)

paired = []
for n, shift in [(2, 0.5), (4, 0.1), (7, 0.0), (12, -0.3)]:
    a = rng.normal(size=n)
    b = a + shift + 0.2 * rng.normal(size=n)
    res = stats.ttest_rel(a, b)
    paired.append({'a': a.tolist(), 'b': b.tolist(), 't': float(res.statistic), 'p': float(res.pvalue)})

ratios = []
for n, centre in [(2, 1.3), (4, 1.02), (6, 0.8), (9, 1.0)]:
    r = centre + 0.1 * rng.normal(size=n)
    res = stats.ttest_1samp(r, 1.0)
    ratios.append({'values': r.tolist(), 't': float(res.statistic), 'p': float(res.pvalue), 'mean': float(r.mean()), 'sem': float(stats.sem(r))})

with open(os.path.join(HERE, 'layers_golden.json'), 'w') as f:
    json.dump({'pairedTTest': paired, 'ratioTTest': ratios}, f, indent=1)
