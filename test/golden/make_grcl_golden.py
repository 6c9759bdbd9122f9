"""Golden reference for test/grcl.test.ts: the GRCL of Azeglio et al. (equation 1),
written here independently in PyTorch from the equations and the pre-activation
reading of the journal GRCNN code, on fixed seeded weights.

Run with Debian's python3 (numpy, torch) from the project root:

    /usr/bin/python3 test/golden/make_grcl_golden.py

Writes grcl_golden.json next to this script. Weights and inputs are drawn in
float32 and named and laid out as src/model/grcl.ts names them (filters
[kh, kw, in/groups, out], activity [batch, height, width, channels]); the
computation runs in float64 on those float32 values.

Cases:
- "full" (groups 1): training mode (batch statistics) states x_0..x_T and gates
  sigma(g_1)..sigma(g_T); training mode with the gate off (sigma = 1); inference
  mode with given running statistics (output x_T); and running statistics estimated the way
  nn.BatchNorm2d(momentum=None) accumulates them over two training-mode passes
  (cumulative average of batch means and unbiased batch variances), with the
  inference-mode output they give.
- "grouped" (groups 2 in A_0, B and C): training-mode output x_T.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
EPS = 1e-5
torch.set_default_dtype(torch.float64)


def f32(rng, shape, scale=1.0, loc=0.0):
    return (loc + scale * rng.standard_normal(shape)).astype(np.float32)


def make_params(rng, cin, ch, width, iters, groups):
    """Random (not initial-looking) weights, so every term of equation 1 matters."""
    p = {}

    def bn(name, c):
        p[f'{name}.gamma'] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        p[f'{name}.beta'] = f32(rng, c, 0.2)

    def conv(name, k, i, o, g=1, bias=False):
        bn(f'{name}.norm', i)
        p[f'{name}.filter'] = f32(rng, (k, k, i // g, o), np.sqrt(1.0 / (k * k * i // g)))
        if bias:
            p[f'{name}.bias'] = f32(rng, o, 0.3)

    conv('a0', 3, cin, ch, groups)
    conv('c', 1, cin, ch, groups, bias=True)
    p['b.filter'] = f32(rng, (1, 1, ch // groups, ch), 0.5)
    for t in range(iters):
        bn(f'b.norms.{t}', ch)
        conv(f'a.{t}.reduce', 1, ch, width)
        conv(f'a.{t}.spatial', 3, width, width)
        conv(f'a.{t}.expand', 1, width, ch)
    return p


def bn_names(iters):
    names = ['a0.norm', 'c.norm']
    for t in range(iters):
        names += [f'b.norms.{t}'] + [f'a.{t}.{part}.norm' for part in ('reduce', 'spatial', 'expand')]
    return names


class Grcl:
    """Equation 1, pre-activation: every operator is conv(ReLU(BN(.)))."""

    def __init__(self, params, iters, groups):
        self.p = {k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()}
        self.iters = iters
        self.groups = groups
        self.running = {}
        self.mode = 'train'
        self.momentum = None  # set by estimate(): exponential factor of this pass

    def bn(self, name, x):
        gamma, beta = self.p[f'{name}.gamma'], self.p[f'{name}.beta']
        if self.mode == 'eval':
            mean, var = self.running[name]
            return F.batch_norm(x, mean, var, gamma, beta, training=False, eps=EPS)
        if self.momentum is None:
            return F.batch_norm(x, None, None, gamma, beta, training=True, eps=EPS)
        mean, var = self.running[name]
        # Updates mean and var in place: (1 - m) * old + m * batch, batch variance unbiased.
        return F.batch_norm(x, mean, var, gamma, beta, training=True, momentum=self.momentum, eps=EPS)

    def conv(self, name, x, groups=1):
        w = self.p[f'{name}.filter'].permute(3, 2, 0, 1)  # HWIO -> OIHW
        y = F.conv2d(F.relu(self.bn(f'{name}.norm', x)), w, padding=w.shape[-1] // 2, groups=groups)
        bias = self.p.get(f'{name}.bias')
        return y if bias is None else y + bias[None, :, None, None]

    def forward(self, u, gate=True):
        """u NCHW; returns the states x_0..x_T and the gates sigma(g_1)..sigma(g_T)."""
        x = self.conv('a0', u, self.groups)
        states, gates = [x], []
        cu = self.conv('c', u, self.groups) if gate else None
        wb = self.p['b.filter'].permute(3, 2, 0, 1)
        for t in range(self.iters):
            a = self.conv(f'a.{t}.expand', self.conv(f'a.{t}.spatial', self.conv(f'a.{t}.reduce', x)))
            if gate:
                g = F.conv2d(F.relu(self.bn(f'b.norms.{t}', x)), wb, groups=self.groups) + cu
                gates.append(torch.sigmoid(g))
                a = gates[-1] * a
            x = x + a
            states.append(x)
        return states, gates

    def estimate(self, batches):
        """Running statistics as nn.BatchNorm2d(momentum=None) leaves them after these batches."""
        self.running = {n: (torch.zeros(len(self.p[f'{n}.gamma'])), torch.ones(len(self.p[f'{n}.gamma'])))
                        for n in bn_names(self.iters)}
        self.mode = 'train'
        for k, u in enumerate(batches, start=1):
            self.momentum = 1.0 / k
            self.forward(u)
        self.momentum = None


def nchw(a):
    return torch.tensor(a, dtype=torch.float64).permute(0, 3, 1, 2)


def nhwc_list(t):
    return [float(f'{v:.9g}') for v in t.permute(0, 2, 3, 1).reshape(-1).tolist()]


def array(a):
    a = np.asarray(a)
    return {'shape': list(a.shape), 'data': [float(f'{v:.9g}') for v in a.reshape(-1).tolist()]}


def make_case(seed, config, batch=2, size=8, full=True):
    rng = np.random.default_rng(seed)
    cin, ch, width, iters, groups = (config[k] for k in ('inChannels', 'channels', 'bottleneck', 'iterations', 'groups'))
    params = make_params(rng, cin, ch, width, iters, groups)
    u = f32(rng, (batch, size, size, cin), 1.0, 0.3)
    net = Grcl(params, iters, groups)
    case = {'config': config, 'params': {k: array(v) for k, v in params.items()}, 'u': array(u)}
    states, gates = net.forward(nchw(u))
    if not full:
        case['train'] = {'output': nhwc_list(states[-1])}
        return case
    case['train'] = {'states': [nhwc_list(s) for s in states], 'gates': [nhwc_list(g) for g in gates]}
    states, _ = net.forward(nchw(u), gate=False)
    case['trainNoGate'] = {'states': [nhwc_list(s) for s in states]}

    running = {}
    for n in bn_names(iters):
        c = len(params[f'{n}.gamma'])
        running[n] = (f32(rng, c, 0.5), rng.uniform(0.5, 2.0, c).astype(np.float32))
    net.running = {n: (torch.tensor(m, dtype=torch.float64), torch.tensor(v, dtype=torch.float64)) for n, (m, v) in running.items()}
    net.mode = 'eval'
    states, _ = net.forward(nchw(u))
    case['running'] = {f'{n}.running.{k}': array(a) for n, (m, v) in running.items() for k, a in (('mean', m), ('variance', v))}
    case['eval'] = {'output': nhwc_list(states[-1])}

    batches = [f32(rng, (batch, size, size, cin), 1.0, 0.3) for _ in range(2)]
    net.estimate([nchw(b) for b in batches])
    net.mode = 'eval'
    states, _ = net.forward(nchw(u))
    case['estimation'] = {
        'batches': [array(b) for b in batches],
        'running': {f'{n}.running.{k}': [float(f'{v:.9g}') for v in a.tolist()]
                    for n, (m, v) in net.running.items() for k, a in (('mean', m), ('variance', v))},
        'output': nhwc_list(states[-1]),
    }
    return case


golden = {
    'epsilon': EPS,
    'full': make_case(11, {'inChannels': 6, 'channels': 8, 'bottleneck': 4, 'iterations': 3, 'groups': 1}),
    'grouped': make_case(12, {'inChannels': 6, 'channels': 8, 'bottleneck': 4, 'iterations': 3, 'groups': 2}, full=False),
}
with open(os.path.join(HERE, 'grcl_golden.json'), 'w') as f:
    json.dump(golden, f, separators=(',', ':'))
print('wrote grcl_golden.json')
