/* Source role: a pooled connection to the database the task queries run against.
 *
 * Rows leave the plugin as an Arrow C stream of struct arrays, one child per result column, with
 * these column formats (the only ones the host and results backends must handle):
 *   BIGINT "l" (int64)          DOUBLE "g" (float64)         BOOLEAN "b"
 *   TEXT "u" (utf8)             DATE "tdD" (days, int32)     TIMESTAMP "tsu:UTC" (microseconds)
 *   DECIMAL "u" with field metadata ARROW:extension:name = "jobber.decimal" (exact decimal text)
 * Every column is nullable.
 *
 * Threading: prepare/execute/ping may be called concurrently on one instance; a stream is used
 * by one thread at a time; cancel may be called from any thread at any time. */
#ifndef JOBBER_ABI_SOURCE_H
#define JOBBER_ABI_SOURCE_H

#include "jobber/abi/arrow_c_abi.h"
#include "jobber/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jobber_source jobber_source; /* opaque instance, owned by the plugin */

#define JOBBER_VALUE_NULL 0
#define JOBBER_VALUE_BOOL 1
#define JOBBER_VALUE_INT64 2
#define JOBBER_VALUE_DOUBLE 3
#define JOBBER_VALUE_TEXT 4

/* A bound query argument; borrowed for the execute call. Sources without typed binding bind the
 * text form (numbers as the client sent them, booleans "true"/"false"). */
typedef struct jobber_value {
    int32_t type;
    int32_t bool_value;
    int64_t int_value;
    double double_value;
    const char* text; /* TEXT: the value; other types: their canonical text form, or NULL */
    size_t text_size;
} jobber_value;

typedef struct jobber_statement_info {
    uint32_t struct_size;
    int32_t param_count; /* -1 when the source cannot tell (raw SQL on some engines) */
} jobber_statement_info;

typedef struct jobber_query {
    uint32_t struct_size;
    uint64_t query_id;     /* unique within the host process; the key for cancel */
    const char* task_name; /* key of the prepared statement */
    const char* sql;
    int32_t raw; /* non-zero: do not prepare, run as a plain query */
    const jobber_value* params;
    uint32_t param_count;
    int64_t timeout_ms; /* 0 = none; the source cancels the query when exceeded */
    int64_t batch_rows; /* preferred rows per batch */
} jobber_query;

/* Stream error codes returned by get_next/get_schema (errno values, as the Arrow spec asks):
 * ECANCELED after cancel, ETIMEDOUT after timeout_ms, EAGAIN when the database became unavailable
 * (a retry may help), EINVAL for errors in the query itself, EIO for other database errors, ENOMEM.
 * The text is in get_last_error. */

typedef struct jobber_source_vtable {
    uint32_t struct_size;
    jobber_code (*open)(const jobber_open_args* args, jobber_source** out, jobber_error* error);
    /* Only after every stream of the instance has been released and every other call returned. */
    void (*close)(jobber_source* source);
    /* Check the SQL of a task (prepare it unless raw) and report its parameter count.
     * INVALID_ARGUMENT for SQL the database rejects; UNAVAILABLE when it cannot be reached. */
    jobber_code (*prepare)(jobber_source* source,
                           const char* task_name,
                           const char* sql,
                           int32_t raw,
                           jobber_statement_info* out,
                           jobber_error* error);
    /* Run a query. On OK `out` is a live stream owned by the caller, who releases it; it holds a
     * pooled connection until then. */
    jobber_code (*execute)(jobber_source* source,
                           const jobber_query* query,
                           struct ArrowArrayStream* out,
                           jobber_error* error);
    /* Cancel query `query_id` in the database. OK when it is not (or no longer) running. */
    jobber_code (*cancel)(jobber_source* source, uint64_t query_id, jobber_error* error);
    jobber_code (*ping)(jobber_source* source, jobber_error* error);
} jobber_source_vtable;

#ifdef __cplusplus
}
#endif

#endif /* JOBBER_ABI_SOURCE_H */
