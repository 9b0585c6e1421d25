#include "jobber/sdk/error.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace jobber::sdk {
namespace {

// Counts release calls on a jobber_error while still freeing its message with the SDK's release.
int g_error_releases = 0;
void CountingErrorRelease(jobber_error* error) {
    ++g_error_releases;
    detail::ReleaseErrorMessage(error);
}

class GuardTest : public ::testing::Test {
protected:
    void TearDown() override {
        if (error_.release != nullptr) error_.release(&error_);
    }
    std::string message() const { return error_.message != nullptr ? error_.message : "<null>"; }

    jobber_error error_{};
};

TEST_F(GuardTest, ReturnsOkAndLeavesTheErrorUntouchedWhenNothingThrows) {
    bool ran = false;
    EXPECT_EQ(Guard(&error_, [&] { ran = true; }), JOBBER_OK);
    EXPECT_TRUE(ran);
    EXPECT_EQ(error_.message, nullptr);
    EXPECT_EQ(error_.release, nullptr);
    EXPECT_EQ(error_.vendor_code, 0);
    EXPECT_STREQ(error_.sqlstate, "");
}

TEST_F(GuardTest, ErrorKeepsItsCodeMessageVendorCodeAndSqlstate) {
    const jobber_code code =
        Guard(&error_, [] { throw Error(JOBBER_NOT_FOUND, "table 'jobs' does not exist", 1146, "42S02"); });
    EXPECT_EQ(code, JOBBER_NOT_FOUND);
    EXPECT_EQ(message(), "table 'jobs' does not exist");
    EXPECT_EQ(error_.vendor_code, 1146);
    EXPECT_STREQ(error_.sqlstate, "42S02");
    EXPECT_NE(error_.release, nullptr);
}

TEST_F(GuardTest, EveryErrorCodePassesThrough) {
    for (jobber_code code : {JOBBER_CANCELLED, JOBBER_UNKNOWN, JOBBER_INVALID_ARGUMENT, JOBBER_DEADLINE_EXCEEDED,
                             JOBBER_NOT_FOUND, JOBBER_ALREADY_EXISTS, JOBBER_FAILED_PRECONDITION, JOBBER_UNIMPLEMENTED,
                             JOBBER_INTERNAL, JOBBER_UNAVAILABLE}) {
        EXPECT_EQ(Guard(&error_, [&] { throw Error(code, std::string("code ") + CodeName(code)); }), code);
        EXPECT_EQ(message(), std::string("code ") + CodeName(code));
    }
}

TEST_F(GuardTest, BadAllocBecomesInternalOutOfMemory) {
    EXPECT_EQ(Guard(&error_, [] { throw std::bad_alloc(); }), JOBBER_INTERNAL);
    EXPECT_EQ(message(), "out of memory");
}

TEST_F(GuardTest, ArrayNewLengthIsAlsoOutOfMemory) {
    EXPECT_EQ(Guard(&error_, [] { throw std::bad_array_new_length(); }), JOBBER_INTERNAL);
    EXPECT_EQ(message(), "out of memory");
}

TEST_F(GuardTest, StdExceptionsBecomeInternalWithTheirText) {
    EXPECT_EQ(Guard(&error_, [] { throw std::runtime_error("disk on fire"); }), JOBBER_INTERNAL);
    EXPECT_EQ(message(), "disk on fire");
    EXPECT_EQ(Guard(&error_, [] { throw std::out_of_range("index 7 of 3"); }), JOBBER_INTERNAL);
    EXPECT_EQ(message(), "index 7 of 3");
}

TEST_F(GuardTest, NonStandardExceptionsBecomeInternal) {
    EXPECT_EQ(Guard(&error_, [] { throw 42; }), JOBBER_INTERNAL);
    EXPECT_EQ(message(), "plugin threw a non-standard exception");
    struct NotAnException {};
    EXPECT_EQ(Guard(&error_, [] { throw NotAnException{}; }), JOBBER_INTERNAL);
    EXPECT_EQ(message(), "plugin threw a non-standard exception");
    EXPECT_EQ(Guard(&error_, [] { throw "a C string"; }), JOBBER_INTERNAL);
}

// An Error that claims OK still means the body did not finish (outputs are unset); reporting OK
// would make the host use them.
TEST_F(GuardTest, AnErrorThrownWithCodeOkIsNotReportedAsSuccess) {
    const jobber_code code = Guard(&error_, [] { throw Error(JOBBER_OK, "confused plugin"); });
    EXPECT_EQ(code, JOBBER_INTERNAL);
    EXPECT_EQ(message(), "confused plugin");
}

TEST_F(GuardTest, ToleratesANullErrorPointer) {
    EXPECT_EQ(Guard(nullptr, [] { throw Error(JOBBER_UNAVAILABLE, "down"); }), JOBBER_UNAVAILABLE);
    EXPECT_EQ(Guard(nullptr, [] { throw 1; }), JOBBER_INTERNAL);
}

TEST_F(GuardTest, IsNoexcept) {
    auto body = [] {};
    static_assert(noexcept(Guard(nullptr, body)));
}

TEST(SetErrorTest, ReleasesTheFirstMessageBeforeWritingTheSecond) {
    g_error_releases = 0;
    jobber_error error{};
    SetError(&error, "first", 1, "11111");
    ASSERT_NE(error.release, nullptr);
    error.release = &CountingErrorRelease;

    SetError(&error, "second", 2, "22222");
    EXPECT_EQ(g_error_releases, 1) << "the first message must be released, not leaked";
    EXPECT_STREQ(error.message, "second");
    EXPECT_EQ(error.vendor_code, 2);
    EXPECT_STREQ(error.sqlstate, "22222");
    ASSERT_NE(error.release, nullptr);
    error.release(&error);
    EXPECT_EQ(error.message, nullptr);
    EXPECT_EQ(error.release, nullptr);
}

TEST(SetErrorTest, CopiesTheMessageAndBoundsTheSqlstate) {
    jobber_error error{};
    std::string text = "temporary text";
    SetError(&error, text.c_str(), 0, "TOOLONGSTATE");
    text.assign(text.size(), 'x');
    EXPECT_STREQ(error.message, "temporary text");
    EXPECT_STREQ(error.sqlstate, "TOOLO");  // five characters and the NUL
    error.release(&error);

    SetError(&error, "no state", 0, nullptr);
    EXPECT_STREQ(error.sqlstate, "");
    error.release(&error);
}

TEST(SetErrorTest, NullErrorPointerIsIgnored) {
    SetError(nullptr, "nobody listens");
}

TEST(ErrorSlotTest, ReleasesOnDestructionAndReportsTheDetails) {
    static_assert(!std::is_copy_constructible_v<ErrorSlot>);
    g_error_releases = 0;
    {
        ErrorSlot slot;
        EXPECT_EQ(slot.message(), "no details given");
        EXPECT_EQ(slot.message("fallback"), "fallback");
        SetError(slot.get(), "boom", 99, "HY000");
        slot.get()->release = &CountingErrorRelease;
        EXPECT_EQ(slot.message(), "boom");
        EXPECT_EQ(slot.vendor_code(), 99);
        EXPECT_EQ(slot.sqlstate(), "HY000");
    }
    EXPECT_EQ(g_error_releases, 1);
}

TEST(ErrorSlotTest, AnUntouchedSlotReleasesNothing) {
    ErrorSlot slot;
    EXPECT_EQ(slot.get()->release, nullptr);
    EXPECT_EQ(slot.vendor_code(), 0);
    EXPECT_EQ(slot.sqlstate(), "");
}

TEST(ErrorTest, CarriesCodeVendorCodeAndSqlstate) {
    const Error e(JOBBER_ALREADY_EXISTS, "exists", 23505, "23505");
    EXPECT_EQ(e.code(), JOBBER_ALREADY_EXISTS);
    EXPECT_STREQ(e.what(), "exists");
    EXPECT_EQ(e.vendor_code(), 23505);
    EXPECT_EQ(e.sqlstate(), "23505");
    const std::runtime_error& base = e;  // catchable as a standard exception
    EXPECT_STREQ(base.what(), "exists");
}

TEST(CodeNameTest, NamesEveryCode) {
    EXPECT_STREQ(CodeName(JOBBER_OK), "OK");
    EXPECT_STREQ(CodeName(JOBBER_CANCELLED), "CANCELLED");
    EXPECT_STREQ(CodeName(JOBBER_UNKNOWN), "UNKNOWN");
    EXPECT_STREQ(CodeName(JOBBER_INVALID_ARGUMENT), "INVALID_ARGUMENT");
    EXPECT_STREQ(CodeName(JOBBER_DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
    EXPECT_STREQ(CodeName(JOBBER_NOT_FOUND), "NOT_FOUND");
    EXPECT_STREQ(CodeName(JOBBER_ALREADY_EXISTS), "ALREADY_EXISTS");
    EXPECT_STREQ(CodeName(JOBBER_FAILED_PRECONDITION), "FAILED_PRECONDITION");
    EXPECT_STREQ(CodeName(JOBBER_UNIMPLEMENTED), "UNIMPLEMENTED");
    EXPECT_STREQ(CodeName(JOBBER_INTERNAL), "INTERNAL");
    EXPECT_STREQ(CodeName(JOBBER_UNAVAILABLE), "UNAVAILABLE");
    EXPECT_STREQ(CodeName(7), "UNKNOWN");
    EXPECT_STREQ(CodeName(-1), "UNKNOWN");
}

}  // namespace
}  // namespace jobber::sdk
