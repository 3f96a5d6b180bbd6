// zlib (Debian: zlib1g-dev, which libhdf5-dev already needs): its CRC-32 for whole-file checksums.
#include <zlib.h>
