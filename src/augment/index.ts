/** Augmentations of Azeglio et al.: pure functions on image batches `[n, 28, 28]` in [0, 1], seeded. */
export * from './augmix';
export * from './augmixOps';
export * from './cutmix';
export * from './dft';
export * from './phaseNoise';
