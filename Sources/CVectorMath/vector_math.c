// Everything lives in include/vector_math.h (inline); SwiftPM needs one source file per C target.
#include "vector_math.h"
