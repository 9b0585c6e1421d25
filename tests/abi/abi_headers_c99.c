/* Proves the ABI headers are valid C99 (built with -std=c99 -Wall -Wextra -pedantic -Werror), that
 * a C compiler lays the structs out as the frozen table says, and exports the C compiler's own
 * numbers so the C++ test can compare both compilers row by row. */
#include <stddef.h>
#include <stdint.h>

#include "abi_c_layout.h"
#include "abi_layout_table.h"
#include "jobber/abi/arrow_c_abi.h"
#include "jobber/abi/broker.h"
#include "jobber/abi/common.h"
#include "jobber/abi/results.h"
#include "jobber/abi/source.h"
#include "jobber/abi/state.h"

/* C99 has no _Alignof; the offset of a member after one char is the type's alignment. */
/* clang-format off */
#define JOBBER_C_ALIGNOF(T) offsetof(struct { char c; T t; }, t)
/* clang-format on */

#define JOBBER_C_FIELD_SIZE(T, f) sizeof(((T*)0)->f)

/* A negative bit-field width is a compile error in every C compiler. */
#define JOBBER_C_CHECK(cond) (void)sizeof(struct { int layout_mismatch : (cond) ? 1 : -1; })

#define JOBBER_C_CHECK_FIELD(T, f, off, size) \
    JOBBER_C_CHECK(offsetof(T, f) == (off));  \
    JOBBER_C_CHECK(JOBBER_C_FIELD_SIZE(T, f) == (size));
#define JOBBER_C_CHECK_STRUCT(T, size, align) \
    JOBBER_C_CHECK(sizeof(T) == (size));      \
    JOBBER_C_CHECK(JOBBER_C_ALIGNOF(T) == (align));

void jobber_c_abi_static_checks(void) {
    JOBBER_ABI_LAYOUT(JOBBER_C_CHECK_FIELD, JOBBER_C_CHECK_STRUCT)

    JOBBER_C_CHECK(JOBBER_ABI_MAJOR == 1);
    JOBBER_C_CHECK(JOBBER_ABI_MINOR == 2);
    JOBBER_C_CHECK(sizeof(jobber_code) == 4);
    JOBBER_C_CHECK((jobber_code)-1 < 0);
    JOBBER_C_CHECK(JOBBER_EXPECT_STATE(JOBBER_JOB_FAILURE) == 32u);
}

#define JOBBER_C_ROW_FIELD(T, f, off, size) {#T, #f, offsetof(T, f), JOBBER_C_FIELD_SIZE(T, f)},
#define JOBBER_C_ROW_STRUCT(T, size, align) {#T, NULL, sizeof(T), JOBBER_C_ALIGNOF(T)},

const struct jobber_c_layout_row jobber_c_layout_rows[] = {JOBBER_ABI_LAYOUT(JOBBER_C_ROW_FIELD, JOBBER_C_ROW_STRUCT)};
const size_t jobber_c_layout_row_count = sizeof(jobber_c_layout_rows) / sizeof(jobber_c_layout_rows[0]);

/* Uses the function-pointer typedefs and the callback types from C, as a C plugin would. */
static const jobber_manifest* c_manifest(void) {
    return NULL;
}
static jobber_code c_init(const jobber_host_api* host,
                          uint32_t minor,
                          jobber_plugin_vtables* out,
                          jobber_error* error) {
    (void)host;
    (void)minor;
    (void)out;
    (void)error;
    return JOBBER_UNIMPLEMENTED;
}
static void c_shutdown(void) {}
static int32_t c_visit(void* context, const jobber_pending_message* message) {
    (void)context;
    return message->struct_size == 0;
}

static int32_t c_visit_queued(void* context, const jobber_queued_job* job) {
    (void)context;
    return job->struct_size == 0;
}

int jobber_c_abi_entry_points_typecheck(void) {
    jobber_plugin_manifest_fn manifest = &c_manifest;
    jobber_plugin_init_fn init = &c_init;
    jobber_plugin_shutdown_fn shutdown = &c_shutdown;
    jobber_pending_visitor visit = &c_visit;
    jobber_queued_job_visitor visit_queued = &c_visit_queued;
    return manifest != NULL && init != NULL && shutdown != NULL && visit != NULL && visit_queued != NULL;
}
