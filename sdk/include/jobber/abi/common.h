/* sql-jobber plugin ABI: the C boundary every plugin crosses.
 *
 * Rules for everything under jobber/abi/:
 *  - C types and fixed-width integers only; no C++ types, exceptions or RTTI cross this line.
 *  - Every struct that may grow starts with `uint32_t struct_size`. Fields are only ever appended.
 *    A reader treats fields beyond the writer's struct_size as absent (NULL / 0).
 *  - Every pointer says who owns it and for how long.
 *  - JOBBER_ABI_MAJOR changes only when a struct changes incompatibly; the host refuses plugins of
 *    another major. JOBBER_ABI_MINOR grows when fields are appended; the host accepts any plugin whose
 *    minor is <= its own.
 *
 * ABI 1.0: the four roles (broker, state store, source, results backend).
 * ABI 1.1: the state store's queue index (jobber_job_write.queue, jobber_state_vtable.list_queue).
 * ABI 1.2: jobber_broker_vtable.redelivers_only_after_lease. */
#ifndef JOBBER_ABI_COMMON_H
#define JOBBER_ABI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JOBBER_ABI_MAJOR 1
#define JOBBER_ABI_MINOR 2

#define JOBBER_EXPORT __attribute__((visibility("default")))

/* Status codes, numbered like absl/gRPC canonical codes. UNAVAILABLE and DEADLINE_EXCEEDED mean
 * "a retry may help". A fixed-width integer, not an enum, so its size never depends on the
 * compiler. */
typedef int32_t jobber_code;
#define JOBBER_OK 0
#define JOBBER_CANCELLED 1
#define JOBBER_UNKNOWN 2
#define JOBBER_INVALID_ARGUMENT 3
#define JOBBER_DEADLINE_EXCEEDED 4
#define JOBBER_NOT_FOUND 5
#define JOBBER_ALREADY_EXISTS 6
#define JOBBER_FAILED_PRECONDITION 9
#define JOBBER_UNIMPLEMENTED 12
#define JOBBER_INTERNAL 13
#define JOBBER_UNAVAILABLE 14

/* Error details. The caller zero-initialises it and passes it in; on a non-OK return the callee
 * may fill it. The caller then calls `release` (when non-NULL), which frees `message` with the
 * callee's allocator. */
typedef struct jobber_error {
    char* message;       /* NUL-terminated, for the operator; may be NULL */
    int32_t vendor_code; /* driver-specific error number, 0 when none */
    char sqlstate[6];    /* five-character SQLSTATE plus NUL, or empty */
    void (*release)(struct jobber_error*);
} jobber_error;

/* A byte buffer handed from callee to caller. The caller owns it after the call and must call
 * `release` (when non-NULL). */
typedef struct jobber_buffer {
    char* data;
    size_t size;
    void (*release)(struct jobber_buffer*);
} jobber_buffer;

/* One configuration entry, borrowed for the duration of the call that receives it. Values are
 * the host's canonical text form: durations in milliseconds, booleans "true"/"false". */
typedef struct jobber_kv {
    const char* key;
    const char* value;
} jobber_kv;

/* Config field declaration; the host validates an instance's YAML against these before `open`. */
#define JOBBER_FIELD_STRING 1
#define JOBBER_FIELD_INT 2
#define JOBBER_FIELD_BOOL 3
#define JOBBER_FIELD_DURATION 4 /* "90s", "5m", or an integer of seconds; delivered as ms */
#define JOBBER_FIELD_SECRET 5   /* a string the host never logs */

typedef struct jobber_config_field {
    const char* name;
    int32_t type;              /* JOBBER_FIELD_* */
    int32_t required;          /* non-zero: the host refuses config without it */
    const char* default_value; /* canonical text, or NULL for none */
    const char* doc;           /* one line for `sql-jobber plugins` */
} jobber_config_field;

/* Roles; a plugin may provide several. */
#define JOBBER_ROLE_BROKER 1u
#define JOBBER_ROLE_STATE 2u
#define JOBBER_ROLE_SOURCE 4u
#define JOBBER_ROLE_RESULTS 8u

typedef struct jobber_role_info {
    uint32_t role; /* one JOBBER_ROLE_* bit */
    const jobber_config_field* fields;
    uint32_t field_count;
} jobber_role_info;

/* Static data returned by jobber_plugin_manifest(); it must stay valid while the library is
 * loaded. Reading it runs no plugin code beyond the getter. The typedef is jobber_manifest so
 * that C plugins can name their entry point jobber_plugin_manifest. */
typedef struct jobber_plugin_manifest {
    uint32_t struct_size;
    uint32_t abi_major;  /* JOBBER_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;  /* JOBBER_ABI_MINOR the plugin was built with: the minimum it needs */
    const char* name;    /* the `type:` that selects it in config, [a-z0-9_]+ */
    const char* version; /* the plugin's own version */
    const char* description;
    const char* build_info; /* compiler and flags, for diagnostics only */
    const jobber_role_info* roles;
    uint32_t role_count;
} jobber_manifest;

/* Log levels, syslog numbering. */
#define JOBBER_LOG_ERROR 3
#define JOBBER_LOG_WARNING 4
#define JOBBER_LOG_INFO 6
#define JOBBER_LOG_DEBUG 7

/* Services the host offers plugins. Borrowed: valid from jobber_plugin_init until
 * jobber_plugin_shutdown returns. Every function is thread-safe. */
typedef struct jobber_host_api {
    uint32_t struct_size;
    void* host; /* pass back as the first argument */
    /* Plugins log only through this; never to stdout/stderr. `component` is e.g. the instance
     * name; strings are borrowed for the call. */
    void (*log)(void* host, int32_t level, const char* component, const char* message);
} jobber_host_api;

/* Arguments to every role's `open`. Borrowed for the call. */
typedef struct jobber_open_args {
    uint32_t struct_size;
    const char* instance_name; /* the config key, e.g. "main" under db: */
    const jobber_kv* config;   /* validated and defaulted by the host */
    uint32_t config_count;
} jobber_open_args;

struct jobber_broker_vtable;
struct jobber_state_vtable;
struct jobber_source_vtable;
struct jobber_results_vtable;

/* Filled by jobber_plugin_init. The host zero-initialises it and sets struct_size to its own size;
 * the plugin sets only the fields that fit in that size. Each vtable is static plugin data. A NULL
 * vtable means "role not provided". */
typedef struct jobber_plugin_vtables {
    uint32_t struct_size;
    const struct jobber_broker_vtable* broker;
    const struct jobber_state_vtable* state;
    const struct jobber_source_vtable* source;
    const struct jobber_results_vtable* results;
} jobber_plugin_vtables;

/* The three exported symbols. */
#define JOBBER_PLUGIN_MANIFEST_SYMBOL "jobber_plugin_manifest"
#define JOBBER_PLUGIN_INIT_SYMBOL "jobber_plugin_init"
#define JOBBER_PLUGIN_SHUTDOWN_SYMBOL "jobber_plugin_shutdown"

typedef const jobber_manifest* (*jobber_plugin_manifest_fn)(void);
/* Called once, before any instance is opened. `host_abi_minor` lets a newer plugin fall back. */
typedef jobber_code (*jobber_plugin_init_fn)(const jobber_host_api* host,
                                             uint32_t host_abi_minor,
                                             jobber_plugin_vtables* out,
                                             jobber_error* error);
/* Called once, after every instance is closed. The library stays mapped until process exit. */
typedef void (*jobber_plugin_shutdown_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* JOBBER_ABI_COMMON_H */
