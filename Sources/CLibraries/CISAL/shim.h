#include <isa-l/igzip_lib.h>

// Size macros are expressions Swift cannot import; expose them as functions.
static inline uint32_t cisal_level1_buffer_size(void) { return ISAL_DEF_LVL1_DEFAULT; }
