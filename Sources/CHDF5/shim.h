// HDF5 C API (Debian: libhdf5-dev; pkg-config `hdf5`).
// HDF5 spells many constants as macros that expand to function calls or
// global ids, which Swift cannot import; these inline functions expose them.
#include <hdf5.h>

static inline hid_t scanlab_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t scanlab_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t scanlab_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t scanlab_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t scanlab_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t scanlab_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t scanlab_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t scanlab_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t scanlab_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t scanlab_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline unsigned scanlab_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned scanlab_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned scanlab_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned scanlab_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline size_t scanlab_H5T_VARIABLE(void) { return H5T_VARIABLE; }

/// Silences HDF5's automatic error-stack printing so callers can report errors themselves.
static inline void scanlab_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
