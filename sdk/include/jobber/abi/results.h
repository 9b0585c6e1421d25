/* Results backend role: one table per job, written in batches and published atomically.
 *
 * The batches and schema use the column formats listed in jobber/abi/source.h.
 *
 * Threading: every function taking a jobber_results* may be called concurrently; a transaction
 * is used by one thread at a time. */
#ifndef JOBBER_ABI_RESULTS_H
#define JOBBER_ABI_RESULTS_H

#include "jobber/abi/arrow_c_abi.h"
#include "jobber/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jobber_results jobber_results;         /* opaque instance, owned by the plugin */
typedef struct jobber_results_txn jobber_results_txn; /* one table being written */

typedef struct jobber_results_target {
    uint32_t struct_size;
    const char* job_id;
    const char* table_name;     /* final name, already validated by the host; quote it anyway */
    int64_t expires_at_unix_ms; /* when the sweep may drop it; 0 = never */
} jobber_results_target;

typedef struct jobber_results_vtable {
    uint32_t struct_size;
    jobber_code (*open)(const jobber_open_args* args, jobber_results** out, jobber_error* error);
    /* Only after every transaction of the instance has been released and every other call returned. */
    void (*close)(jobber_results* results);
    /* Longest table name, in bytes, the database accepts unchanged. */
    uint32_t (*max_identifier_length)(jobber_results* results);
    /* Start writing a table with columns from `schema` (borrowed for the call) under a name that
     * readers cannot see yet. */
    jobber_code (*begin)(jobber_results* results,
                         const jobber_results_target* target,
                         const struct ArrowSchema* schema,
                         jobber_results_txn** out,
                         jobber_error* error);
    /* Append rows. `batch` is moved in: the plugin releases it (also on error). */
    jobber_code (*write)(jobber_results_txn* txn, struct ArrowArray* batch, jobber_error* error);
    /* Publish the table under its final name, atomically replacing an older table of that name,
     * and record its expiry. */
    jobber_code (*commit)(jobber_results_txn* txn, jobber_error* error);
    /* Free the transaction; rolls back and removes the temporary table unless committed.
     * Always called exactly once per successful begin. */
    void (*release)(jobber_results_txn* txn);
    /* Drop a published table. OK when it does not exist. */
    jobber_code (*drop)(jobber_results* results, const char* table_name, jobber_error* error);
    /* Drop every table whose expiry is <= now_unix_ms; report how many. */
    jobber_code (*sweep)(jobber_results* results, int64_t now_unix_ms, uint64_t* dropped, jobber_error* error);
    jobber_code (*ping)(jobber_results* results, jobber_error* error);
} jobber_results_vtable;

#ifdef __cplusplus
}
#endif

#endif /* JOBBER_ABI_RESULTS_H */
