"""Golden reference for the FB-PC dynamics (Predify, Choksi et al. 2020/2021) on our two-layer core.

Run from the project root with Debian's python3 (torch, numpy):

    /usr/bin/python3 test/golden/make_fbpc_golden.py

Writes test/golden/fbpc_golden.json (format at the end of this docstring). It is
deterministic: fixed numpy seed, float64 reference arithmetic, no threads-dependent ops.

This is an independent PyTorch implementation (NCHW internally, autograd for the
error gradient exactly as Predify takes it), written from Predify's code, not from
src/. Citations are to github.com/miladmozafari/predify (module `predify/modules/base.py`
is cited at two stored versions, "2f49a67" and "57e8b18"; the dynamics lines are the
same in both) and to its example network examples/PVGG16/pvgg16n_separate.py.

Predify, what one timestep is (PNetSeparateHP.forward / PNetSameHP.forward in
predify/networks/base.py run the backbone once per timestep; each PCoder is a
forward hook on a backbone module and replaces that module's output by its `rep`):

    PCoder.forward / PCoderN.forward (predify/modules/base.py):
      if self.rep is None:   rep = ff                       (random_init=False; t = 0)
      else:                  rep = ffm*ff + fbm*fb + (1-ffm-fbm)*rep - erm*error_scale*grd
                             (no feedback: rep = ffm*ff + (1-ffm)*rep - erm*error_scale*grd)
      prd = pmodule(rep)
      grd = d mse_loss(prd, target) / d rep              (torch mean reduction)
      PCoderN only: error_scale = prd.numel() / C_sqrt, C = number of prediction cells
      one representation cell reaches (Jacobian of pmodule at a centre probe, 2f49a67;
      cells changed by perturbing the centre cell, 57e8b18). PCoder: error_scale = 1.
    The hooks (pvgg16n_separate.py): pcoder_i(ff=m_out, fb=pcoder_{i+1}.prd,
      target=pcoder_{i-1}.rep (pcoder1: the image)), on the ReLU modules that end each
      VGG16 block (features[3], [8], ...): post-ReLU, pre-pool. The PCoders run in
      forward order, so ff_i(t) is recomputed from the lower PCoder's rep at t; fb is
      the higher PCoder's prd from t-1; the target is the lower rep at t. grd_i(t-1) is
      taken at rep_i(t-1) against rep_{i-1}(t-1). No ReLU after the update.
    Predictors of hidden (post-ReLU) representations end in a ReLU:
      Sequential(ConvTranspose2d(..., stride 2), ReLU) (pvgg16n_separate.py, pvgg16_config.toml).

Our mapping (Lindsay et al. Methods 4.1: one feedback, layer 2 -> layer 1, trained to
reconstruct layer-1 activity on clean images; alpha = 1, lambda = .7, beta = .2, shared):

    PCoder1 = r1 [b,28,28,32] (post-ReLU, pre-pool), ff1 = ReLU(conv1(x) + b1) (static input).
      Predify's PCoder1 would also predict the image and get -alpha*s1*dE_img/dr1; the paper
      trained no image decoder, so PCoder1 has NO error term (equivalently alpha_1 = 0).
    PCoder2 = r2 [b,14,14,64] (post-ReLU, pre-pool), top PCoder: no feedback term.
      ff2(t) = ReLU(conv2(maxpool2(r1(t))) + b2), recomputed from the current r1.
    Decoder P = pmodule of PCoder2: tfjs conv2dTranspose(r2, D [5,5,32,64], [b,28,28,32],
      stride 2, 'same') + bias, then ReLU when decoderRelu (PVGG16's form) -- both variants
      are written.

    t = 0:   r1 = ff1;  r2 = ff2(r1)
    t >= 1:  r1(t) = beta*ff1 + lambda*P(r2(t-1)) + (1-beta-lambda)*r1(t-1)
             r2(t) = beta*ff2(r1(t)) + (1-beta)*r2(t-1) - alpha*s*g(t-1)
    with     g(t)  = d mean((P(r2(t)) - r1(t))^2) / d r2(t)    (mean over the whole batch
                     tensor, as torch mse_loss), taken by autograd,
             s     = numel(P(r2)) / sqrt(C) when scaleError, else 1,
             C     = number of non-zero entries of d P(z) / d z[0, 7, 7, 32] at z = that unit
                     set to 1, all else 0, batch 1 (Predify 2f49a67 compute_C_sqrt; channel
                     64//2 = 32, row 14//2, column 14//2). Linear decoder: 800 = 5*5*32.
    So per element, alpha*s*g = alpha * 2 * P_lin^T[(P(r2) - r1) * P'] / sqrt(C), independent
    of the batch size.

Layouts: tfjs conv2d filter [h, w, in, out] -> torch [out, in, h, w]; tfjs conv2dTranspose
filter [h, w, out=32, in=64] -> torch conv_transpose2d weight [in=64, out=32, h, w]. tfjs
'same' with stride 2, kernel 5, 28 <-> 14 pads 1 before and 2 after; conv_transpose2d with
padding=1 gives 29 rows/columns, of which the first 28 are tfjs's. The script checks this
against autograd's adjoint of the tfjs-padded forward convolution.

Output format (fbpc_golden.json):
  weights.{w1 [5,5,1,32], b1 [32], w2 [5,5,32,64], b2 [64], decoder [5,5,32,64], decoderBias [32]}
  and images [2,28,28,1]: {"shape": [...], "float32_base64": little-endian float32, row-major
  in the tfjs layout given}.
  indices.r1: 400 flat indices into r1 [2,28,28,32] (NHWC row-major, tfjs dataSync order);
  indices.r2: 400 flat indices into r2 [2,14,14,64].
  variants[k]: {name, options {alpha, lambda, beta, scaleError, decoderRelu, errorOnR1}, C,
    errorScalePerElement = alpha/sqrt(C) (the factor on the gradient of the SUMMED squared error
    sum((P(r2)-r1)^2), see errorTermDefinition), float32MaxAbsDiff (max |float32 run - float64
    run| over all steps, per tensor: a guide for the test's tolerance), steps[13]}.
  Variant 'predify' (decoderRelu: true) is the faithful reading; 'linear-decoder' is the
  project's decoder form at the time of writing (no output ReLU).
  steps[t]: {step, r1, r2, prediction, errorTerm}, each {values, channelSums: [image][channel]
    sums over rows and columns}; r1.values at indices.r1, r2.values at indices.r2,
    prediction.values at the first 100 of indices.r1, errorTerm.values at the first 100 of indices.r2.
    prediction = P(r2(t)) (used by r1 at t+1); errorTerm = alpha*s*g(t) (subtracted from r2 at t+1).
  Values are from float64 arithmetic on the float32 weights and images.
"""
import base64
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20250611
STEPS = 13
N_INDICES = 400
N_SHORT = 100   # prediction and errorTerm are sampled at the first 100 indices only (file size)
ALPHA, LAMBDA, BETA = 1.0, 0.7, 0.2

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


# ---------------------------------------------------------------- data

def make_inputs():
    rng = np.random.default_rng(SEED)
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    w = {
        'w1': f32(rng.normal(0, 0.25, (5, 5, 1, 32))),
        'b1': f32(rng.normal(-0.05, 0.05, (32,))),
        'w2': f32(rng.normal(0, 0.04, (5, 5, 32, 64))),
        'b2': f32(rng.normal(-0.02, 0.05, (64,))),
        'decoder': f32(rng.normal(0, 0.03, (5, 5, 32, 64))),
        'decoderBias': f32(rng.normal(0.02, 0.05, (32,))),
    }
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float64)
    ring = np.exp(-((np.hypot(yy - 14, xx - 13.5) - 7.0) ** 2) / 3.0)           # a '0'
    stroke = np.exp(-((xx - 14 - 0.25 * (yy - 14)) ** 2) / 2.5) * (np.abs(yy - 14) < 10)  # a '1'
    clean = np.stack([ring, stroke])
    noisy = np.clip(clean + rng.normal(0, 0.25, clean.shape), 0, 1)
    images = f32(noisy[..., None])  # [2, 28, 28, 1]
    idx1 = np.sort(rng.choice(2 * 28 * 28 * 32, N_INDICES, replace=False))
    idx2 = np.sort(rng.choice(2 * 14 * 14 * 64, N_INDICES, replace=False))
    return w, images, idx1, idx2


# ---------------------------------------------------------------- the core and the decoder (NCHW)

def nchw(a):  # tfjs NHWC array -> torch NCHW
    return a.permute(0, 3, 1, 2)


def nhwc(t):  # torch NCHW -> NHWC
    return t.permute(0, 2, 3, 1)


class Net:
    def __init__(self, w, dtype):
        t = lambda a: torch.tensor(a, dtype=dtype)
        self.w1 = t(w['w1']).permute(3, 2, 0, 1).contiguous()       # [32, 1, 5, 5]
        self.b1 = t(w['b1'])
        self.w2 = t(w['w2']).permute(3, 2, 0, 1).contiguous()       # [64, 32, 5, 5]
        self.b2 = t(w['b2'])
        self.dec = t(w['decoder']).permute(3, 2, 0, 1).contiguous()  # [in 64, out 32, 5, 5]
        self.dec_fwd_filter = t(w['decoder']).permute(3, 2, 0, 1).contiguous()  # as conv2d weight [out=64, in=32, 5, 5]
        self.decb = t(w['decoderBias'])
        self.dtype = dtype

    def ff1(self, x):                      # x NCHW [b,1,28,28]
        return F.relu(F.conv2d(x, self.w1, self.b1, padding=2))

    def ff2(self, r1):                     # r1 NCHW [b,32,28,28] -> [b,64,14,14]
        return F.relu(F.conv2d(F.max_pool2d(r1, 2, 2), self.w2, self.b2, padding=2))

    def decode_linear(self, r2):           # tfjs conv2dTranspose(r2, D, [b,28,28,32], 2, 'same') + bias
        out = F.conv_transpose2d(r2, self.dec, None, stride=2, padding=1)[:, :, :28, :28]
        return out + self.decb.view(1, -1, 1, 1)

    def decode(self, r2, relu):
        p = self.decode_linear(r2)
        return F.relu(p) if relu else p

    def check_decoder_layout(self):
        """The decoder must be the adjoint of tfjs conv2d(., D, stride 2, 'same'), pads (1, 2)."""
        g = torch.Generator().manual_seed(1)
        y = torch.randn(2, 64, 14, 14, generator=g, dtype=self.dtype)
        z = torch.zeros(2, 32, 28, 28, dtype=self.dtype, requires_grad=True)
        fwd = F.conv2d(F.pad(z, (1, 2, 1, 2)), self.dec_fwd_filter, stride=2)  # tfjs 'same' stride 2
        assert fwd.shape == (2, 64, 14, 14)
        adj = torch.autograd.grad((fwd * y).sum(), z)[0]
        mine = self.decode_linear(y) - self.decb.view(1, -1, 1, 1)
        err = (adj - mine).abs().max().item()
        assert err < 1e-9 * max(1.0, adj.abs().max().item()) or (self.dtype == torch.float32 and err < 1e-4), err


def reach_count(net, relu):
    """Predify 2f49a67 PCoderN.compute_C_sqrt: non-zero Jacobian entries at a centre probe."""
    def probe(v):
        rep = torch.zeros(1, 64, 14, 14, dtype=net.dtype)
        rep[0, 64 // 2, 14 // 2, 14 // 2] = v[0]
        return net.decode(rep, relu)
    jac = torch.autograd.functional.jacobian(probe, torch.tensor([1.0], dtype=net.dtype), strict=True)
    return int((jac != 0).sum().item())


# ---------------------------------------------------------------- the dynamics

def run(net, images, opt):
    """Returns per step (r1, r2, prediction, errorTerm) as NCHW tensors."""
    x = nchw(torch.tensor(images, dtype=net.dtype))
    relu = opt['decoderRelu']
    C = reach_count(net, relu)
    ff1 = net.ff1(x)

    def predict_and_grad(r2, target):
        # PCoder.forward: prd = pmodule(rep); grd = d mse_loss(prd, target) / d rep.
        rep = r2.detach().requires_grad_(True)
        with torch.enable_grad():
            prd = net.decode(rep, relu)
            loss = F.mse_loss(prd, target.detach())
            grd = torch.autograd.grad(loss, rep)[0]
        scale = prd.numel() / math.sqrt(C) if opt['scaleError'] else 1.0   # PCoderN error_scale
        return prd.detach(), opt['alpha'] * scale * grd

    out = []
    r1 = ff1
    r2 = net.ff2(r1)
    prd, err = predict_and_grad(r2, r1)
    out.append((r1, r2, prd, err))
    b, l = opt['beta'], opt['lambda']
    for _ in range(1, STEPS):
        r1 = b * ff1 + l * prd + (1 - b - l) * r1          # PCoder1: has feedback, no error term
        r2 = b * net.ff2(r1) + (1 - b) * r2 - err          # PCoder2: top, no feedback
        prd, err = predict_and_grad(r2, r1)
        out.append((r1, r2, prd, err))
    return C, out


# ---------------------------------------------------------------- output

def b64(a):
    a = np.ascontiguousarray(a, dtype='<f4')
    return {'shape': list(a.shape), 'float32_base64': base64.b64encode(a.tobytes()).decode('ascii')}


def num(v):
    """8 significant digits: far below float32 arithmetic error, keeps the file small."""
    return float(f'{float(v):.8g}')


def summary(t, idx):
    a = nhwc(t).detach().to(torch.float64).numpy()
    return {
        'values': [num(v) for v in a.reshape(-1)[idx]],
        'channelSums': [[num(s) for s in img] for img in a.sum(axis=(1, 2))],
    }


def main():
    w, images, idx1, idx2 = make_inputs()
    ref = Net(w, torch.float64)
    ref.check_decoder_layout()
    single = Net(w, torch.float32)
    single.check_decoder_layout()

    variants = []
    for name, relu in (('predify', True), ('linear-decoder', False)):
        opt = {'alpha': ALPHA, 'lambda': LAMBDA, 'beta': BETA, 'scaleError': True, 'decoderRelu': relu, 'errorOnR1': False}
        C, steps = run(ref, images, opt)
        C32, steps32 = run(single, images, opt)
        assert C == C32
        diff = {k: max((s[i] - s32[i].to(torch.float64)).abs().max().item() for s, s32 in zip(steps, steps32))
                for i, k in enumerate(('r1', 'r2', 'prediction', 'errorTerm'))}
        variants.append({
            'name': name,
            'options': opt,
            'C': C,
            'errorScalePerElement': ALPHA / math.sqrt(C),
            'errorTermDefinition': 'alpha * numel/sqrt(C) * d mean((P(r2)-r1)^2)/d r2 = alpha/sqrt(C) * d sum((P(r2)-r1)^2)/d r2',
            'float32MaxAbsDiff': diff,
            'steps': [{
                'step': t,
                'r1': summary(s[0], idx1),
                'r2': summary(s[1], idx2),
                'prediction': summary(s[2], idx1[:N_SHORT]),
                'errorTerm': summary(s[3], idx2[:N_SHORT]),
            } for t, s in enumerate(steps)],
        })
        print(f'{name}: C = {C}; |r1| max {steps[-1][0].abs().max().item():.4f}; float32 vs float64 max abs diff {diff}')

    golden = {
        'description': 'FB-PC (Predify) dynamics on the two-layer core; see make_fbpc_golden.py for the equations and the format.',
        'seed': SEED,
        'steps': STEPS,
        'weights': {k: b64(v) for k, v in w.items()},
        'images': b64(images),
        'indices': {'r1': [int(i) for i in idx1], 'r2': [int(i) for i in idx2]},
        'variants': variants,
    }
    path = os.path.join(HERE, 'fbpc_golden.json')
    with open(path, 'w') as f:
        json.dump(golden, f, separators=(',', ':'))
    print(f'wrote {path}: {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
