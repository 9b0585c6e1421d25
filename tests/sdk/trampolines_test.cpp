// The C vtables the SDK generates from role classes, called in-process the way the host calls
// them: arguments in, out-parameters and their release callbacks, status codes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "jobber/sdk/plugin.hpp"
#include "sdk_test_support.hpp"

namespace jobber::sdk {
namespace {

using namespace std::chrono_literals;
using testing::TrackRelease;

const std::vector<jobber_config_field>& NoFields() {
    static const std::vector<jobber_config_field> fields;
    return fields;
}

// What the fakes saw, reset by each test.
struct Calls {
    std::string instance;
    std::string config_value;
    std::vector<std::string> args;
    int destroyed = 0;
};
Calls g_calls;

std::string Join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "|") + p;
    return out;
}

// ---- broker ----

class FakeBroker : public Broker {
public:
    explicit FakeBroker(const OpenArgs& args) {
        g_calls.instance = args.instance_name;
        g_calls.config_value = args.config.GetString("url");
        if (args.config.GetBool("fail", false)) throw Error(JOBBER_UNAVAILABLE, "broker down");
    }
    ~FakeBroker() override { ++g_calls.destroyed; }
    static const std::vector<jobber_config_field>& ConfigFields() {
        static const std::vector<jobber_config_field> fields = {{"url", JOBBER_FIELD_STRING, 1, nullptr, "where"},
                                                                {"fail", JOBBER_FIELD_BOOL, 0, "false", "fail open"}};
        return fields;
    }
    void Push(std::string_view queue, std::string_view payload, int64_t eta) override {
        g_calls.args = {std::string(queue), std::string(payload), std::to_string(eta)};
    }
    std::optional<Delivery> Pop(const std::vector<std::string>& queues,
                                std::chrono::milliseconds wait,
                                std::chrono::milliseconds lease) override {
        g_calls.args = queues;
        g_calls.args.push_back(std::to_string(wait.count()));
        g_calls.args.push_back(std::to_string(lease.count()));
        if (queues.front() == "empty") return std::nullopt;
        return Delivery{std::string("pay\0load", 8), queues.back(), "receipt-1", 3};
    }
    void Ack(std::string_view receipt) override {
        if (receipt == "lost") throw Error(JOBBER_NOT_FOUND, "lease lost");
        g_calls.args = {"ack", std::string(receipt)};
    }
    void Requeue(std::string_view receipt, int64_t eta) override {
        g_calls.args = {"requeue", std::string(receipt), std::to_string(eta)};
    }
    void Extend(std::string_view receipt, std::chrono::milliseconds lease) override {
        g_calls.args = {"extend", std::string(receipt), std::to_string(lease.count())};
    }
    void ListPending(std::string_view queue, const std::function<bool(const PendingMessage&)>& visit) override {
        g_calls.args = {std::string(queue)};
        for (int i = 0; i < 5; ++i) {
            const std::string payload = "m" + std::to_string(i);
            if (!visit(PendingMessage{payload, i * 10})) return;
        }
    }
};

class MinimalBroker : public Broker {
public:
    explicit MinimalBroker(const OpenArgs&) {}
    static const std::vector<jobber_config_field>& ConfigFields() { return NoFields(); }
    void Push(std::string_view, std::string_view, int64_t) override {}
    std::optional<Delivery> Pop(const std::vector<std::string>&,
                                std::chrono::milliseconds,
                                std::chrono::milliseconds) override {
        return std::nullopt;
    }
    void Ack(std::string_view) override {}
    void Requeue(std::string_view, int64_t) override {}
    void Extend(std::string_view, std::chrono::milliseconds) override {}
};

class BrokerTrampolineTest : public ::testing::Test {
protected:
    void SetUp() override {
        g_calls = {};
        vtable_ = detail::BrokerVtable<FakeBroker>();
        const jobber_kv config[] = {{"url", "mem://x"}};
        const jobber_open_args args{sizeof(jobber_open_args), "main", config, 1};
        ErrorSlot error;
        ASSERT_EQ(vtable_->open(&args, &broker_, error.get()), JOBBER_OK) << error.message();
        ASSERT_NE(broker_, nullptr);
    }
    void TearDown() override {
        if (broker_ != nullptr) vtable_->close(broker_);
    }

    const jobber_broker_vtable* vtable_ = nullptr;
    jobber_broker* broker_ = nullptr;
};

TEST_F(BrokerTrampolineTest, VtableIsCompleteAndSized) {
    EXPECT_EQ(vtable_->struct_size, sizeof(jobber_broker_vtable));
    for (auto fn :
         {reinterpret_cast<const void*>(vtable_->open), reinterpret_cast<const void*>(vtable_->close),
          reinterpret_cast<const void*>(vtable_->push), reinterpret_cast<const void*>(vtable_->pop),
          reinterpret_cast<const void*>(vtable_->ack), reinterpret_cast<const void*>(vtable_->requeue),
          reinterpret_cast<const void*>(vtable_->extend), reinterpret_cast<const void*>(vtable_->list_pending),
          reinterpret_cast<const void*>(vtable_->ping)}) {
        EXPECT_NE(fn, nullptr);
    }
}

TEST_F(BrokerTrampolineTest, OpenPassesInstanceNameAndConfigAndCloseDestroys) {
    EXPECT_EQ(g_calls.instance, "main");
    EXPECT_EQ(g_calls.config_value, "mem://x");
    vtable_->close(broker_);
    broker_ = nullptr;
    EXPECT_EQ(g_calls.destroyed, 1);
}

TEST_F(BrokerTrampolineTest, OpenFailuresReturnTheCodeAndNoInstance) {
    const jobber_kv config[] = {{"fail", "true"}};
    const jobber_open_args args{sizeof(jobber_open_args), "other", config, 1};
    jobber_broker* second = nullptr;
    ErrorSlot error;
    EXPECT_EQ(vtable_->open(&args, &second, error.get()), JOBBER_UNAVAILABLE);
    EXPECT_EQ(error.message(), "broker down");
    EXPECT_EQ(second, nullptr);
    EXPECT_EQ(g_calls.destroyed, 0) << "a constructor that throws leaves nothing to destroy";

    ErrorSlot no_args;
    EXPECT_EQ(vtable_->open(nullptr, &second, no_args.get()), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(second, nullptr);
}

TEST_F(BrokerTrampolineTest, PushPassesBinaryPayloadsWithTheirSize) {
    const char payload[] = {'a', '\0', 'b'};
    ErrorSlot error;
    ASSERT_EQ(vtable_->push(broker_, "q1", payload, 3, 1234, error.get()), JOBBER_OK);
    ASSERT_EQ(g_calls.args.size(), 3u);
    EXPECT_EQ(g_calls.args[0], "q1");
    EXPECT_EQ(g_calls.args[1], std::string("a\0b", 3));
    EXPECT_EQ(g_calls.args[2], "1234");
}

TEST_F(BrokerTrampolineTest, PopFillsADeliveryTheCallerReleases) {
    const char* queues[] = {"high", "low"};
    jobber_delivery delivery{};
    delivery.struct_size = sizeof(delivery);
    ErrorSlot error;
    ASSERT_EQ(vtable_->pop(broker_, queues, 2, 250, 30000, &delivery, error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "high|low|250|30000");
    EXPECT_EQ(delivery.struct_size, sizeof(delivery));
    ASSERT_EQ(delivery.payload_size, 8u);
    EXPECT_EQ(std::string(delivery.payload, delivery.payload_size), std::string("pay\0load", 8));
    EXPECT_STREQ(delivery.queue, "low");
    EXPECT_STREQ(delivery.receipt, "receipt-1");
    EXPECT_EQ(delivery.delivery_count, 3u);
    ASSERT_NE(delivery.release, nullptr);
    delivery.release(&delivery);
    EXPECT_EQ(delivery.release, nullptr);
    EXPECT_EQ(delivery.payload, nullptr);
    EXPECT_EQ(delivery.receipt, nullptr);
}

TEST_F(BrokerTrampolineTest, PopWithNothingReadyIsDeadlineExceededAndFillsNothing) {
    const char* queues[] = {"empty"};
    jobber_delivery delivery{};
    delivery.struct_size = sizeof(delivery);
    ErrorSlot error;
    EXPECT_EQ(vtable_->pop(broker_, queues, 1, 10, 1000, &delivery, error.get()), JOBBER_DEADLINE_EXCEEDED);
    EXPECT_EQ(delivery.release, nullptr);
    EXPECT_EQ(delivery.payload, nullptr);
}

TEST_F(BrokerTrampolineTest, LeaseCallsPassTheirArgumentsAndCodes) {
    ErrorSlot error;
    ASSERT_EQ(vtable_->ack(broker_, "r1", error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "ack|r1");
    ASSERT_EQ(vtable_->requeue(broker_, "r2", 77, error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "requeue|r2|77");
    ASSERT_EQ(vtable_->extend(broker_, "r3", 60000, error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "extend|r3|60000");
    EXPECT_EQ(vtable_->ack(broker_, "lost", error.get()), JOBBER_NOT_FOUND);
    EXPECT_EQ(error.message(), "lease lost");
    EXPECT_EQ(vtable_->ping(broker_, error.get()), JOBBER_OK);
}

TEST_F(BrokerTrampolineTest, ListPendingStopsWhenTheVisitorReturnsNonZero) {
    struct Seen {
        std::vector<std::string> payloads;
        std::vector<int64_t> etas;
    } seen;
    auto visit = [](void* ctx, const jobber_pending_message* m) -> int32_t {
        auto* s = static_cast<Seen*>(ctx);
        EXPECT_EQ(m->struct_size, sizeof(jobber_pending_message));
        s->payloads.emplace_back(m->payload, m->payload_size);
        s->etas.push_back(m->eta_unix_ms);
        return s->payloads.size() == 3 ? 1 : 0;
    };
    ErrorSlot error;
    ASSERT_EQ(vtable_->list_pending(broker_, "jobs", visit, &seen, error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "jobs");
    EXPECT_EQ(Join(seen.payloads), "m0|m1|m2");
    EXPECT_EQ(seen.etas, (std::vector<int64_t>{0, 10, 20}));
}

TEST(BrokerTrampolineDefaultsTest, ListPendingDefaultsToUnimplemented) {
    const jobber_broker_vtable* vtable = detail::BrokerVtable<MinimalBroker>();
    const jobber_open_args args{sizeof(jobber_open_args), "m", nullptr, 0};
    jobber_broker* broker = nullptr;
    ErrorSlot error;
    ASSERT_EQ(vtable->open(&args, &broker, error.get()), JOBBER_OK);
    auto visit = [](void*, const jobber_pending_message*) -> int32_t { return 0; };
    EXPECT_EQ(vtable->list_pending(broker, "q", visit, nullptr, error.get()), JOBBER_UNIMPLEMENTED);
    EXPECT_EQ(vtable->ping(broker, error.get()), JOBBER_OK);
    vtable->close(broker);
}

// ---- state ----

class FakeState : public StateStore {
public:
    explicit FakeState(const OpenArgs&) {}
    ~FakeState() override { ++g_calls.destroyed; }
    static const std::vector<jobber_config_field>& ConfigFields() { return NoFields(); }
    bool CasJob(std::string_view job_id,
                uint32_t mask,
                std::optional<std::string_view> expect_token,
                const JobWrite& record,
                JobRecord* current) override {
        g_calls.args = {std::string(job_id),
                        std::to_string(mask),
                        expect_token ? std::string(*expect_token) : "<none>",
                        std::to_string(record.state),
                        std::string(record.token),
                        std::string(record.body),
                        std::to_string(record.ttl_ms),
                        std::string(record.queue)};
        if (job_id == "taken") {
            *current = JobRecord{JOBBER_JOB_STARTED, "tok-old", std::string("{\"a\":\0}", 7)};
            return false;
        }
        return true;
    }
    std::optional<JobRecord> GetJob(std::string_view job_id) override {
        if (job_id == "absent") return std::nullopt;
        return JobRecord{JOBBER_JOB_SUCCESS, "tok", "body"};
    }
    void DeleteJob(std::string_view job_id) override { g_calls.args = {"delete", std::string(job_id)}; }
    void PutGroup(std::string_view id, std::string_view body, int64_t ttl) override {
        g_calls.args = {std::string(id), std::string(body), std::to_string(ttl)};
    }
    std::optional<std::string> GetGroup(std::string_view id) override {
        if (id == "absent") return std::nullopt;
        return std::string("group\0body", 10);
    }
    void DeleteGroup(std::string_view id) override { g_calls.args = {"delete_group", std::string(id)}; }
    bool AcquireSlot(std::string_view key, uint32_t limit, std::string_view holder, int64_t lease) override {
        g_calls.args = {std::string(key), std::to_string(limit), std::string(holder), std::to_string(lease)};
        return key == "free";
    }
    void ReleaseSlot(std::string_view key, std::string_view holder) override {
        g_calls.args = {"release_slot", std::string(key), std::string(holder)};
    }
    // Queue "q" holds three jobs; any other queue takes the SDK's default (UNIMPLEMENTED).
    void ListQueue(std::string_view queue,
                   uint32_t limit,
                   const std::function<bool(const QueuedJob&)>& visit) override {
        if (queue != "q") return StateStore::ListQueue(queue, limit, visit);
        const std::string body("b\0dy", 4);
        for (int i = 1; i <= 3 && static_cast<uint32_t>(i) <= limit; ++i) {
            const std::string id = "job" + std::to_string(i);
            if (!visit(
                    QueuedJob{id, i == 3 ? JOBBER_JOB_RETRY : JOBBER_JOB_PENDING, "tok" + std::to_string(i), body})) {
                return;
            }
        }
    }
};

class StateTrampolineTest : public ::testing::Test {
protected:
    void SetUp() override {
        g_calls = {};
        vtable_ = detail::StateVtable<FakeState>();
        const jobber_open_args args{sizeof(jobber_open_args), "s", nullptr, 0};
        ErrorSlot error;
        ASSERT_EQ(vtable_->open(&args, &state_, error.get()), JOBBER_OK);
    }
    void TearDown() override { vtable_->close(state_); }

    const jobber_state_vtable* vtable_ = nullptr;
    jobber_state* state_ = nullptr;
};

TEST_F(StateTrampolineTest, CasJobPassesTheWriteAndTheExpectation) {
    const std::string body("{\0}", 3);
    const jobber_job_write write{
        sizeof(jobber_job_write), JOBBER_JOB_PENDING, "tok-new", body.data(), body.size(), 3600000, "reports"};
    ErrorSlot error;
    const uint32_t mask = JOBBER_EXPECT_ABSENT | JOBBER_EXPECT_STATE(JOBBER_JOB_SUCCESS);
    ASSERT_EQ(vtable_->cas_job(state_, "j1", mask, nullptr, &write, nullptr, error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "j1|17|<none>|1|tok-new|" + body + "|3600000|reports");
    ASSERT_EQ(vtable_->cas_job(state_, "j1", mask, "tok-old", &write, nullptr, error.get()), JOBBER_OK);
    EXPECT_EQ(g_calls.args[2], "tok-old");
}

TEST_F(StateTrampolineTest, CasJobReadsTheQueueOnlyWhenTheHostsStructHasIt) {
    // An ABI 1.0 host's jobber_job_write ends before `queue`; whatever lies beyond is not ours.
    jobber_job_write write{sizeof(jobber_job_write), JOBBER_JOB_PENDING, "t", "", 0, 0, "beyond-the-struct"};
    write.struct_size = offsetof(jobber_job_write, queue);
    ErrorSlot error;
    ASSERT_EQ(vtable_->cas_job(state_, "j1", JOBBER_EXPECT_ABSENT, nullptr, &write, nullptr, error.get()), JOBBER_OK);
    EXPECT_EQ(g_calls.args.back(), "");
    write.struct_size = sizeof(write);
    write.queue = nullptr;
    ASSERT_EQ(vtable_->cas_job(state_, "j1", JOBBER_EXPECT_ABSENT, nullptr, &write, nullptr, error.get()), JOBBER_OK);
    EXPECT_EQ(g_calls.args.back(), "") << "NULL queue: not listed";
}

TEST_F(StateTrampolineTest, ListQueueHandsEachJobToTheVisitorUntilItStops) {
    struct Seen {
        std::vector<std::string> jobs;
        size_t stop_after = 100;
    } seen;
    auto visit = [](void* context, const jobber_queued_job* job) -> int32_t {
        auto* s = static_cast<Seen*>(context);
        EXPECT_EQ(job->struct_size, sizeof(jobber_queued_job));
        s->jobs.push_back(std::string(job->job_id) + "/" + std::to_string(job->state) + "/" + job->token + "/" +
                          std::string(job->body, job->body_size));
        return s->jobs.size() >= s->stop_after ? 1 : 0;
    };
    ErrorSlot error;
    ASSERT_EQ(vtable_->list_queue(state_, "q", 10, visit, &seen, error.get()), JOBBER_OK);
    const std::string body("b\0dy", 4);
    EXPECT_EQ(seen.jobs,
              (std::vector<std::string>{"job1/1/tok1/" + body, "job2/1/tok2/" + body, "job3/3/tok3/" + body}));
    seen = Seen{{}, 1};
    ASSERT_EQ(vtable_->list_queue(state_, "q", 10, visit, &seen, error.get()), JOBBER_OK);
    EXPECT_EQ(seen.jobs.size(), 1u) << "a non-zero visitor return stops the listing";
    seen = Seen{};
    ASSERT_EQ(vtable_->list_queue(state_, "q", 2, visit, &seen, error.get()), JOBBER_OK);
    EXPECT_EQ(seen.jobs.size(), 2u);
}

TEST_F(StateTrampolineTest, ListQueueIsUnimplementedUnlessTheStoreOverridesIt) {
    ErrorSlot error;
    auto visit = [](void*, const jobber_queued_job*) -> int32_t { return 0; };
    EXPECT_EQ(vtable_->list_queue(state_, "other", 10, visit, nullptr, error.get()), JOBBER_UNIMPLEMENTED);
    EXPECT_NE(error.message().find("queue index"), std::string::npos) << error.message();
}

TEST_F(StateTrampolineTest, CasJobMismatchIsFailedPreconditionWithTheCurrentRecord) {
    const jobber_job_write write{sizeof(jobber_job_write), JOBBER_JOB_PENDING, "t", "", 0, 0, nullptr};
    jobber_job_record current{};
    current.struct_size = sizeof(current);
    ErrorSlot error;
    ASSERT_EQ(vtable_->cas_job(state_, "taken", JOBBER_EXPECT_ABSENT, nullptr, &write, &current, error.get()),
              JOBBER_FAILED_PRECONDITION);
    EXPECT_EQ(current.struct_size, sizeof(current));
    EXPECT_EQ(current.state, JOBBER_JOB_STARTED);
    EXPECT_STREQ(current.token, "tok-old");
    ASSERT_EQ(current.body_size, 7u);
    EXPECT_EQ(std::string(current.body, current.body_size), std::string("{\"a\":\0}", 7));
    ASSERT_NE(current.release, nullptr);
    current.release(&current);
    EXPECT_EQ(current.token, nullptr);
    EXPECT_EQ(current.release, nullptr);

    // `current` is optional.
    EXPECT_EQ(vtable_->cas_job(state_, "taken", JOBBER_EXPECT_ABSENT, nullptr, &write, nullptr, error.get()),
              JOBBER_FAILED_PRECONDITION);
}

TEST_F(StateTrampolineTest, GetJobAndGetGroupReportNotFoundOrFillOwnedCopies) {
    ErrorSlot error;
    jobber_job_record record{};
    record.struct_size = sizeof(record);
    EXPECT_EQ(vtable_->get_job(state_, "absent", &record, error.get()), JOBBER_NOT_FOUND);
    EXPECT_EQ(record.release, nullptr);
    ASSERT_EQ(vtable_->get_job(state_, "j", &record, error.get()), JOBBER_OK);
    EXPECT_EQ(record.state, JOBBER_JOB_SUCCESS);
    EXPECT_STREQ(record.token, "tok");
    EXPECT_EQ(std::string(record.body, record.body_size), "body");
    record.release(&record);

    jobber_buffer buffer{};
    EXPECT_EQ(vtable_->get_group(state_, "absent", &buffer, error.get()), JOBBER_NOT_FOUND);
    EXPECT_EQ(buffer.release, nullptr);
    ASSERT_EQ(vtable_->get_group(state_, "g", &buffer, error.get()), JOBBER_OK);
    EXPECT_EQ(std::string(buffer.data, buffer.size), std::string("group\0body", 10));
    ASSERT_NE(buffer.release, nullptr);
    buffer.release(&buffer);
    EXPECT_EQ(buffer.data, nullptr);
}

TEST_F(StateTrampolineTest, GroupAndSlotCallsPassTheirArguments) {
    ErrorSlot error;
    ASSERT_EQ(vtable_->put_group(state_, "g1", "xyz", 2, 500, error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "g1|xy|500");
    ASSERT_EQ(vtable_->delete_group(state_, "g1", error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "delete_group|g1");
    ASSERT_EQ(vtable_->delete_job(state_, "j9", error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "delete|j9");
    int32_t acquired = -1;
    ASSERT_EQ(vtable_->acquire_slot(state_, "free", 4, "worker-1", 9000, &acquired, error.get()), JOBBER_OK);
    EXPECT_EQ(acquired, 1);
    EXPECT_EQ(Join(g_calls.args), "free|4|worker-1|9000");
    ASSERT_EQ(vtable_->acquire_slot(state_, "full", 4, "worker-1", 9000, &acquired, error.get()), JOBBER_OK);
    EXPECT_EQ(acquired, 0);
    ASSERT_EQ(vtable_->release_slot(state_, "free", "worker-1", error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "release_slot|free|worker-1");
}

// ---- source ----

class CountingStream : public RowStream {
public:
    explicit CountingStream(int64_t rows) : rows_(rows) {}
    const Schema& schema() const override { return schema_; }
    bool Next(ArrowArray* out) override {
        if (done_) return false;
        BatchBuilder builder(schema_);
        for (int64_t i = 0; i < rows_; ++i) builder.AppendInt64(0, i);
        builder.Finish(out);
        done_ = true;
        return true;
    }

private:
    Schema schema_{{"i", ColumnType::kBigInt}};
    int64_t rows_;
    bool done_ = false;
};

class FakeSource : public Source {
public:
    explicit FakeSource(const OpenArgs&) {}
    static const std::vector<jobber_config_field>& ConfigFields() { return NoFields(); }
    int32_t Prepare(std::string_view task, std::string_view sql, bool raw) override {
        g_calls.args = {std::string(task), std::string(sql), raw ? "raw" : "prepared"};
        if (sql == "bad") throw Error(JOBBER_INVALID_ARGUMENT, "syntax error at 'bad'");
        return raw ? -1 : 2;
    }
    std::unique_ptr<RowStream> Execute(const Query& q) override {
        g_calls.args = {std::to_string(q.id),        std::string(q.task_name),      std::string(q.sql),
                        q.raw ? "raw" : "prepared",  std::to_string(q.param_count), std::to_string(q.timeout_ms),
                        std::to_string(q.batch_rows)};
        if (q.param_count > 0) g_calls.args.emplace_back(q.params[0].text, q.params[0].text_size);
        return std::make_unique<CountingStream>(3);
    }
    void Cancel(uint64_t id) override { g_calls.args = {"cancel", std::to_string(id)}; }
};

TEST(SourceTrampolineTest, PrepareExecuteAndCancelPassTheirArguments) {
    g_calls = {};
    const jobber_source_vtable* vtable = detail::SourceVtable<FakeSource>();
    EXPECT_EQ(vtable->struct_size, sizeof(jobber_source_vtable));
    const jobber_open_args args{sizeof(jobber_open_args), "db", nullptr, 0};
    jobber_source* source = nullptr;
    ErrorSlot error;
    ASSERT_EQ(vtable->open(&args, &source, error.get()), JOBBER_OK);

    jobber_statement_info info{sizeof(info), 99};
    ASSERT_EQ(vtable->prepare(source, "t", "SELECT ?, ?", 0, &info, error.get()), JOBBER_OK);
    EXPECT_EQ(info.param_count, 2);
    EXPECT_EQ(Join(g_calls.args), "t|SELECT ?, ?|prepared");
    ASSERT_EQ(vtable->prepare(source, "t", "SELECT 1", 1, &info, error.get()), JOBBER_OK);
    EXPECT_EQ(info.param_count, -1);
    EXPECT_EQ(vtable->prepare(source, "t", "bad", 0, &info, error.get()), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(error.message(), "syntax error at 'bad'");

    const jobber_value param{JOBBER_VALUE_TEXT, 0, 0, 0.0, "hello", 5};
    jobber_query query{sizeof(jobber_query), 77, "t", "SELECT ?", 0, &param, 1, 1500, 0};
    ArrowArrayStream stream{};
    ASSERT_EQ(vtable->execute(source, &query, &stream, error.get()), JOBBER_OK);
    // batch_rows 0 means "no preference": the SDK's default applies.
    EXPECT_EQ(Join(g_calls.args), "77|t|SELECT ?|prepared|1|1500|10000|hello");
    ASSERT_NE(stream.release, nullptr);
    OwnedArray batch;
    ASSERT_EQ(stream.get_next(&stream, batch.get()), 0);
    EXPECT_EQ((*batch).length, 3);
    stream.release(&stream);

    ASSERT_EQ(vtable->cancel(source, 77, error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "cancel|77");
    vtable->close(source);
}

// ---- results ----

class FakeWriter : public ResultsWriter {
public:
    ~FakeWriter() override { ++g_calls.destroyed; }
    void Write(const BatchView& batch) override {
        g_calls.args.push_back("write " + std::to_string(batch.rows()));
        if (batch.rows() == 13) throw std::runtime_error("unlucky batch");
    }
    void Commit() override { g_calls.args.push_back("commit"); }
};

class FakeResults : public ResultsBackend {
public:
    explicit FakeResults(const OpenArgs&) {}
    static const std::vector<jobber_config_field>& ConfigFields() { return NoFields(); }
    uint32_t MaxIdentifierLength() override {
        if (fail_limit_) throw std::runtime_error("cannot tell");
        return 128;
    }
    std::unique_ptr<ResultsWriter> Begin(const ResultsTarget& target, const Schema& schema) override {
        g_calls.args = {target.job_id, target.table_name, std::to_string(target.expires_at_unix_ms),
                        std::to_string(schema.size()), schema.empty() ? "" : TypeName(schema[0].type)};
        return std::make_unique<FakeWriter>();
    }
    void Drop(std::string_view table) override { g_calls.args = {"drop", std::string(table)}; }
    uint64_t Sweep(int64_t now) override {
        g_calls.args = {"sweep", std::to_string(now)};
        fail_limit_ = true;
        return 4;
    }

private:
    bool fail_limit_ = false;
};

TEST(ResultsTrampolineTest, TransactionLifecycleAndBatchOwnership) {
    g_calls = {};
    const jobber_results_vtable* vtable = detail::ResultsVtable<FakeResults>();
    EXPECT_EQ(vtable->struct_size, sizeof(jobber_results_vtable));
    const jobber_open_args args{sizeof(jobber_open_args), "r", nullptr, 0};
    jobber_results* results = nullptr;
    ErrorSlot error;
    ASSERT_EQ(vtable->open(&args, &results, error.get()), JOBBER_OK);
    EXPECT_EQ(vtable->max_identifier_length(results), 128u);

    const Schema schema{{"amount", ColumnType::kDecimal}};
    OwnedSchema arrow_schema;
    ExportSchema(schema, arrow_schema.get());
    const jobber_results_target target{sizeof(jobber_results_target), "job-1", "results_job_1", 99};
    jobber_results_txn* txn = nullptr;
    ASSERT_EQ(vtable->begin(results, &target, arrow_schema.get(), &txn, error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "job-1|results_job_1|99|1|DECIMAL");
    EXPECT_NE((*arrow_schema).release, nullptr) << "begin borrows the schema";

    // write takes the batch over and releases it, on success and on failure.
    for (int rows : {2, 13}) {
        BatchBuilder builder(schema);
        for (int i = 0; i < rows; ++i) builder.AppendText(0, "1.5");
        ArrowArray batch{};
        builder.Finish(&batch);
        int released = 0;
        TrackRelease(&batch, &released);
        const jobber_code code = vtable->write(txn, &batch, error.get());
        EXPECT_EQ(code, rows == 13 ? JOBBER_INTERNAL : JOBBER_OK);
        EXPECT_EQ(released, 1) << rows << " rows";
        EXPECT_EQ(batch.release, nullptr) << "the caller's struct is marked moved";
    }
    EXPECT_EQ(error.message(), "unlucky batch");
    ASSERT_EQ(vtable->commit(txn, error.get()), JOBBER_OK);
    EXPECT_EQ(g_calls.args.back(), "commit");
    vtable->release(txn);
    EXPECT_EQ(g_calls.destroyed, 1);

    ASSERT_EQ(vtable->drop(results, "t1", error.get()), JOBBER_OK);
    EXPECT_EQ(Join(g_calls.args), "drop|t1");
    uint64_t dropped = 0;
    ASSERT_EQ(vtable->sweep(results, 12345, &dropped, error.get()), JOBBER_OK);
    EXPECT_EQ(dropped, 4u);
    // A limit the backend cannot report falls back to PostgreSQL's 63, the strictest common one.
    EXPECT_EQ(vtable->max_identifier_length(results), 63u);
    vtable->close(results);
}

TEST(ResultsTrampolineTest, BeginRefusesAnUnsupportedSchema) {
    const jobber_results_vtable* vtable = detail::ResultsVtable<FakeResults>();
    const jobber_open_args args{sizeof(jobber_open_args), "r", nullptr, 0};
    jobber_results* results = nullptr;
    ErrorSlot error;
    ASSERT_EQ(vtable->open(&args, &results, error.get()), JOBBER_OK);
    ArrowSchema child{};
    child.format = "i";
    child.name = "int32";
    ArrowSchema* children[] = {&child};
    ArrowSchema root{};
    root.format = "+s";
    root.n_children = 1;
    root.children = children;
    const jobber_results_target target{sizeof(jobber_results_target), "j", "t", 0};
    jobber_results_txn* txn = nullptr;
    EXPECT_EQ(vtable->begin(results, &target, &root, &txn, error.get()), JOBBER_INVALID_ARGUMENT);
    EXPECT_NE(error.message().find("'int32'"), std::string::npos) << error.message();
    EXPECT_EQ(txn, nullptr);
    vtable->close(results);
}

// ---- manifest and init ----

using TwoRoles = PluginDefinition<BrokerRole<FakeBroker>, SourceRole<FakeSource>>;
using AllRoles =
    PluginDefinition<BrokerRole<FakeBroker>, StateRole<FakeState>, SourceRole<FakeSource>, ResultsRole<FakeResults>>;

TEST(PluginDefinitionTest, ManifestDeclaresAbiNameAndRolesWithFields) {
    const jobber_manifest* m = TwoRoles::Manifest("fake", "1.2.3", "a fake");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->struct_size, sizeof(jobber_manifest));
    EXPECT_EQ(m->abi_major, 1u);
    EXPECT_EQ(m->abi_minor, uint32_t{JOBBER_ABI_MINOR});
    EXPECT_STREQ(m->name, "fake");
    EXPECT_STREQ(m->version, "1.2.3");
    EXPECT_STREQ(m->description, "a fake");
    EXPECT_NE(std::string(m->build_info).find("compiler"), std::string::npos);
    ASSERT_EQ(m->role_count, 2u);
    EXPECT_EQ(m->roles[0].role, JOBBER_ROLE_BROKER);
    ASSERT_EQ(m->roles[0].field_count, 2u);
    EXPECT_STREQ(m->roles[0].fields[0].name, "url");
    EXPECT_EQ(m->roles[0].fields[0].required, 1);
    EXPECT_STREQ(m->roles[0].fields[1].default_value, "false");
    EXPECT_EQ(m->roles[1].role, JOBBER_ROLE_SOURCE);
    EXPECT_EQ(m->roles[1].field_count, 0u);
    EXPECT_EQ(TwoRoles::Manifest("ignored", "", ""), m) << "the manifest is static data";
}

std::vector<std::string> g_logged;
void RecordLog(void* host, int32_t level, const char* component, const char* message) {
    g_logged.push_back(std::to_string(reinterpret_cast<uintptr_t>(host)) + " " + std::to_string(level) + " " +
                       component + " " + message);
}

TEST(PluginDefinitionTest, InitFillsEveryProvidedRoleAndWiresTheHostLog) {
    g_logged.clear();
    const jobber_host_api host{sizeof(jobber_host_api), reinterpret_cast<void*>(uintptr_t{7}), &RecordLog};
    jobber_plugin_vtables tables{};
    tables.struct_size = sizeof(tables);
    ErrorSlot error;
    ASSERT_EQ(AllRoles::Init(&host, JOBBER_ABI_MINOR, &tables, error.get()), JOBBER_OK);
    EXPECT_EQ(tables.broker, detail::BrokerVtable<FakeBroker>());
    EXPECT_EQ(tables.state, detail::StateVtable<FakeState>());
    EXPECT_EQ(tables.source, detail::SourceVtable<FakeSource>());
    EXPECT_EQ(tables.results, detail::ResultsVtable<FakeResults>());

    Log(LogLevel::kWarning, "main", "hello");
    ASSERT_EQ(g_logged.size(), 1u);
    EXPECT_EQ(g_logged[0], "7 4 main hello");
    AllRoles::Shutdown();
    Log(LogLevel::kError, "main", "after shutdown");
    EXPECT_EQ(g_logged.size(), 1u) << "logging after shutdown is dropped";
}

TEST(PluginDefinitionTest, InitWritesOnlyTheFieldsAnOlderHostsTableHas) {
    // An older host whose table ends after `broker`: nothing may be written past struct_size.
    struct Guarded {
        jobber_plugin_vtables tables;
        char canary[8];
    } guarded;
    std::memset(&guarded, 0xAB, sizeof(guarded));
    guarded.tables.struct_size = offsetof(jobber_plugin_vtables, state);
    guarded.tables.broker = nullptr;
    ErrorSlot error;
    ASSERT_EQ(AllRoles::Init(nullptr, 0, &guarded.tables, error.get()), JOBBER_OK);
    EXPECT_EQ(guarded.tables.broker, detail::BrokerVtable<FakeBroker>());
    const auto* bytes = reinterpret_cast<const unsigned char*>(&guarded.tables);
    for (size_t i = offsetof(jobber_plugin_vtables, state); i < sizeof(guarded); ++i) {
        ASSERT_EQ(bytes[i], 0xAB) << "byte " << i << " beyond the host's struct_size was written";
    }
    AllRoles::Shutdown();
}

TEST(PluginDefinitionTest, InitRefusesAMissingOrTruncatedTable) {
    ErrorSlot error;
    EXPECT_EQ(AllRoles::Init(nullptr, 0, nullptr, error.get()), JOBBER_INVALID_ARGUMENT);
    jobber_plugin_vtables tables{};
    tables.struct_size = 2;
    ErrorSlot second;
    EXPECT_EQ(AllRoles::Init(nullptr, 0, &tables, second.get()), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(tables.broker, nullptr);
}

}  // namespace
}  // namespace jobber::sdk
