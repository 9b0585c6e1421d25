// The C++ interfaces a plugin author implements, one per role. The SDK turns them into the C
// vtables of jobber/abi/*.h (see plugin.hpp). Throw jobber::sdk::Error with the most specific
// code; any other exception becomes INTERNAL. All instance methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobber/abi/source.h"
#include "jobber/abi/state.h"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"
#include "jobber/sdk/config.hpp"

namespace jobber::sdk {

struct OpenArgs {
    std::string instance_name;
    Config config;
};

// ---- broker ----

struct Delivery {
    std::string payload;
    std::string queue;
    std::string receipt;
    uint32_t delivery_count = 1;
};

struct PendingMessage {
    std::string_view payload;
    int64_t eta_unix_ms = 0;
};

class Broker {
public:
    virtual ~Broker() = default;
    virtual void Push(std::string_view queue, std::string_view payload, int64_t eta_unix_ms) = 0;
    // nullopt when nothing arrived within `wait`.
    virtual std::optional<Delivery> Pop(const std::vector<std::string>& queues,
                                        std::chrono::milliseconds wait,
                                        std::chrono::milliseconds lease) = 0;
    // Throw Error(JOBBER_NOT_FOUND) when the lease was lost.
    virtual void Ack(std::string_view receipt) = 0;
    virtual void Requeue(std::string_view receipt, int64_t eta_unix_ms) = 0;
    virtual void Extend(std::string_view receipt, std::chrono::milliseconds lease) = 0;
    // Return false from `visit` to stop.
    virtual void ListPending(std::string_view /*queue*/, const std::function<bool(const PendingMessage&)>& /*visit*/) {
        throw Error(JOBBER_UNIMPLEMENTED, "this broker cannot list pending messages");
    }
    virtual void Ping() {}
};

// ---- state store ----

struct JobRecord {
    int32_t state = 0;
    std::string token;
    std::string body;
};

struct JobWrite {
    int32_t state = 0;
    std::string_view token;
    std::string_view body;
    int64_t ttl_ms = 0;
    // ABI 1.1: the queue a PENDING or RETRY record is listed under (empty: not listed). See
    // jobber_job_write::queue.
    std::string_view queue;
};

// One job seen by StateStore::ListQueue; borrowed for the visit.
struct QueuedJob {
    std::string_view job_id;
    int32_t state = 0;
    std::string_view token;
    std::string_view body;
};

class StateStore {
public:
    virtual ~StateStore() = default;
    // See jobber_state_vtable::cas_job. Returns false (and fills *current when given) when the
    // precondition does not hold.
    virtual bool CasJob(std::string_view job_id,
                        uint32_t expect_mask,
                        std::optional<std::string_view> expect_token,
                        const JobWrite& record,
                        JobRecord* current) = 0;
    virtual std::optional<JobRecord> GetJob(std::string_view job_id) = 0;
    virtual void DeleteJob(std::string_view job_id) = 0;
    virtual void PutGroup(std::string_view group_id, std::string_view body, int64_t ttl_ms) = 0;
    virtual std::optional<std::string> GetGroup(std::string_view group_id) = 0;
    virtual void DeleteGroup(std::string_view group_id) = 0;
    virtual bool AcquireSlot(std::string_view key, uint32_t limit, std::string_view holder, int64_t lease_ms) = 0;
    virtual void ReleaseSlot(std::string_view key, std::string_view holder) = 0;
    virtual void Ping() {}
    // ABI 1.1, see jobber_state_vtable::list_queue. Return false from `visit` to stop.
    virtual void ListQueue(std::string_view /*queue*/,
                           uint32_t /*limit*/,
                           const std::function<bool(const QueuedJob&)>& /*visit*/) {
        throw Error(JOBBER_UNIMPLEMENTED, "this state store keeps no queue index");
    }
};

// ---- source ----

struct Query {
    uint64_t id = 0;
    std::string_view task_name;
    std::string_view sql;
    bool raw = false;
    const jobber_value* params = nullptr;
    uint32_t param_count = 0;
    int64_t timeout_ms = 0;
    int64_t batch_rows = 10000;
};

// Rows of one query. Next fills `out` with the next batch and returns true, or returns false at
// the end. Throw Error(JOBBER_CANCELLED) after a cancel, Error(JOBBER_DEADLINE_EXCEEDED) after a
// timeout.
class RowStream {
public:
    virtual ~RowStream() = default;
    virtual const Schema& schema() const = 0;
    virtual bool Next(ArrowArray* out) = 0;
};

class Source {
public:
    virtual ~Source() = default;
    // Returns the parameter count, or -1 when it cannot be known.
    virtual int32_t Prepare(std::string_view task_name, std::string_view sql, bool raw) = 0;
    virtual std::unique_ptr<RowStream> Execute(const Query& query) = 0;
    // Any thread; no-op when the query is not running.
    virtual void Cancel(uint64_t query_id) = 0;
    virtual void Ping() {}
};

// ---- results backend ----

struct ResultsTarget {
    std::string job_id;
    std::string table_name;
    int64_t expires_at_unix_ms = 0;
};

// One table being written. Destroying it without Commit rolls back and removes what was written.
class ResultsWriter {
public:
    virtual ~ResultsWriter() = default;
    virtual void Write(const BatchView& batch) = 0;
    virtual void Commit() = 0;
};

class ResultsBackend {
public:
    virtual ~ResultsBackend() = default;
    virtual uint32_t MaxIdentifierLength() = 0;
    virtual std::unique_ptr<ResultsWriter> Begin(const ResultsTarget& target, const Schema& schema) = 0;
    virtual void Drop(std::string_view table_name) = 0;
    // Returns how many tables were dropped.
    virtual uint64_t Sweep(int64_t now_unix_ms) = 0;
    virtual void Ping() {}
};

}  // namespace jobber::sdk
