/* State store role: job and group records, shared by every process of a deployment.
 *
 * A job record is (state, token, body, expiry). `state` is a JOBBER_JOB_* value the store
 * understands; `token` identifies one submission of a job ID (so a stale delivery of an earlier
 * run of the same ID can be told apart); `body` is opaque bytes (the host's JSON).
 * All writes are compare-and-set on (state, token), which is what makes "claim this job ID
 * unless it is pending or running" and "cancel wins over finish" atomic across processes.
 *
 * Threading: every function taking a jobber_state* may be called concurrently from any thread,
 * except close, which the host calls only after every other call on the instance has returned.
 * TTLs and leases are milliseconds; 0 means "no expiry" for records, and a slot lease must be > 0. */
#ifndef JOBBER_ABI_STATE_H
#define JOBBER_ABI_STATE_H

#include "jobber/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jobber_state jobber_state; /* opaque instance, owned by the plugin */

#define JOBBER_JOB_PENDING 1
#define JOBBER_JOB_STARTED 2
#define JOBBER_JOB_RETRY 3
#define JOBBER_JOB_SUCCESS 4
#define JOBBER_JOB_FAILURE 5

/* Bit masks over states for cas_job's `expect_mask`. JOBBER_EXPECT_ABSENT matches "no record"
 * (never created, deleted or expired). */
#define JOBBER_EXPECT_ABSENT (1u << 0)
#define JOBBER_EXPECT_STATE(s) (1u << (s))

/* A record returned to the caller, who owns it and calls `release` once. */
typedef struct jobber_job_record {
    uint32_t struct_size;
    int32_t state;
    char* token;
    char* body;
    size_t body_size;
    void (*release)(struct jobber_job_record*);
} jobber_job_record;

/* A record to write. Borrowed for the call. */
typedef struct jobber_job_write {
    uint32_t struct_size;
    int32_t state;
    const char* token;
    const char* body;
    size_t body_size;
    int64_t ttl_ms; /* record disappears this long after the write; 0 = never */
    /* ABI 1.1 (a 1.0 store ignores it): the queue the job waits in. While the record's state is
     * PENDING or RETRY the store lists the job under this queue (list_queue), until a later write
     * moves it to another state, or the record is deleted or expires. NULL: not listed. Lets the
     * host answer "what is queued" for brokers that cannot browse (AMQP); the host sets it only for
     * such brokers, so a store sees NULL on every write when the broker lists its own queues. */
    const char* queue;
} jobber_job_write;

/* ABI 1.1: one job seen by list_queue. Borrowed for the visitor call. */
typedef struct jobber_queued_job {
    uint32_t struct_size;
    const char* job_id;
    int32_t state; /* JOBBER_JOB_PENDING or JOBBER_JOB_RETRY */
    const char* token;
    const char* body;
    size_t body_size;
} jobber_queued_job;

/* Return 0 to continue, non-zero to stop listing. */
typedef int32_t (*jobber_queued_job_visitor)(void* context, const jobber_queued_job* job);

typedef struct jobber_state_vtable {
    uint32_t struct_size;
    jobber_code (*open)(const jobber_open_args* args, jobber_state** out, jobber_error* error);
    void (*close)(jobber_state* state);
    /* Write `record` if the current record matches: absent and JOBBER_EXPECT_ABSENT is in
     * `expect_mask`, or its state's bit is in `expect_mask` and (`expect_token` is NULL or equals
     * its token). Otherwise FAILED_PRECONDITION, and `current` (when non-NULL) receives the record
     * found (state 0 when absent). `current` is untouched on success. */
    jobber_code (*cas_job)(jobber_state* state,
                           const char* job_id,
                           uint32_t expect_mask,
                           const char* expect_token,
                           const jobber_job_write* record,
                           jobber_job_record* current,
                           jobber_error* error);
    /* NOT_FOUND when absent. */
    jobber_code (*get_job)(jobber_state* state, const char* job_id, jobber_job_record* out, jobber_error* error);
    /* Removes the record; OK when already absent. */
    jobber_code (*delete_job)(jobber_state* state, const char* job_id, jobber_error* error);
    /* Group records: opaque bodies with an expiry, last write wins. get_group: NOT_FOUND when
     * absent; delete_group: OK when already absent. */
    jobber_code (*put_group)(jobber_state* state,
                             const char* group_id,
                             const char* body,
                             size_t body_size,
                             int64_t ttl_ms,
                             jobber_error* error);
    jobber_code (*get_group)(jobber_state* state, const char* group_id, jobber_buffer* out, jobber_error* error);
    jobber_code (*delete_group)(jobber_state* state, const char* group_id, jobber_error* error);
    /* Counting semaphore `key` with at most `limit` holders; a holder's slot lapses after
     * `lease_ms` unless re-acquired (which refreshes it). Sets *acquired to 1 or 0. */
    jobber_code (*acquire_slot)(jobber_state* state,
                                const char* key,
                                uint32_t limit,
                                const char* holder,
                                int64_t lease_ms,
                                int32_t* acquired,
                                jobber_error* error);
    /* OK when the holder held no slot. */
    jobber_code (*release_slot)(jobber_state* state, const char* key, const char* holder, jobber_error* error);
    jobber_code (*ping)(jobber_state* state, jobber_error* error);
    /* ABI 1.1 (absent in 1.0 stores: check struct_size): visit at most `limit` jobs listed under
     * `queue` (see jobber_job_write.queue) whose record is still PENDING or RETRY, oldest listing
     * first (a job keeps its place while rewritten within the same queue; one that left the list
     * and came back is at the end). UNIMPLEMENTED when the store keeps no such index. The visitor
     * must not call back into the store. */
    jobber_code (*list_queue)(jobber_state* state,
                              const char* queue,
                              uint32_t limit,
                              jobber_queued_job_visitor visitor,
                              void* context,
                              jobber_error* error);
} jobber_state_vtable;

#ifdef __cplusplus
}
#endif

#endif /* JOBBER_ABI_STATE_H */
