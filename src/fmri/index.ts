/** fMRI re-analysis (section 2.6, Methods 4.4, Figure 8): BData I/O, synthetic data with planted truth, analysis. */
export * from './bdata';
export * from './synthetic';
export * from './analysis';
