/**
 * LR-GRCL: gated lateral recurrence on layer 1 of the frozen core, the GRCL of
 * Azeglio et al. (equation 1, after Wang & Hu's GRCNN) made into a twin of
 * LR-TT, so that comparing the two isolates the gate. For t ≥ 1, with
 * `d1 = conv1(x) + b1` and r1(0) = ReLU(d1):
 *
 *     g_t   = B(r1(t−1)) + C(r1(0)) + c
 *     r1(t) = ReLU(d1 + σ(g_t) ⊙ L(r1(t−1)))
 *
 * and layers 2-4 recomputed from r1(t), as for every additive rule.
 *
 * - L: the 7x7 lateral convolution 32 → 32 of LR-TT, shared over time.
 *   Without the gate (σ ≡ 1) the rule is LR-TT exactly.
 * - B: a 1x1 convolution 32 → 32 without bias, the gate's recurrent part (the
 *   GRCNN code's `conv_gr`, also 1x1 and shared over iterations).
 * - C: a 1x1 convolution 32 → 32 with bias c, the gate's feedforward part,
 *   applied to the feedforward response r1(0). GRCL's C reads the layer's
 *   input u; at layer 1 that is the one-channel image, where a 1x1 convolution
 *   would make the gate an affine function of pixel intensity, and a wider one
 *   would add a trained feedforward filter bank LR-TT does not have. r1(0) is
 *   GRCL's x_0 = A_0(u) here (the frozen conv1), so C reads the core's own
 *   feedforward features. GRCL computes C(u) once; C(r1(0)) is fixed over time
 *   too, and is recomputed at each step only because the rules keep no state
 *   between steps (a 1x1 convolution, about 2 % of L's cost).
 * - No residual term: GRCL's x_t = x_{t−1} + σ ⊙ A_t(x_{t−1}) is a residual
 *   stack, whereas LR-TT (and this rule) add the recurrent input to the fixed
 *   drive d1; keeping LR-TT's form changes one thing only, the gate.
 * - No batch norm and no pre-activation ReLU: the frozen core has no batch norm,
 *   and r1 is already post-ReLU, so GRCNN's conv(ReLU(BN(·))) reduces to conv(·).
 * - Initialisation: L, B and C truncated normal with the training config's
 *   init s.d. (.001, LR-TT's), c = 0; the gate starts half open, σ(g) = .5 up
 *   to about 1e-3, so the untrained rule is LR-TT with L/2.
 *
 * `src/model/grcl.ts` is the full GRCL with batch norms, bottleneck updates and
 * groups, for the GRCNN; none of its pieces fits a layer without batch norm, so
 * this rule uses plain tfjs convolutions.
 */
import * as tf from '@tensorflow/tfjs';
import { layer2FromR1 } from '../model/core';
import type { LayerState, StepInput, UpdateRule } from './rules';

/** Shapes of the LR-GRCL weights (L is LR-TT's `[7, 7, 32, 32]`). */
export const GATED_LATERAL_SHAPES = {
  lateral: [7, 7, 32, 32],
  gateRecurrent: [1, 1, 32, 32],
  gateFeedforward: [1, 1, 32, 32],
  gateBias: [32],
} as const;

function checkShape(name: keyof typeof GATED_LATERAL_SHAPES, t: tf.Tensor): void {
  const shape: readonly number[] = GATED_LATERAL_SHAPES[name];
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`LR-GRCL: weight '${name}' must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}

/** LR-GRCL: LR-TT's lateral input, multiplied by a gate computed from r1(t−1) and r1(0). */
export class GatedLateralRule implements UpdateRule {
  readonly type = 'LR-GRCL';
  readonly timeSteps = 3;
  /**
   * @param lateral L `[7, 7, 32, 32]`.
   * @param gateRecurrent B `[1, 1, 32, 32]`.
   * @param gateFeedforward C `[1, 1, 32, 32]`.
   * @param gateBias c `[32]`.
   */
  constructor(readonly lateral: tf.Tensor4D, readonly gateRecurrent: tf.Tensor4D, readonly gateFeedforward: tf.Tensor4D, readonly gateBias: tf.Tensor1D) {
    checkShape('lateral', lateral);
    checkShape('gateRecurrent', gateRecurrent);
    checkShape('gateFeedforward', gateFeedforward);
    checkShape('gateBias', gateBias);
  }

  /** σ(g_t) `[batch, 28, 28, 32]`, in (0, 1), for the step from `state` (at t − 1). */
  gate(input: StepInput, state: LayerState): tf.Tensor4D {
    return tf.tidy(() => {
      const recurrent = tf.conv2d(state.r1, this.gateRecurrent, 1, 'same');
      const feedforward = tf.conv2d(input.feedforward, this.gateFeedforward, 1, 'same');
      return tf.sigmoid(tf.add<tf.Tensor4D>(tf.add(recurrent, feedforward), this.gateBias));
    });
  }

  update(input: StepInput, state: LayerState): LayerState {
    const lateral = tf.conv2d(state.r1, this.lateral, 1, 'same');
    const r1 = tf.relu(tf.add<tf.Tensor4D>(input.drive, tf.mul(this.gate(input, state), lateral)));
    return { r1, r2: layer2FromR1(input.core, r1) };
  }

  tensors(): Record<string, tf.Tensor> {
    return { lateral: this.lateral, gateRecurrent: this.gateRecurrent, gateFeedforward: this.gateFeedforward, gateBias: this.gateBias };
  }
}
