// Who is running a job right now, across processes: a one-holder slot in the state store that the
// worker running the job keeps refreshing (the watchdog, with the broker lease). A redelivered
// message of a STARTED job is taken over only when nobody holds its run lease any more. Brokers
// that redeliver as soon as a connection drops (AMQP) would otherwise start a second copy beside a
// worker that is still running; the broker cannot tell a dead holder from a live one elsewhere.
// Brokers that declare jobber_broker_vtable.redelivers_only_after_lease (memory, Redis) need none:
// the runner skips it for them, saving a state call per job.
#pragma once

#include <cstdint>
#include <string>

namespace jobber::sched {

// One key per run: `attempt` is the record's attempt count while that run is STARTED, so a retry
// or a takeover never competes with the lease of the run before it (which then simply lapses).
inline std::string RunLeaseKey(const std::string& job_id, const std::string& token, int32_t attempt) {
    return "run:" + job_id + ":" + token + ":" + std::to_string(attempt);
}

}  // namespace jobber::sched
