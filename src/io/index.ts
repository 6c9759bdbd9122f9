/** Reading numeric input files: NumPy `.npy`, HDF5 datasets, and specs naming either. */
export * from './errors';
export * from './hdf5';
export * from './matrixInput';
export * from './npy';
