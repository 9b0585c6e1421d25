// Conformance suite for the broker role, written against the C ABI (jobber_broker_vtable) only, so
// it tests exactly what crosses the .so boundary. Every broker plugin instantiates it:
//
//   #include "jobber/testing/broker_contract.hpp"
//
//   namespace jobber::testing {
//   INSTANTIATE_TEST_SUITE_P(Redis, BrokerContractTest,
//                            ::testing::Values(RedisParams()),  // a BrokerContractParams
//                            ContractParamName());
//   }
//
// Include this header in exactly one source file per test binary: it defines the tests.
//
// Each test opens its own instance (SetUp) and closes it (TearDown), and uses queue names with a
// random suffix, so a broker server shared with other runs is safe. Messages a test leaves behind
// (the far-future delayed ones) stay on a shared server until their eta; the ABI has no purge.
// The whole suite takes about 3 s with the default timings.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jobber/abi/broker.h"
#include "jobber/testing/contract_support.hpp"
#include "jobber/testing/plugin_library.hpp"

namespace jobber::testing {

struct BrokerContractParams {
    // Names the instantiation in test output: letters, digits and '_' only.
    std::string name;
    const jobber_broker_vtable* vtable = nullptr;
    // Passed to `open` as validated config (canonical text values, durations in ms).
    ConfigList config;
    // Non-empty: every test is skipped with this reason, e.g. "JOBBER_REDIS_TEST_URL is not set".
    std::string skip_reason;
    // Non-empty: every test fails with this reason, e.g. the plugin could not be loaded.
    std::string setup_error;
    // Lease and delay used by the timing tests; raise it for brokers with coarse timers.
    std::chrono::milliseconds short_lease{300};
    // How late the broker may make a due message or an expired lease deliverable.
    std::chrono::milliseconds slack{200};
};

inline void PrintTo(const BrokerContractParams& params, std::ostream* out) {
    *out << params.name;
}

// Params for the broker role of the plugin at `library_path`; a load failure becomes setup_error,
// so it shows up as failing tests rather than a crash during test registration.
inline BrokerContractParams BrokerParamsFromLibrary(std::string name,
                                                    const std::string& library_path,
                                                    ConfigList config = {}) {
    BrokerContractParams params;
    params.name = std::move(name);
    params.config = std::move(config);
    try {
        params.vtable = LoadPluginLibrary(library_path).vtables.broker;
        if (params.vtable == nullptr) params.setup_error = "plugin '" + library_path + "' provides no broker role";
    } catch (const std::exception& e) {
        params.setup_error = e.what();
    }
    return params;
}

// A delivery copied out of the jobber_delivery, which is released straight away.
struct Popped {
    std::string payload;
    std::string queue;
    std::string receipt;
    uint32_t delivery_count = 0;
};

struct PendingCopy {
    std::string payload;
    int64_t eta_unix_ms = 0;
};

class BrokerContractTest : public ::testing::TestWithParam<BrokerContractParams> {
protected:
    using Clock = std::chrono::steady_clock;
    using Ms = std::chrono::milliseconds;

    // Long enough that no test sees it run out.
    static constexpr Ms kLongLease{60000};

    void SetUp() override {
        const BrokerContractParams& params = GetParam();
        if (!params.setup_error.empty()) GTEST_FAIL() << params.setup_error;
        if (!params.skip_reason.empty()) GTEST_SKIP() << params.skip_reason;
        ASSERT_NE(params.vtable, nullptr) << "no broker vtable given";
        ASSERT_GE(params.vtable->struct_size, offsetof(jobber_broker_vtable, ping) + sizeof(void*))
            << "the broker vtable is older than ABI 1.0";
        detail::OpenArgsHolder args("contract", params.config);
        detail::CallError error;
        const jobber_code code = params.vtable->open(args.get(), &broker_, error.get());
        ASSERT_EQ(code, JOBBER_OK) << "open: " << error.Result(code);
        ASSERT_NE(broker_, nullptr) << "open returned OK without an instance";
    }

    void TearDown() override {
        if (broker_ != nullptr) GetParam().vtable->close(broker_);
    }

    const jobber_broker_vtable& vt() const { return *GetParam().vtable; }
    Ms ShortLease() const { return GetParam().short_lease; }
    Ms Slack() const { return GetParam().slack; }
    // How long a positive pop may wait for something that is due: it returns as soon as it arrives.
    Ms DueWait() const { return ShortLease() + Slack() + Ms(1000); }

    std::string NewQueue(const std::string& label) const { return UniqueName(GetParam().name + "_" + label); }

    CallResult Push(const std::string& queue, const std::string& payload, int64_t eta_unix_ms = 0) {
        detail::CallError error;
        const jobber_code code =
            vt().push(broker_, queue.c_str(), payload.data(), payload.size(), eta_unix_ms, error.get());
        return error.Result(code);
    }

    // The delivery on OK; nullopt otherwise, with the code in *result when given.
    std::optional<Popped> Pop(const std::vector<std::string>& queues, Ms wait, Ms lease, CallResult* result = nullptr) {
        std::vector<const char*> names;
        for (const auto& queue : queues) names.push_back(queue.c_str());
        jobber_delivery out{};
        out.struct_size = sizeof(out);
        detail::CallError error;
        const jobber_code code = vt().pop(broker_, names.data(), static_cast<uint32_t>(names.size()), wait.count(),
                                          lease.count(), &out, error.get());
        if (result != nullptr) *result = error.Result(code);
        if (code != JOBBER_OK) {
            // "out is filled only on OK": anything else would leak or be freed twice by a host.
            EXPECT_EQ(out.release, nullptr) << "pop filled `out` although it returned " << code;
            if (out.release != nullptr) out.release(&out);
            return std::nullopt;
        }
        EXPECT_NE(out.release, nullptr) << "pop returned a delivery without a release function";
        EXPECT_NE(out.receipt, nullptr);
        EXPECT_NE(out.queue, nullptr);
        EXPECT_TRUE(out.payload != nullptr || out.payload_size == 0);
        Popped popped;
        if (out.payload != nullptr) popped.payload.assign(out.payload, out.payload_size);
        if (out.queue != nullptr) popped.queue = out.queue;
        if (out.receipt != nullptr) popped.receipt = out.receipt;
        popped.delivery_count = out.delivery_count;
        if (out.release != nullptr) out.release(&out);
        return popped;
    }

    std::optional<Popped> Pop(const std::string& queue, Ms wait, Ms lease, CallResult* result = nullptr) {
        return Pop(std::vector<std::string>{queue}, wait, lease, result);
    }

    // Asserts that nothing can be popped from `queues` within `wait`.
    void ExpectNothing(const std::vector<std::string>& queues, Ms wait, const char* why) {
        CallResult result;
        auto popped = Pop(queues, wait, kLongLease, &result);
        EXPECT_FALSE(popped.has_value()) << why << "; got payload '" << popped->payload << "'";
        EXPECT_EQ(result.code, JOBBER_DEADLINE_EXCEEDED) << why << ": " << result;
        if (popped) {
            JOBBER_EXPECT_OK(Ack(popped->receipt));
        }
    }

    CallResult Ack(const std::string& receipt) {
        detail::CallError error;
        return error.Result(vt().ack(broker_, receipt.c_str(), error.get()));
    }

    CallResult Requeue(const std::string& receipt, int64_t eta_unix_ms) {
        detail::CallError error;
        return error.Result(vt().requeue(broker_, receipt.c_str(), eta_unix_ms, error.get()));
    }

    CallResult Extend(const std::string& receipt, Ms lease) {
        detail::CallError error;
        return error.Result(vt().extend(broker_, receipt.c_str(), lease.count(), error.get()));
    }

    // Visits at most `limit` messages: the visitor asks to stop once it has that many.
    CallResult ListPending(const std::string& queue,
                           std::vector<PendingCopy>* out,
                           size_t limit = std::numeric_limits<size_t>::max()) {
        struct Context {
            std::vector<PendingCopy>* out;
            size_t limit;
        } context{out, limit};
        const jobber_pending_visitor visitor = [](void* raw, const jobber_pending_message* message) -> int32_t {
            auto* ctx = static_cast<Context*>(raw);
            PendingCopy copy;
            if (message->payload != nullptr) copy.payload.assign(message->payload, message->payload_size);
            copy.eta_unix_ms = message->eta_unix_ms;
            ctx->out->push_back(std::move(copy));
            return ctx->out->size() >= ctx->limit ? 1 : 0;
        };
        detail::CallError error;
        return error.Result(vt().list_pending(broker_, queue.c_str(), visitor, &context, error.get()));
    }

    jobber_broker* broker_ = nullptr;
};

TEST_P(BrokerContractTest, PingSucceeds) {
    detail::CallError error;
    const jobber_code code = vt().ping(broker_, error.get());
    EXPECT_EQ(code, JOBBER_OK) << error.Result(code);
}

TEST_P(BrokerContractTest, DeliversInFifoOrderWithinAQueue) {
    const std::string queue = NewQueue("fifo");
    for (const char* payload : {"first", "second", "third"}) JOBBER_ASSERT_OK(Push(queue, payload));
    for (const char* expected : {"first", "second", "third"}) {
        auto popped = Pop(queue, DueWait(), kLongLease);
        ASSERT_TRUE(popped.has_value()) << "expected '" << expected << "'";
        EXPECT_EQ(popped->payload, expected);
        EXPECT_EQ(popped->queue, queue);
        EXPECT_EQ(popped->delivery_count, 1u);
        JOBBER_EXPECT_OK(Ack(popped->receipt));
    }
    ExpectNothing({queue}, Ms(0), "the queue was drained");
}

TEST_P(BrokerContractTest, PopsFromEveryListedQueueAndNoOther) {
    const std::string a = NewQueue("multi_a"), b = NewQueue("multi_b"), other = NewQueue("multi_other");
    JOBBER_ASSERT_OK(Push(a, "from a"));
    JOBBER_ASSERT_OK(Push(b, "from b"));
    JOBBER_ASSERT_OK(Push(other, "from other"));

    std::map<std::string, std::string> by_queue;
    for (int i = 0; i < 2; ++i) {
        auto popped = Pop({a, b}, DueWait(), kLongLease);
        ASSERT_TRUE(popped.has_value()) << "pop " << i;
        by_queue[popped->queue] = popped->payload;
        JOBBER_EXPECT_OK(Ack(popped->receipt));
    }
    EXPECT_EQ(by_queue, (std::map<std::string, std::string>{{a, "from a"}, {b, "from b"}}));
    ExpectNothing({a, b}, Ms(0), "both listed queues were drained");

    auto popped = Pop(other, DueWait(), kLongLease);
    ASSERT_TRUE(popped.has_value());
    EXPECT_EQ(popped->payload, "from other");
    JOBBER_EXPECT_OK(Ack(popped->receipt));
}

TEST_P(BrokerContractTest, PopTimesOutWithDeadlineExceeded) {
    const std::string queue = NewQueue("timeout");
    const Ms wait(200);
    const auto start = Clock::now();
    ExpectNothing({queue}, wait, "the queue is empty");
    const auto elapsed = std::chrono::duration_cast<Ms>(Clock::now() - start);
    EXPECT_GE(elapsed, wait / 2) << "pop gave up long before its wait ran out";
    EXPECT_LT(elapsed, wait + Slack() + Ms(1000)) << "pop overran its wait";

    const auto poll_start = Clock::now();
    ExpectNothing({queue}, Ms(0), "the queue is empty");
    EXPECT_LT(Clock::now() - poll_start, Ms(1000)) << "a zero wait must not block";
}

TEST_P(BrokerContractTest, PushFromAnotherThreadWakesAWaitingPop) {
    const std::string queue = NewQueue("wake");
    const Ms push_after(100);
    std::thread producer([&] {
        std::this_thread::sleep_for(push_after);
        JOBBER_EXPECT_OK(Push(queue, "wake up"));
    });
    const auto start = Clock::now();
    auto popped = Pop(queue, Ms(5000), kLongLease);
    const auto elapsed = std::chrono::duration_cast<Ms>(Clock::now() - start);
    producer.join();
    ASSERT_TRUE(popped.has_value());
    EXPECT_EQ(popped->payload, "wake up");
    EXPECT_LT(elapsed, push_after + Slack() + Ms(1000)) << "the waiting pop did not wake on push";
    JOBBER_EXPECT_OK(Ack(popped->receipt));
}

TEST_P(BrokerContractTest, AckRemovesTheMessage) {
    const std::string queue = NewQueue("ack");
    JOBBER_ASSERT_OK(Push(queue, "once"));
    auto popped = Pop(queue, DueWait(), ShortLease());
    ASSERT_TRUE(popped.has_value());
    JOBBER_ASSERT_OK(Ack(popped->receipt));
    ExpectNothing({queue}, ShortLease() + Slack(), "an acked message must not be redelivered");
    EXPECT_EQ(Ack(popped->receipt).code, JOBBER_NOT_FOUND) << "a second ack of the same receipt";
}

TEST_P(BrokerContractTest, UnknownReceiptIsNotFound) {
    const std::string receipt = "jobber-contract-no-such-receipt";
    EXPECT_EQ(Ack(receipt).code, JOBBER_NOT_FOUND);
    EXPECT_EQ(Extend(receipt, kLongLease).code, JOBBER_NOT_FOUND);
    EXPECT_EQ(Requeue(receipt, 0).code, JOBBER_NOT_FOUND);
}

TEST_P(BrokerContractTest, UnackedMessageIsRedeliveredAfterLeaseExpiry) {
    const std::string queue = NewQueue("redeliver");
    JOBBER_ASSERT_OK(Push(queue, "at least once"));
    auto first = Pop(queue, DueWait(), ShortLease());
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->delivery_count, 1u);
    ExpectNothing({queue}, Ms(0), "the message is still leased");

    auto second = Pop(queue, DueWait(), kLongLease);
    ASSERT_TRUE(second.has_value()) << "the lease ran out but the message was not redelivered";
    EXPECT_EQ(second->payload, "at least once");
    EXPECT_EQ(second->delivery_count, 2u);
    EXPECT_NE(second->receipt, first->receipt) << "each lease needs its own receipt";
    EXPECT_EQ(Ack(first->receipt).code, JOBBER_NOT_FOUND) << "the first lease was lost, its ack must not count";
    JOBBER_EXPECT_OK(Ack(second->receipt));
}

TEST_P(BrokerContractTest, ExtendKeepsTheMessageLeasedPastItsFirstLease) {
    const std::string queue = NewQueue("extend");
    JOBBER_ASSERT_OK(Push(queue, "long job"));
    auto popped = Pop(queue, DueWait(), ShortLease());
    ASSERT_TRUE(popped.has_value());
    std::this_thread::sleep_for(ShortLease() / 2);
    // The new deadline lies a full short lease beyond the end of the window checked below, and
    // that window ends after the latest moment the original lease could have been redelivered.
    JOBBER_ASSERT_OK(Extend(popped->receipt, 2 * ShortLease() + Slack()));
    ExpectNothing({queue}, ShortLease() + Slack(), "the extended lease has not run out");
    JOBBER_EXPECT_OK(Ack(popped->receipt));
}

TEST_P(BrokerContractTest, RequeueMakesTheMessageDeliverableAgain) {
    const std::string queue = NewQueue("requeue");
    JOBBER_ASSERT_OK(Push(queue, "again"));
    auto first = Pop(queue, DueWait(), kLongLease);
    ASSERT_TRUE(first.has_value());
    JOBBER_ASSERT_OK(Requeue(first->receipt, 0));
    auto second = Pop(queue, DueWait(), kLongLease);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->payload, "again");
    EXPECT_EQ(second->delivery_count, 2u);
    EXPECT_EQ(Ack(first->receipt).code, JOBBER_NOT_FOUND) << "a requeued lease is finished";
    JOBBER_EXPECT_OK(Ack(second->receipt));
}

TEST_P(BrokerContractTest, RequeueWithFutureEtaDelaysDelivery) {
    const std::string queue = NewQueue("requeue_eta");
    JOBBER_ASSERT_OK(Push(queue, "later"));
    auto first = Pop(queue, DueWait(), kLongLease);
    ASSERT_TRUE(first.has_value());
    const int64_t eta = NowUnixMs() + ShortLease().count();
    JOBBER_ASSERT_OK(Requeue(first->receipt, eta));
    ExpectNothing({queue}, ShortLease() / 2, "the requeued message is not due yet");
    auto second = Pop(queue, DueWait(), kLongLease);
    ASSERT_TRUE(second.has_value()) << "the requeued message never became due";
    EXPECT_EQ(second->payload, "later");
    EXPECT_EQ(second->delivery_count, 2u);
    JOBBER_EXPECT_OK(Ack(second->receipt));
}

TEST_P(BrokerContractTest, DelayedPushIsDeliveredAtItsEtaAndNotBefore) {
    const std::string queue = NewQueue("delayed");
    const int64_t eta = NowUnixMs() + ShortLease().count();
    JOBBER_ASSERT_OK(Push(queue, "delayed", eta));
    ExpectNothing({queue}, ShortLease() / 2, "the message is not due yet");
    auto popped = Pop(queue, DueWait(), kLongLease);
    const int64_t received_at = NowUnixMs();
    ASSERT_TRUE(popped.has_value()) << "the delayed message never became due";
    EXPECT_EQ(popped->payload, "delayed");
    EXPECT_EQ(popped->delivery_count, 1u);
    // 50 ms of tolerance for brokers whose clock is not this process's clock.
    EXPECT_GE(received_at, eta - 50) << "delivered before its eta";
    JOBBER_EXPECT_OK(Ack(popped->receipt));
}

TEST_P(BrokerContractTest, DueMessageIsNotBlockedByAnEarlierPushedLaterOne) {
    const std::string queue = NewQueue("no_hol");
    JOBBER_ASSERT_OK(Push(queue, "in an hour", NowUnixMs() + 3600 * 1000));
    JOBBER_ASSERT_OK(Push(queue, "soon", NowUnixMs() + ShortLease().count()));
    auto popped = Pop(queue, DueWait(), kLongLease);
    ASSERT_TRUE(popped.has_value()) << "a due message waited behind one due in an hour";
    EXPECT_EQ(popped->payload, "soon");
    JOBBER_EXPECT_OK(Ack(popped->receipt));
    ExpectNothing({queue}, Ms(0), "the other message is due in an hour");
}

TEST_P(BrokerContractTest, ListPendingShowsReadyThenDelayedButNotLeased) {
    const std::string queue = NewQueue("list");
    const int64_t eta = NowUnixMs() + 3600 * 1000;
    JOBBER_ASSERT_OK(Push(queue, "r1"));
    JOBBER_ASSERT_OK(Push(queue, "r2"));
    JOBBER_ASSERT_OK(Push(queue, "d1", eta));
    JOBBER_ASSERT_OK(Push(queue, "r3"));
    auto leased = Pop(queue, DueWait(), kLongLease);
    ASSERT_TRUE(leased.has_value());
    ASSERT_EQ(leased->payload, "r1");

    std::vector<PendingCopy> pending;
    const CallResult result = ListPending(queue, &pending);
    if (result.code == JOBBER_UNIMPLEMENTED) GTEST_SKIP() << "this broker cannot list pending messages";
    JOBBER_ASSERT_OK(result);
    ASSERT_EQ(pending.size(), 3u);
    EXPECT_EQ(pending[0].payload, "r2");
    EXPECT_EQ(pending[0].eta_unix_ms, 0);
    EXPECT_EQ(pending[1].payload, "r3");
    EXPECT_EQ(pending[1].eta_unix_ms, 0);
    EXPECT_EQ(pending[2].payload, "d1");
    EXPECT_EQ(pending[2].eta_unix_ms, eta);

    std::vector<PendingCopy> first_only;
    JOBBER_ASSERT_OK(ListPending(queue, &first_only, 1));
    EXPECT_EQ(first_only.size(), 1u) << "listing must stop when the visitor returns non-zero";

    std::vector<PendingCopy> none;
    JOBBER_ASSERT_OK(ListPending(NewQueue("list_empty"), &none));
    EXPECT_TRUE(none.empty());
    JOBBER_EXPECT_OK(Ack(leased->receipt));
}

TEST_P(BrokerContractTest, BinaryPayloadsRoundTrip) {
    const std::string queue = NewQueue("binary");
    std::string binary("\0head\0", 6);
    for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
    binary.append(std::string("\0\0tail", 6));
    JOBBER_ASSERT_OK(Push(queue, binary));
    JOBBER_ASSERT_OK(Push(queue, std::string()));

    std::vector<PendingCopy> pending;
    const CallResult listed = ListPending(queue, &pending);
    if (listed.code != JOBBER_UNIMPLEMENTED) {
        JOBBER_EXPECT_OK(listed);
        ASSERT_EQ(pending.size(), 2u);
        EXPECT_EQ(pending[0].payload, binary);
        EXPECT_EQ(pending[1].payload, "");
    }

    auto first = Pop(queue, DueWait(), kLongLease);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->payload, binary);
    JOBBER_EXPECT_OK(Ack(first->receipt));
    auto second = Pop(queue, DueWait(), kLongLease);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->payload, "");
    JOBBER_EXPECT_OK(Ack(second->receipt));
}

TEST_P(BrokerContractTest, ConcurrentProducersAndConsumersDeliverEachMessageOnce) {
    constexpr int kProducers = 4, kConsumers = 4, kPerProducer = 500;
    constexpr int kTotal = kProducers * kPerProducer;
    const std::vector<std::string> queues = {NewQueue("concurrent_a"), NewQueue("concurrent_b")};
    const auto give_up_at = Clock::now() + Ms(30000);

    std::atomic<int> push_failures{0}, pop_failures{0}, ack_failures{0}, received{0};
    std::mutex seen_mutex;
    std::map<std::string, int> seen;  // payload -> deliveries
    std::string first_failure;        // what the first failing call said, for the report
    auto note_failure = [&](const char* call, const CallResult& result) {
        std::lock_guard<std::mutex> lock(seen_mutex);
        if (first_failure.empty()) first_failure = std::string(call) + ": " + result.message;
    };

    std::vector<std::thread> threads;
    for (int p = 0; p < kProducers; ++p) {
        threads.emplace_back([&, p] {
            for (int i = 0; i < kPerProducer; ++i) {
                const std::string payload = "p" + std::to_string(p) + "-" + std::to_string(i);
                const CallResult pushed = Push(queues[i % queues.size()], payload);
                if (!pushed.ok()) {
                    ++push_failures;
                    note_failure("push", pushed);
                }
            }
        });
    }
    for (int c = 0; c < kConsumers; ++c) {
        threads.emplace_back([&] {
            while (received.load() < kTotal && Clock::now() < give_up_at) {
                CallResult result;
                auto popped = Pop(queues, Ms(100), kLongLease, &result);
                if (!popped) {
                    if (result.code != JOBBER_DEADLINE_EXCEEDED) {
                        ++pop_failures;
                        note_failure("pop", result);
                    }
                    continue;
                }
                const CallResult acked = Ack(popped->receipt);
                if (!acked.ok()) {
                    ++ack_failures;
                    note_failure("ack", acked);
                }
                std::lock_guard<std::mutex> lock(seen_mutex);
                ++seen[popped->payload];
                ++received;
            }
        });
    }
    for (auto& thread : threads) thread.join();

    EXPECT_EQ(push_failures.load(), 0) << first_failure;
    EXPECT_EQ(pop_failures.load(), 0) << first_failure;
    EXPECT_EQ(ack_failures.load(), 0) << first_failure;
    EXPECT_EQ(received.load(), kTotal);
    EXPECT_EQ(seen.size(), static_cast<size_t>(kTotal)) << "some messages were lost";
    for (const auto& [payload, count] : seen) EXPECT_EQ(count, 1) << payload << " was delivered " << count << " times";
    ExpectNothing(queues, Ms(0), "every message was acked");
}

}  // namespace jobber::testing
