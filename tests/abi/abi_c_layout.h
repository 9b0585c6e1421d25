/* The layout rows as the C compiler computed them (defined in abi_headers_c99.c). */
#ifndef JOBBER_TESTS_ABI_C_LAYOUT_H
#define JOBBER_TESTS_ABI_C_LAYOUT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* field == NULL marks a struct row: offset holds sizeof, size holds alignof. */
struct jobber_c_layout_row {
    const char* type;
    const char* field;
    size_t offset;
    size_t size;
};

extern const struct jobber_c_layout_row jobber_c_layout_rows[];
extern const size_t jobber_c_layout_row_count;

int jobber_c_abi_entry_points_typecheck(void);

#ifdef __cplusplus
}
#endif

#endif /* JOBBER_TESTS_ABI_C_LAYOUT_H */
