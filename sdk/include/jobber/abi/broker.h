/* Broker role: named FIFO queues with leases, delayed delivery and redelivery.
 *
 * Delivery is at-least-once: a popped message is leased to the caller for `lease_ms`; unless it
 * is acked, requeued or its lease extended before the lease ends, the broker delivers it again.
 * Payloads are opaque bytes to the broker.
 *
 * Order: FIFO within a queue. Across the queues of one pop the order is the broker's (the memory
 * broker serves the oldest message first; networked brokers may not).
 *
 * Threading: every function taking a jobber_broker* may be called concurrently from any thread,
 * except close, which the host calls only after every other call on the instance has returned.
 * Blocking calls are bounded by their wait argument. */
#ifndef JOBBER_ABI_BROKER_H
#define JOBBER_ABI_BROKER_H

#include "jobber/abi/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jobber_broker jobber_broker; /* opaque instance, owned by the plugin */

/* A leased message. Filled by pop; the caller owns it and calls `release` exactly once, after it
 * has finished with `receipt` (ack/requeue/extend take the receipt string, borrowed). */
typedef struct jobber_delivery {
    uint32_t struct_size;
    char* payload;
    size_t payload_size;
    char* queue;             /* the queue it came from */
    char* receipt;           /* opaque lease token */
    uint32_t delivery_count; /* 1 on the first delivery, more after lease expiry or requeue */
    void (*release)(struct jobber_delivery*);
} jobber_delivery;

/* One message seen by list_pending. Borrowed for the visitor call. */
typedef struct jobber_pending_message {
    uint32_t struct_size;
    const char* payload;
    size_t payload_size;
    int64_t eta_unix_ms; /* 0 when ready now; otherwise when it becomes deliverable */
} jobber_pending_message;

/* Return 0 to continue, non-zero to stop listing. */
typedef int32_t (*jobber_pending_visitor)(void* context, const jobber_pending_message* message);

typedef struct jobber_broker_vtable {
    uint32_t struct_size;
    jobber_code (*open)(const jobber_open_args* args, jobber_broker** out, jobber_error* error);
    void (*close)(jobber_broker* broker);
    /* Enqueue at the tail of `queue`, or hold until `eta_unix_ms` (0 = now). Returns OK only once
     * the broker has durably accepted the message (as durable as the broker is). */
    jobber_code (*push)(jobber_broker* broker,
                        const char* queue,
                        const char* payload,
                        size_t payload_size,
                        int64_t eta_unix_ms,
                        jobber_error* error);
    /* Lease the next ready message of any of `queues`, waiting up to `wait_ms` (<= 0: do not wait).
     * Returns DEADLINE_EXCEEDED when nothing arrived; `out` is filled only on OK. The caller sets
     * out->struct_size; the plugin never writes past it. */
    jobber_code (*pop)(jobber_broker* broker,
                       const char* const* queues,
                       uint32_t queue_count,
                       int64_t wait_ms,
                       int64_t lease_ms,
                       jobber_delivery* out,
                       jobber_error* error);
    /* Finish a delivery: the message is gone. NOT_FOUND when the lease was lost. */
    jobber_code (*ack)(jobber_broker* broker, const char* receipt, jobber_error* error);
    /* Give a leased message back, deliverable again at `eta_unix_ms` (0 = now). NOT_FOUND when
     * the lease was lost (expired, or the message was redelivered to someone else). */
    jobber_code (*requeue)(jobber_broker* broker, const char* receipt, int64_t eta_unix_ms, jobber_error* error);
    /* Heartbeat: extend a lease to now + lease_ms. NOT_FOUND when the lease was lost. */
    jobber_code (*extend)(jobber_broker* broker, const char* receipt, int64_t lease_ms, jobber_error* error);
    /* Visit pending (not leased) messages of `queue` in delivery order, delayed ones after ready
     * ones. UNIMPLEMENTED when the broker cannot browse. The visitor must not call back into the
     * broker. */
    jobber_code (*list_pending)(
        jobber_broker* broker, const char* queue, jobber_pending_visitor visitor, void* context, jobber_error* error);
    /* Cheap reachability check for readiness probes. */
    jobber_code (*ping)(jobber_broker* broker, jobber_error* error);
    /* ABI 1.2. Non-zero when a message is delivered again only once its lease has ended, as described at the top;
     * the host then needs no run lease of its own to tell a dead worker from a live one. 0 (and absent, in plugins
     * built before 1.2): the broker may deliver a message again while its lease is live (AMQP does when the
     * consumer's connection drops), so the host guards every run with a run lease in the state store, at the cost
     * of one more state call per job. */
    uint32_t redelivers_only_after_lease;
} jobber_broker_vtable;

#ifdef __cplusplus
}
#endif

#endif /* JOBBER_ABI_BROKER_H */
