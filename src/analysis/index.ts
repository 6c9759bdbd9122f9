/** Analyses shared by the network and fMRI parts: pure functions on plain arrays. */
export * from './denoising';
export * from './dimensionality';
export * from './stats';
export * from './predictivity';
