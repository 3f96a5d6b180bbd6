// HDF5 C API (Debian: libhdf5-dev; pkg-config `hdf5`).
// HDF5 spells many constants as macros that expand to function calls or
// global ids, which Swift cannot import; these inline functions expose them.
#include <hdf5.h>
#include <string.h>

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

/// Silences HDF5's automatic error-stack printing so callers can report errors themselves, and
/// (on the first call, before HDF5 initialises) turns off HDF5's clean-up at exit: a file whose
/// write failed (a full disk) cannot be closed, and HDF5 crashed at exit retrying it. ScanLab
/// closes every file it writes itself.
static inline void scanlab_H5_silence_errors(void) {
    static int first = 1;
    if (first) { first = 0; H5dont_atexit(); }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static herr_t scanlab_H5_find_checksum(unsigned n, const H5E_error2_t *e, void *found) {
    (void)n;
    if (e->desc && strstr(e->desc, "checksum")) *(int *)found = 1;
    return 0;
}

/// Whether the current error stack reports a failed checksum (Fletcher-32: damaged data).
static inline int scanlab_H5_error_is_checksum(void) {
    int found = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, scanlab_H5_find_checksum, &found);
    return found;
}

/// A dataset-creation property list: chunked as given, with Fletcher-32 checksums (HDF5
/// verifies them on every read). Negative when HDF5 refuses.
static inline hid_t scanlab_H5_checksummed_layout(int rank, const hsize_t *chunk) {
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    if (plist < 0) return plist;
    if (H5Pset_chunk(plist, rank, chunk) < 0 || H5Pset_fletcher32(plist) < 0) { H5Pclose(plist); return -1; }
    return plist;
}

/// Whether a dataset-creation property list includes the Fletcher-32 filter.
static inline int scanlab_H5_has_fletcher32(hid_t plist) {
    unsigned flags = 0;
    size_t count = 0;
    unsigned config = 0;
    return H5Pget_filter_by_id2(plist, H5Z_FILTER_FLETCHER32, &flags, &count, NULL, 0, NULL, &config) >= 0;
}
