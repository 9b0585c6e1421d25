// Behaviour of MemoryState beyond the state contract: argument checks, and that expired records,
// groups and slot holders are purged rather than kept.
#include "memory_state.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "jobber/sdk/error.hpp"

namespace jobber::memory {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<MemoryState> MakeState() {
    return std::make_unique<MemoryState>(sdk::OpenArgs{"test", {}});
}

sdk::JobWrite Write(int32_t state, std::string_view token, int64_t ttl_ms = 0) {
    return sdk::JobWrite{state, token, "{}", ttl_ms};
}

jobber_code CodeOf(const std::function<void()>& call) {
    try {
        call();
    } catch (const sdk::Error& e) {
        return e.code();
    }
    return JOBBER_OK;
}

TEST(MemoryState, DeclaresNoConfigFields) {
    EXPECT_TRUE(MemoryState::ConfigFields().empty());
}

TEST(MemoryState, PurgesExpiredJobsGroupsAndSlotHolders) {
    // Long enough that none expires while the rest are still being written, even under ASan on a loaded machine.
    constexpr int64_t kTtlMs = 3000;
    auto state = MakeState();
    for (int i = 0; i < 1000; ++i) {
        const std::string id = std::to_string(i);
        ASSERT_TRUE(state->CasJob("job" + id, JOBBER_EXPECT_ABSENT, std::nullopt,
                                  Write(JOBBER_JOB_PENDING, "t", kTtlMs), nullptr));
        state->PutGroup("group" + id, "body", kTtlMs);
    }
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(state->AcquireSlot("key" + std::to_string(i), 2, "a", kTtlMs));
        ASSERT_TRUE(state->AcquireSlot("key" + std::to_string(i), 2, "b", kTtlMs));
    }
    ASSERT_TRUE(state->CasJob("kept", JOBBER_EXPECT_ABSENT, std::nullopt, Write(JOBBER_JOB_SUCCESS, "t"), nullptr));
    MemoryState::Footprint before = state->Measure();
    EXPECT_EQ(before.jobs, 1001u);
    EXPECT_EQ(before.groups, 1000u);
    EXPECT_EQ(before.slot_keys, 100u);
    EXPECT_EQ(before.slot_holders, 200u);
    EXPECT_EQ(before.expiring, 2200u);

    std::this_thread::sleep_for(milliseconds(kTtlMs + 50));
    // Any call purges what is due; a read is enough.
    EXPECT_FALSE(state->GetJob("job0"));
    MemoryState::Footprint after = state->Measure();
    EXPECT_EQ(after.jobs, 1u) << "only the record without a TTL is left";
    EXPECT_EQ(after.groups, 0u);
    EXPECT_EQ(after.slot_keys, 0u);
    EXPECT_EQ(after.slot_holders, 0u);
    EXPECT_EQ(after.expiring, 0u);
    EXPECT_TRUE(state->GetJob("kept"));
}

TEST(MemoryState, RewritingARecordKeepsOneExpiryEntry) {
    auto state = MakeState();
    ASSERT_TRUE(state->CasJob("j", JOBBER_EXPECT_ABSENT, std::nullopt, Write(JOBBER_JOB_PENDING, "t", 60000), nullptr));
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(state->CasJob("j", JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), "t",
                                  Write(JOBBER_JOB_PENDING, "t", 60000), nullptr));
        state->PutGroup("g", "body", 60000);
        ASSERT_TRUE(state->AcquireSlot("k", 1, "h", 60000));
    }
    EXPECT_EQ(state->Measure().expiring, 3u);
    ASSERT_TRUE(
        state->CasJob("j", JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), "t", Write(JOBBER_JOB_SUCCESS, "t", 0), nullptr));
    state->DeleteGroup("g");
    state->ReleaseSlot("k", "h");
    const MemoryState::Footprint footprint = state->Measure();
    EXPECT_EQ(footprint.expiring, 0u);
    EXPECT_EQ(footprint.groups, 0u);
    EXPECT_EQ(footprint.slot_keys, 0u);
}

TEST(MemoryState, AbsentRecordMatchesAbsentMaskWhateverTheToken) {
    auto state = MakeState();
    EXPECT_TRUE(
        state->CasJob("j", JOBBER_EXPECT_ABSENT, std::string_view("any"), Write(JOBBER_JOB_PENDING, "t"), nullptr));
}

TEST(MemoryState, RejectsInvalidArguments) {
    auto state = MakeState();
    EXPECT_EQ(CodeOf([&] { state->CasJob("j", JOBBER_EXPECT_ABSENT, std::nullopt, Write(0, "t"), nullptr); }),
              JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { state->CasJob("j", JOBBER_EXPECT_ABSENT, std::nullopt, Write(32, "t"), nullptr); }),
              JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] {
                  state->CasJob("j", JOBBER_EXPECT_ABSENT, std::nullopt, Write(JOBBER_JOB_PENDING, "t", -1), nullptr);
              }),
              JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { state->PutGroup("g", "", -1); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(CodeOf([&] { state->AcquireSlot("k", 1, "h", 0); }), JOBBER_INVALID_ARGUMENT);
    EXPECT_EQ(state->Measure().jobs, 0u) << "a rejected write must not store anything";
}

TEST(MemoryState, ZeroLimitNeverGrantsAndLeavesNothingBehind) {
    auto state = MakeState();
    EXPECT_FALSE(state->AcquireSlot("k", 0, "h", 1000));
    EXPECT_EQ(state->Measure().slot_keys, 0u);
    EXPECT_EQ(state->Measure().slot_holders, 0u);
}

TEST(MemoryState, SlotKeyAndHolderDoNotRunTogether) {
    auto state = MakeState();
    EXPECT_TRUE(state->AcquireSlot("ab", 1, "c", 60000));
    EXPECT_TRUE(state->AcquireSlot("a", 1, "bc", 60000)) << "'ab'+'c' and 'a'+'bc' are different slots";
    EXPECT_FALSE(state->AcquireSlot("a", 1, "b", 60000));
}

}  // namespace
}  // namespace jobber::memory
