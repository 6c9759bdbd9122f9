/** The error every input reader throws for bad input files. */

/**
 * Bad input: the message names the file, the field (an HDF5 dataset path, a
 * `.npy` header field, `data` for an array's values) and what was expected,
 * as `FILE: FIELD: PROBLEM`.
 */
export class InputError extends Error {
  constructor(
    /** The file as the user named it. */
    readonly file: string,
    /** Where in the file, e.g. `/dataset`, `descr`, `data`. */
    readonly field: string,
    /** What is wrong and what was expected. */
    readonly problem: string,
  ) {
    super(`${file}: ${field}: ${problem}`);
    this.name = 'InputError';
  }
}
