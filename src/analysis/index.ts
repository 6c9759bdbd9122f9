/** Analyses shared by the network and fMRI parts: pure functions on plain arrays. */
export * from './behaviour';
export * from './denoising';
export * from './dimensionality';
export * from './gram';
export * from './influence';
export * from './pca';
export * from './modelRecovery';
export * from './stats';
export * from './predictivity';
export * from './subspace';
