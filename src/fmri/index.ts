/** fMRI re-analysis (section 2.6, Methods 4.4, Figure 8): BData I/O, synthetic data, analysis, stage and CLI. */
export * from './bdata';
export * from './synthetic';
export * from './analysis';
export * from './stage';
export * from './cli';
export { fig8a, fig8b, type Fig8Options } from '../figures/fig8';
