/**
 * Minimal types for the parts of jstat 1.9 this project uses (jstat ships no
 * TypeScript declarations). Extend when another function is needed.
 */
declare module 'jstat' {
  /** Student's t distribution with `dof` degrees of freedom. */
  interface StudentT {
    /** P(T <= x). */
    cdf(x: number, dof: number): number;
  }
  export const jStat: {
    studentt: StudentT;
  };
}
