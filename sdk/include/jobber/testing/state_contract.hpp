// Conformance suite for the state store role, written against the C ABI (jobber_state_vtable)
// only, so it tests exactly what crosses the .so boundary. Every state plugin instantiates it:
//
//   #include "jobber/testing/state_contract.hpp"
//
//   namespace jobber::testing {
//   INSTANTIATE_TEST_SUITE_P(Redis, StateContractTest,
//                            ::testing::Values(RedisParams()),  // a StateContractParams
//                            ContractParamName());
//   }
//
// Include this header in exactly one source file per test binary: it defines the tests.
//
// Each test opens its own instance and uses job, group and slot names with a random suffix, so a
// server shared with other runs is safe. Records are written with short TTLs or deleted where the
// test allows it. The whole suite takes about 2 s with the default timings.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jobber/abi/state.h"
#include "jobber/testing/contract_support.hpp"
#include "jobber/testing/plugin_library.hpp"

namespace jobber::testing {

struct StateContractParams {
    // Names the instantiation in test output: letters, digits and '_' only.
    std::string name;
    const jobber_state_vtable* vtable = nullptr;
    // Passed to `open` as validated config (canonical text values, durations in ms).
    ConfigList config;
    // Non-empty: every test is skipped with this reason, e.g. "JOBBER_REDIS_TEST_URL is not set".
    std::string skip_reason;
    // Non-empty: every test fails with this reason, e.g. the plugin could not be loaded.
    std::string setup_error;
    // TTL and slot lease used by the timing tests; raise it for stores with coarse expiry.
    std::chrono::milliseconds short_ttl{300};
    // How late the store may let a record expire or a slot lapse.
    std::chrono::milliseconds slack{200};
};

inline void PrintTo(const StateContractParams& params, std::ostream* out) {
    *out << params.name;
}

// Params for the state role of the plugin at `library_path`; a load failure becomes setup_error,
// so it shows up as failing tests rather than a crash during test registration.
inline StateContractParams StateParamsFromLibrary(std::string name,
                                                  const std::string& library_path,
                                                  ConfigList config = {}) {
    StateContractParams params;
    params.name = std::move(name);
    params.config = std::move(config);
    try {
        params.vtable = LoadPluginLibrary(library_path).vtables.state;
        if (params.vtable == nullptr) params.setup_error = "plugin '" + library_path + "' provides no state role";
    } catch (const std::exception& e) {
        params.setup_error = e.what();
    }
    return params;
}

// A job record copied out of a jobber_job_record, which is released straight away.
struct JobCopy {
    int32_t state = 0;
    std::string token;
    std::string body;
};

struct JobWriteSpec {
    JobWriteSpec() = default;
    JobWriteSpec(int32_t new_state,
                 std::string new_token,
                 std::string new_body,
                 int64_t new_ttl_ms = 0,
                 std::string listed_queue = {})
        : state(new_state),
          token(std::move(new_token)),
          body(std::move(new_body)),
          ttl_ms(new_ttl_ms),
          queue(std::move(listed_queue)) {}

    int32_t state = JOBBER_JOB_PENDING;
    std::string token;
    std::string body;
    int64_t ttl_ms = 0;
    std::string queue;  // ABI 1.1 queue index; empty passes NULL
};

// One job as list_queue showed it.
struct QueuedCopy {
    std::string job_id;
    int32_t state = 0;
    std::string token;
    std::string body;
};

class StateContractTest : public ::testing::TestWithParam<StateContractParams> {
protected:
    using Ms = std::chrono::milliseconds;

    // "Claim this job ID unless it is pending or running": how the host submits a job.
    static constexpr uint32_t kClaimMask =
        JOBBER_EXPECT_ABSENT | JOBBER_EXPECT_STATE(JOBBER_JOB_SUCCESS) | JOBBER_EXPECT_STATE(JOBBER_JOB_FAILURE);
    // Long enough that no test sees it run out, short enough that a shared server forgets it.
    static constexpr int64_t kLongTtlMs = 10 * 60 * 1000;

    void SetUp() override {
        const StateContractParams& params = GetParam();
        if (!params.setup_error.empty()) GTEST_FAIL() << params.setup_error;
        if (!params.skip_reason.empty()) GTEST_SKIP() << params.skip_reason;
        ASSERT_NE(params.vtable, nullptr) << "no state vtable given";
        ASSERT_GE(params.vtable->struct_size, offsetof(jobber_state_vtable, ping) + sizeof(void*))
            << "the state vtable is older than ABI 1.0";
        detail::OpenArgsHolder args("contract", params.config);
        detail::CallError error;
        const jobber_code code = params.vtable->open(args.get(), &state_, error.get());
        ASSERT_EQ(code, JOBBER_OK) << "open: " << error.Result(code);
        ASSERT_NE(state_, nullptr) << "open returned OK without an instance";
    }

    void TearDown() override {
        if (state_ != nullptr) GetParam().vtable->close(state_);
    }

    const jobber_state_vtable& vt() const { return *GetParam().vtable; }
    Ms ShortTtl() const { return GetParam().short_ttl; }
    Ms Slack() const { return GetParam().slack; }

    std::string NewName(const std::string& label) const { return UniqueName(GetParam().name + "_" + label); }

    static JobCopy CopyAndRelease(jobber_job_record* record) {
        JobCopy copy;
        copy.state = record->state;
        if (record->token != nullptr) copy.token = record->token;
        if (record->body != nullptr) copy.body.assign(record->body, record->body_size);
        if (record->release != nullptr) record->release(record);
        return copy;
    }

    // `expect_token` nullopt passes NULL ("any token"). On FAILED_PRECONDITION *current receives
    // the record found when `current` is given.
    CallResult Cas(const std::string& job_id,
                   uint32_t expect_mask,
                   const std::optional<std::string>& expect_token,
                   const JobWriteSpec& write,
                   JobCopy* current = nullptr,
                   bool pass_current = true) {
        jobber_job_write record{};
        record.struct_size = sizeof(record);
        record.state = write.state;
        record.token = write.token.c_str();
        record.body = write.body.data();
        record.body_size = write.body.size();
        record.ttl_ms = write.ttl_ms;
        record.queue = write.queue.empty() ? nullptr : write.queue.c_str();
        jobber_job_record found{};
        found.struct_size = sizeof(found);
        detail::CallError error;
        const jobber_code code =
            vt().cas_job(state_, job_id.c_str(), expect_mask, expect_token ? expect_token->c_str() : nullptr, &record,
                         pass_current ? &found : nullptr, error.get());
        if (code == JOBBER_FAILED_PRECONDITION && pass_current) {
            EXPECT_NE(found.release, nullptr) << "a failed cas_job must fill `current`";
        }
        JobCopy copy = CopyAndRelease(&found);
        if (current != nullptr) *current = std::move(copy);
        return error.Result(code);
    }

    CallResult Claim(const std::string& job_id, const std::string& token, JobCopy* current = nullptr) {
        return Cas(job_id, kClaimMask, std::nullopt, JobWriteSpec{JOBBER_JOB_PENDING, token, "{}", kLongTtlMs},
                   current);
    }

    CallResult Get(const std::string& job_id, JobCopy* out) {
        jobber_job_record record{};
        record.struct_size = sizeof(record);
        detail::CallError error;
        const jobber_code code = vt().get_job(state_, job_id.c_str(), &record, error.get());
        if (code != JOBBER_OK) {
            EXPECT_EQ(record.release, nullptr) << "get_job filled `out` on failure";
        }
        *out = CopyAndRelease(&record);
        return error.Result(code);
    }

    CallResult Delete(const std::string& job_id) {
        detail::CallError error;
        return error.Result(vt().delete_job(state_, job_id.c_str(), error.get()));
    }

    CallResult PutGroup(const std::string& group_id, const std::string& body, int64_t ttl_ms) {
        detail::CallError error;
        return error.Result(vt().put_group(state_, group_id.c_str(), body.data(), body.size(), ttl_ms, error.get()));
    }

    CallResult GetGroup(const std::string& group_id, std::string* body) {
        jobber_buffer buffer{};
        detail::CallError error;
        const jobber_code code = vt().get_group(state_, group_id.c_str(), &buffer, error.get());
        body->clear();
        if (buffer.data != nullptr) body->assign(buffer.data, buffer.size);
        if (buffer.release != nullptr) buffer.release(&buffer);
        return error.Result(code);
    }

    CallResult DeleteGroup(const std::string& group_id) {
        detail::CallError error;
        return error.Result(vt().delete_group(state_, group_id.c_str(), error.get()));
    }

    // Returns whether the slot was acquired; a failed call fails the test.
    bool Acquire(const std::string& key, uint32_t limit, const std::string& holder, Ms lease) {
        int32_t acquired = -1;
        detail::CallError error;
        const jobber_code code =
            vt().acquire_slot(state_, key.c_str(), limit, holder.c_str(), lease.count(), &acquired, error.get());
        EXPECT_EQ(code, JOBBER_OK) << "acquire_slot " << key << " for " << holder << ": " << error.Result(code);
        EXPECT_TRUE(acquired == 0 || acquired == 1) << "acquire_slot set *acquired to " << acquired;
        return code == JOBBER_OK && acquired == 1;
    }

    CallResult Release(const std::string& key, const std::string& holder) {
        detail::CallError error;
        return error.Result(vt().release_slot(state_, key.c_str(), holder.c_str(), error.get()));
    }

    // Whether this store has the ABI 1.1 queue index at all (skips the index tests otherwise).
    bool HasQueueIndex() {
        if (vt().struct_size < offsetof(jobber_state_vtable, list_queue) + sizeof(void*)) return false;
        if (vt().list_queue == nullptr) return false;
        std::vector<QueuedCopy> ignored;
        return ListQueue(NewName("probe"), 1, &ignored).code != JOBBER_UNIMPLEMENTED;
    }

    CallResult ListQueue(const std::string& queue, uint32_t limit, std::vector<QueuedCopy>* out) {
        out->clear();
        auto visit = [](void* context, const jobber_queued_job* job) -> int32_t {
            auto* jobs = static_cast<std::vector<QueuedCopy>*>(context);
            QueuedCopy copy;
            if (job->job_id != nullptr) copy.job_id = job->job_id;
            copy.state = job->state;
            if (job->token != nullptr) copy.token = job->token;
            if (job->body != nullptr) copy.body.assign(job->body, job->body_size);
            jobs->push_back(std::move(copy));
            return 0;
        };
        detail::CallError error;
        return error.Result(vt().list_queue(state_, queue.c_str(), limit, visit, out, error.get()));
    }

    std::vector<std::string> ListedIds(const std::string& queue, uint32_t limit = 100) {
        std::vector<QueuedCopy> jobs;
        const CallResult result = ListQueue(queue, limit, &jobs);
        EXPECT_EQ(result.code, JOBBER_OK) << "list_queue " << queue << ": " << result;
        std::vector<std::string> ids;
        for (const auto& job : jobs) ids.push_back(job.job_id);
        return ids;
    }

    jobber_state* state_ = nullptr;
};

TEST_P(StateContractTest, PingSucceeds) {
    detail::CallError error;
    const jobber_code code = vt().ping(state_, error.get());
    EXPECT_EQ(code, JOBBER_OK) << error.Result(code);
}

TEST_P(StateContractTest, ClaimingAnAbsentIdSucceedsOnce) {
    const std::string job = NewName("claim");
    JOBBER_ASSERT_OK(Claim(job, "token-1"));

    JobCopy current;
    const CallResult second = Claim(job, "token-2", &current);
    EXPECT_EQ(second.code, JOBBER_FAILED_PRECONDITION) << second;
    EXPECT_EQ(current.state, JOBBER_JOB_PENDING);
    EXPECT_EQ(current.token, "token-1");
    EXPECT_EQ(current.body, "{}");
    JOBBER_EXPECT_OK(Delete(job));
}

TEST_P(StateContractTest, ClaimSucceedsAgainAfterTheJobFinished) {
    const std::string job = NewName("reclaim");
    JOBBER_ASSERT_OK(Claim(job, "run-1"));
    JOBBER_ASSERT_OK(Cas(job, JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), "run-1",
                         JobWriteSpec{JOBBER_JOB_SUCCESS, "run-1", "done", kLongTtlMs}));
    JOBBER_ASSERT_OK(Claim(job, "run-2"));

    JobCopy record;
    JOBBER_ASSERT_OK(Get(job, &record));
    EXPECT_EQ(record.state, JOBBER_JOB_PENDING);
    EXPECT_EQ(record.token, "run-2");
    JOBBER_EXPECT_OK(Delete(job));
}

TEST_P(StateContractTest, TokenMismatchFailsWithTheCurrentRecord) {
    const std::string job = NewName("token");
    JOBBER_ASSERT_OK(Claim(job, "mine"));
    const JobWriteSpec start{JOBBER_JOB_STARTED, "mine", "{\"started\":true}", kLongTtlMs};

    JobCopy current;
    const CallResult stale = Cas(job, JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), std::string("theirs"), start, &current);
    EXPECT_EQ(stale.code, JOBBER_FAILED_PRECONDITION) << stale;
    EXPECT_EQ(current.state, JOBBER_JOB_PENDING);
    EXPECT_EQ(current.token, "mine");

    JOBBER_ASSERT_OK(Cas(job, JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), std::string("mine"), start));
    JobCopy record;
    JOBBER_ASSERT_OK(Get(job, &record));
    EXPECT_EQ(record.state, JOBBER_JOB_STARTED);
    EXPECT_EQ(record.body, "{\"started\":true}");
    JOBBER_EXPECT_OK(Delete(job));
}

TEST_P(StateContractTest, StateOutsideTheMaskFails) {
    const std::string job = NewName("mask");
    const JobWriteSpec finish{JOBBER_JOB_SUCCESS, "t", "", kLongTtlMs};

    JobCopy current;
    current.state = -1;
    const CallResult on_absent = Cas(job, JOBBER_EXPECT_STATE(JOBBER_JOB_STARTED), std::nullopt, finish, &current);
    EXPECT_EQ(on_absent.code, JOBBER_FAILED_PRECONDITION) << on_absent;
    EXPECT_EQ(current.state, 0) << "an absent record is reported as state 0";

    JOBBER_ASSERT_OK(Claim(job, "t"));
    const CallResult on_pending = Cas(job, JOBBER_EXPECT_STATE(JOBBER_JOB_STARTED), std::nullopt, finish, &current);
    EXPECT_EQ(on_pending.code, JOBBER_FAILED_PRECONDITION) << on_pending;
    EXPECT_EQ(current.state, JOBBER_JOB_PENDING);

    const CallResult without_current = Cas(job, JOBBER_EXPECT_ABSENT, std::nullopt, finish, nullptr, false);
    EXPECT_EQ(without_current.code, JOBBER_FAILED_PRECONDITION) << "`current` may be NULL: " << without_current;
    JOBBER_EXPECT_OK(Delete(job));
}

TEST_P(StateContractTest, GetAndDeleteJob) {
    const std::string job = NewName("get");
    JobCopy record;
    EXPECT_EQ(Get(job, &record).code, JOBBER_NOT_FOUND);

    using namespace std::string_literals;
    const std::string body = "{\"bytes\":\"\0\xff\x01\"}"s;
    JOBBER_ASSERT_OK(
        Cas(job, JOBBER_EXPECT_ABSENT, std::nullopt, JobWriteSpec{JOBBER_JOB_RETRY, "tok-\xc3\xa9", body, kLongTtlMs}));
    JOBBER_ASSERT_OK(Get(job, &record));
    EXPECT_EQ(record.state, JOBBER_JOB_RETRY);
    EXPECT_EQ(record.token, "tok-\xc3\xa9");
    EXPECT_EQ(record.body, body) << "bodies are opaque bytes, NUL included";

    JOBBER_ASSERT_OK(Delete(job));
    EXPECT_EQ(Get(job, &record).code, JOBBER_NOT_FOUND);
    JOBBER_EXPECT_OK(Delete(job)) << "deleting an absent record is OK";
    JOBBER_EXPECT_OK(Claim(job, "after-delete")) << "a deleted record is absent";
    JOBBER_EXPECT_OK(Delete(job));
}

TEST_P(StateContractTest, TtlMakesAJobAbsent) {
    const std::string job = NewName("ttl");
    JOBBER_ASSERT_OK(
        Cas(job, JOBBER_EXPECT_ABSENT, std::nullopt, JobWriteSpec{JOBBER_JOB_SUCCESS, "t", "x", ShortTtl().count()}));
    JobCopy record;
    JOBBER_ASSERT_OK(Get(job, &record));
    std::this_thread::sleep_for(ShortTtl() + Slack());

    EXPECT_EQ(Get(job, &record).code, JOBBER_NOT_FOUND) << "the record outlived its TTL";
    JobCopy current;
    current.state = -1;
    EXPECT_EQ(Cas(job, JOBBER_EXPECT_STATE(JOBBER_JOB_SUCCESS), std::nullopt, JobWriteSpec{}, &current).code,
              JOBBER_FAILED_PRECONDITION);
    EXPECT_EQ(current.state, 0) << "an expired record is reported as absent";
    JOBBER_EXPECT_OK(Claim(job, "again")) << "an expired record is absent";
    JOBBER_EXPECT_OK(Delete(job));
}

TEST_P(StateContractTest, WriteWithoutTtlReplacesAnEarlierTtl) {
    const std::string job = NewName("ttl_reset");
    JOBBER_ASSERT_OK(
        Cas(job, JOBBER_EXPECT_ABSENT, std::nullopt, JobWriteSpec{JOBBER_JOB_PENDING, "t", "", ShortTtl().count()}));
    JOBBER_ASSERT_OK(Cas(job, JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), std::string("t"),
                         JobWriteSpec{JOBBER_JOB_STARTED, "t", "", 0}));
    std::this_thread::sleep_for(ShortTtl() + Slack());
    JobCopy record;
    JOBBER_EXPECT_OK(Get(job, &record)) << "ttl_ms 0 means never; the first write's TTL must not survive";
    EXPECT_EQ(record.state, JOBBER_JOB_STARTED);
    JOBBER_EXPECT_OK(Delete(job));
}

TEST_P(StateContractTest, ConcurrentClaimsOfOneIdHaveExactlyOneWinner) {
    constexpr int kThreads = 8, kIds = 20;
    std::vector<std::string> jobs;
    for (int i = 0; i < kIds; ++i) jobs.push_back(NewName("race" + std::to_string(i)));

    // wins[id][thread], and what each loser saw as the current record.
    std::vector<std::vector<int>> wins(kIds, std::vector<int>(kThreads, 0));
    std::vector<std::vector<JobCopy>> seen(kIds, std::vector<JobCopy>(kThreads));
    std::atomic<int> errors{0}, ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            ++ready;
            while (ready.load() < kThreads) std::this_thread::yield();
            for (int i = 0; i < kIds; ++i) {
                const CallResult result = Claim(jobs[i], "thread-" + std::to_string(t), &seen[i][t]);
                if (result.ok()) {
                    wins[i][t] = 1;
                } else if (result.code != JOBBER_FAILED_PRECONDITION) {
                    ++errors;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();

    EXPECT_EQ(errors.load(), 0);
    for (int i = 0; i < kIds; ++i) {
        const auto winner = std::find(wins[i].begin(), wins[i].end(), 1);
        EXPECT_EQ(std::count(wins[i].begin(), wins[i].end(), 1), 1) << "job " << i;
        if (winner == wins[i].end()) continue;
        const std::string winner_token = "thread-" + std::to_string(winner - wins[i].begin());
        for (int t = 0; t < kThreads; ++t) {
            if (wins[i][t] == 1) continue;
            EXPECT_EQ(seen[i][t].state, JOBBER_JOB_PENDING) << "job " << i << " thread " << t;
            EXPECT_EQ(seen[i][t].token, winner_token) << "job " << i << " thread " << t;
        }
        JOBBER_EXPECT_OK(Delete(jobs[i]));
    }
}

TEST_P(StateContractTest, GroupsPutGetDeleteAndExpire) {
    const std::string group = NewName("group");
    std::string body;
    EXPECT_EQ(GetGroup(group, &body).code, JOBBER_NOT_FOUND);

    using namespace std::string_literals;
    const std::string first = "[\"a\",\0\"b\"]"s;
    JOBBER_ASSERT_OK(PutGroup(group, first, kLongTtlMs));
    JOBBER_ASSERT_OK(GetGroup(group, &body));
    EXPECT_EQ(body, first);

    JOBBER_ASSERT_OK(PutGroup(group, "second", kLongTtlMs));
    JOBBER_ASSERT_OK(GetGroup(group, &body));
    EXPECT_EQ(body, "second") << "last write wins";

    JOBBER_ASSERT_OK(DeleteGroup(group));
    EXPECT_EQ(GetGroup(group, &body).code, JOBBER_NOT_FOUND);
    JOBBER_EXPECT_OK(DeleteGroup(group)) << "deleting an absent group is OK";

    JOBBER_ASSERT_OK(PutGroup(group, "short-lived", ShortTtl().count()));
    JOBBER_ASSERT_OK(GetGroup(group, &body));
    std::this_thread::sleep_for(ShortTtl() + Slack());
    EXPECT_EQ(GetGroup(group, &body).code, JOBBER_NOT_FOUND) << "the group outlived its TTL";
}

TEST_P(StateContractTest, SlotsHonourTheLimit) {
    const std::string key = NewName("slots"), other_key = NewName("slots_other");
    const Ms lease(kLongTtlMs);
    EXPECT_TRUE(Acquire(key, 2, "a", lease));
    EXPECT_TRUE(Acquire(key, 2, "b", lease));
    EXPECT_FALSE(Acquire(key, 2, "c", lease)) << "a third holder of a 2-slot key";
    EXPECT_TRUE(Acquire(key, 2, "a", lease)) << "re-acquiring by the same holder refreshes its slot";
    EXPECT_FALSE(Acquire(key, 2, "c", lease)) << "a refresh must not take a second slot";
    EXPECT_TRUE(Acquire(other_key, 1, "c", lease)) << "keys are independent";

    JOBBER_ASSERT_OK(Release(key, "a"));
    EXPECT_TRUE(Acquire(key, 2, "c", lease)) << "a released slot is free";
    JOBBER_EXPECT_OK(Release(key, "a")) << "releasing a slot not held is OK";
    JOBBER_EXPECT_OK(Release(NewName("slots_never"), "nobody"));

    for (const char* holder : {"b", "c"}) JOBBER_EXPECT_OK(Release(key, holder));
    JOBBER_EXPECT_OK(Release(other_key, "c"));
}

TEST_P(StateContractTest, LapsedSlotLeaseFreesTheSlot) {
    const std::string key = NewName("slot_lapse");
    EXPECT_TRUE(Acquire(key, 1, "crashed", ShortTtl()));
    EXPECT_FALSE(Acquire(key, 1, "next", ShortTtl()));
    std::this_thread::sleep_for(ShortTtl() + Slack());
    EXPECT_TRUE(Acquire(key, 1, "next", ShortTtl())) << "the first holder's lease ran out";
    JOBBER_EXPECT_OK(Release(key, "next"));
}

TEST_P(StateContractTest, ReacquiringRefreshesTheSlotLease) {
    const std::string key = NewName("slot_refresh");
    EXPECT_TRUE(Acquire(key, 1, "worker", ShortTtl()));
    std::this_thread::sleep_for(ShortTtl() / 2);
    // As with broker leases: the check below falls after the latest moment the first lease could
    // lapse, and a full short TTL before the refreshed one does.
    EXPECT_TRUE(Acquire(key, 1, "worker", 2 * ShortTtl() + Slack()));
    std::this_thread::sleep_for(ShortTtl() / 2 + Slack());
    EXPECT_FALSE(Acquire(key, 1, "other", ShortTtl())) << "the refreshed slot lapsed with the first lease";
    JOBBER_EXPECT_OK(Release(key, "worker"));
}

TEST_P(StateContractTest, ConcurrentAcquiresNeverExceedTheLimit) {
    constexpr uint32_t kLimit = 3;
    constexpr int kThreads = 12, kRounds = 100;
    const std::string key = NewName("slot_race");
    std::atomic<int> in_use{0}, max_in_use{0}, acquisitions{0}, release_errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const std::string holder = "holder-" + std::to_string(t);
            for (int round = 0; round < kRounds; ++round) {
                if (!Acquire(key, kLimit, holder, Ms(kLongTtlMs))) continue;
                // Counted only between a successful acquire and the release call, so the count
                // can only be lower than the store's: above the limit means the store let it be.
                const int now = ++in_use;
                int seen = max_in_use.load();
                while (now > seen && !max_in_use.compare_exchange_weak(seen, now)) {
                }
                ++acquisitions;
                std::this_thread::yield();
                --in_use;
                if (!Release(key, holder).ok()) ++release_errors;
            }
        });
    }
    for (auto& thread : threads) thread.join();

    EXPECT_LE(max_in_use.load(), static_cast<int>(kLimit));
    EXPECT_GT(acquisitions.load(), 0);
    EXPECT_EQ(release_errors.load(), 0);
}

// ---- ABI 1.1: the queue index behind GET /jobs/queue/{queue} for brokers that cannot browse ----

TEST_P(StateContractTest, QueueIndexListsWaitingJobsOldestFirst) {
    if (!HasQueueIndex()) GTEST_SKIP() << "this state store keeps no queue index (ABI 1.0 or UNIMPLEMENTED)";
    const std::string queue = NewName("q");
    const std::string a = NewName("a"), b = NewName("b"), c = NewName("c");
    for (const auto& [job, token] : {std::pair{a, "ta"}, std::pair{b, "tb"}, std::pair{c, "tc"}}) {
        JOBBER_ASSERT_OK(Cas(job, kClaimMask, std::nullopt,
                             JobWriteSpec{JOBBER_JOB_PENDING, token, "body-" + std::string(token), kLongTtlMs, queue}));
    }
    std::vector<QueuedCopy> listed;
    JOBBER_ASSERT_OK(ListQueue(queue, 100, &listed));
    ASSERT_EQ(listed.size(), 3u);
    EXPECT_EQ(listed[0].job_id, a);
    EXPECT_EQ(listed[0].state, JOBBER_JOB_PENDING);
    EXPECT_EQ(listed[0].token, "ta");
    EXPECT_EQ(listed[0].body, "body-ta");
    EXPECT_EQ(listed[2].job_id, c);

    // Rewriting a waiting job in place keeps its place; starting it takes it off the list.
    JOBBER_ASSERT_OK(Cas(a, JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), "ta",
                         JobWriteSpec{JOBBER_JOB_PENDING, "ta", "body-ta2", kLongTtlMs, queue}));
    JOBBER_ASSERT_OK(Cas(b, JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), "tb",
                         JobWriteSpec{JOBBER_JOB_STARTED, "tb", "running", kLongTtlMs, queue}));
    EXPECT_EQ(ListedIds(queue), (std::vector<std::string>{a, c}));

    // A retry waits again, behind what was already waiting.
    JOBBER_ASSERT_OK(Cas(b, JOBBER_EXPECT_STATE(JOBBER_JOB_STARTED), "tb",
                         JobWriteSpec{JOBBER_JOB_RETRY, "tb", "retrying", kLongTtlMs, queue}));
    JOBBER_ASSERT_OK(ListQueue(queue, 100, &listed));
    ASSERT_EQ(listed.size(), 3u);
    EXPECT_EQ(listed[2].job_id, b);
    EXPECT_EQ(listed[2].state, JOBBER_JOB_RETRY);
    EXPECT_EQ(listed[2].body, "retrying");

    // Finished jobs are not listed, even when the write names the queue.
    JOBBER_ASSERT_OK(Cas(c, JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), "tc",
                         JobWriteSpec{JOBBER_JOB_FAILURE, "tc", "cancelled", kLongTtlMs, queue}));
    EXPECT_EQ(ListedIds(queue), (std::vector<std::string>{a, b}));
    for (const auto& job : {a, b, c}) JOBBER_EXPECT_OK(Delete(job));
}

TEST_P(StateContractTest, QueueIndexSeparatesQueuesAndHonoursLimits) {
    if (!HasQueueIndex()) GTEST_SKIP() << "this state store keeps no queue index (ABI 1.0 or UNIMPLEMENTED)";
    const std::string reports = NewName("reports"), exports = NewName("exports");
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(NewName("job" + std::to_string(i)));
        JOBBER_ASSERT_OK(Cas(ids.back(), kClaimMask, std::nullopt,
                             JobWriteSpec{JOBBER_JOB_PENDING, "t", "{}", kLongTtlMs, i % 2 == 0 ? reports : exports}));
    }
    const std::string unlisted = NewName("unlisted");
    JOBBER_ASSERT_OK(Cas(unlisted, kClaimMask, std::nullopt, JobWriteSpec{JOBBER_JOB_PENDING, "t", "{}", kLongTtlMs}));

    EXPECT_EQ(ListedIds(reports), (std::vector<std::string>{ids[0], ids[2], ids[4]}));
    EXPECT_EQ(ListedIds(exports), (std::vector<std::string>{ids[1], ids[3]}));
    EXPECT_EQ(ListedIds(reports, 2), (std::vector<std::string>{ids[0], ids[2]}));
    EXPECT_TRUE(ListedIds(NewName("empty")).empty());

    // A visitor that stops after the first job sees exactly one.
    int visited = 0;
    auto stop_at_first = [](void* context, const jobber_queued_job*) -> int32_t {
        ++*static_cast<int*>(context);
        return 1;
    };
    detail::CallError error;
    const jobber_code code = vt().list_queue(state_, reports.c_str(), 100, stop_at_first, &visited, error.get());
    EXPECT_EQ(code, JOBBER_OK) << error.Result(code);
    EXPECT_EQ(visited, 1);

    for (const auto& job : ids) JOBBER_EXPECT_OK(Delete(job));
    JOBBER_EXPECT_OK(Delete(unlisted));
}

TEST_P(StateContractTest, QueueIndexForgetsDeletedAndExpiredJobs) {
    if (!HasQueueIndex()) GTEST_SKIP() << "this state store keeps no queue index (ABI 1.0 or UNIMPLEMENTED)";
    const std::string queue = NewName("q");
    const std::string deleted = NewName("deleted"), expiring = NewName("expiring"), kept = NewName("kept");
    JOBBER_ASSERT_OK(
        Cas(deleted, kClaimMask, std::nullopt, JobWriteSpec{JOBBER_JOB_PENDING, "t", "{}", kLongTtlMs, queue}));
    JOBBER_ASSERT_OK(Cas(expiring, kClaimMask, std::nullopt,
                         JobWriteSpec{JOBBER_JOB_PENDING, "t", "{}", ShortTtl().count(), queue}));
    JOBBER_ASSERT_OK(
        Cas(kept, kClaimMask, std::nullopt, JobWriteSpec{JOBBER_JOB_PENDING, "t", "{}", kLongTtlMs, queue}));
    EXPECT_EQ(ListedIds(queue), (std::vector<std::string>{deleted, expiring, kept}));

    JOBBER_ASSERT_OK(Delete(deleted));
    std::this_thread::sleep_for(ShortTtl() + Slack());
    EXPECT_EQ(ListedIds(queue), (std::vector<std::string>{kept}));
    // The limit counts live jobs, not forgotten listings.
    EXPECT_EQ(ListedIds(queue, 1), (std::vector<std::string>{kept}));

    // The ID can be claimed again into another queue; it is listed there only.
    const std::string other = NewName("other");
    JOBBER_ASSERT_OK(
        Cas(expiring, kClaimMask, std::nullopt, JobWriteSpec{JOBBER_JOB_PENDING, "t2", "{}", kLongTtlMs, other}));
    EXPECT_EQ(ListedIds(queue), (std::vector<std::string>{kept}));
    EXPECT_EQ(ListedIds(other), (std::vector<std::string>{expiring}));
    JOBBER_EXPECT_OK(Delete(kept));
    JOBBER_EXPECT_OK(Delete(expiring));
}

}  // namespace jobber::testing
