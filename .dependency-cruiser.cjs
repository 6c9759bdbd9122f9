/**
 * The import rules of src/ (run by `npm run check:imports`, part of `npm test`):
 * imports point one way. Bottom: data, io, noise, kernels, analysis, model,
 * recurrence, fmri (the library); above them figures; then stages (profiles,
 * jobs, cache-backed stages); then the command line and notebook helpers.
 */
const library = '^src/(data|io|noise|kernels|analysis|model|recurrence|fmri|augment)/|^src/(random|backend|check)\\.ts$';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'An import cycle (files importing each other, directly or not).', from: {}, to: { circular: true } },
    {
      name: 'library-below-stages', severity: 'error',
      comment: 'The library never imports figures, stages, the command line, the benchmark or the notebook helpers.',
      from: { path: library }, to: { path: '^src/(figures|stages|cli|bench)/|^src/(cli|notebook|index)\\.ts$' },
    },
    {
      name: 'analysis-is-pure', severity: 'error',
      comment: 'Analysis functions know nothing of where their arrays come from: only analysis/ and random.ts.',
      from: { path: '^src/analysis/' }, to: { path: '^src/', pathNot: '^src/analysis/|^src/random\\.ts$' },
    },
    {
      name: 'figures-below-stages', severity: 'error',
      comment: 'A figure is a function of results; it never runs a stage or the command line.',
      from: { path: '^src/figures/' }, to: { path: '^src/(stages|cli|bench)/|^src/(cli|notebook|index)\\.ts$' },
    },
    {
      name: 'stages-below-cli', severity: 'error',
      comment: 'Stages never import the command line.',
      from: { path: '^src/stages/' }, to: { path: '^src/cli/|^src/cli\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
