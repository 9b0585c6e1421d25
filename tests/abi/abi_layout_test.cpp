// Pins plugin ABI 1.2 (1.0 plus appended fields): struct layouts (compile time and run time, C and C++ compilers), the
// constants, the exported symbol names and the function-pointer signatures. A failure here means
// an ABI change: read the rules at the top of jobber/abi/common.h before touching the numbers.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "abi_c_layout.h"
#include "abi_layout_table.h"
#include "jobber/abi/arrow_c_abi.h"
#include "jobber/abi/broker.h"
#include "jobber/abi/common.h"
#include "jobber/abi/results.h"
#include "jobber/abi/source.h"
#include "jobber/abi/state.h"

#if !defined(__x86_64__) || !defined(__LP64__)
#error "the literal layout table is for x86_64 / LP64; add a table for this platform"
#endif

namespace {

#define JOBBER_FIELD_SIZE(T, f) sizeof(static_cast<T*>(nullptr)->f)

// ---- compile time ----

#define JOBBER_STATIC_FIELD(T, f, off, size)                                  \
    static_assert(offsetof(T, f) == (off), "offsetof(" #T ", " #f ") moved"); \
    static_assert(JOBBER_FIELD_SIZE(T, f) == (size), "sizeof(" #T "::" #f ") changed");
#define JOBBER_STATIC_STRUCT(T, size, align)                         \
    static_assert(sizeof(T) == (size), "sizeof(" #T ") changed");    \
    static_assert(alignof(T) == (align), "alignof(" #T ") changed"); \
    static_assert(std::is_standard_layout_v<T> && std::is_trivially_copyable_v<T>, #T " is not a C struct");
JOBBER_ABI_LAYOUT(JOBBER_STATIC_FIELD, JOBBER_STATIC_STRUCT)

// ---- run time ----

struct Row {
    std::string type;
    std::string field;  // empty for the struct row
    size_t expected_offset;
    size_t expected_size;
    size_t actual_offset;
    size_t actual_size;
};

std::vector<Row> Table() {
#define JOBBER_RUNTIME_FIELD(T, f, off, size) Row{#T, #f, off, size, offsetof(T, f), JOBBER_FIELD_SIZE(T, f)},
#define JOBBER_RUNTIME_STRUCT(T, size, align) Row{#T, "", size, align, sizeof(T), alignof(T)},
    return {JOBBER_ABI_LAYOUT(JOBBER_RUNTIME_FIELD, JOBBER_RUNTIME_STRUCT)};
#undef JOBBER_RUNTIME_FIELD
#undef JOBBER_RUNTIME_STRUCT
}

TEST(AbiLayoutTest, EveryFieldOffsetAndSizeMatchesTheFrozenTable) {
    for (const Row& row : Table()) {
        if (row.field.empty()) continue;
        EXPECT_EQ(row.actual_offset, row.expected_offset) << "offsetof(" << row.type << ", " << row.field << ")";
        EXPECT_EQ(row.actual_size, row.expected_size) << "sizeof(" << row.type << "::" << row.field << ")";
    }
}

TEST(AbiLayoutTest, EveryStructSizeAndAlignmentMatchesTheFrozenTable) {
    for (const Row& row : Table()) {
        if (!row.field.empty()) continue;
        EXPECT_EQ(row.actual_offset, row.expected_offset) << "sizeof(" << row.type << ")";
        EXPECT_EQ(row.actual_size, row.expected_size) << "alignof(" << row.type << ")";
    }
}

// The table itself: 25 structs, 155 fields, and each struct's rows tile it with nothing but
// alignment padding in between, so a row cannot silently go missing.
TEST(AbiLayoutTest, TheTableCoversEveryFieldOfEveryStruct) {
    const std::vector<Row> table = Table();
    size_t fields = 0;
    size_t structs = 0;
    size_t end = 0;  // end of the previous field of the current struct
    for (const Row& row : table) {
        if (row.field.empty()) {
            ++structs;
            EXPECT_LE(end, row.expected_offset) << row.type;
            EXPECT_LT(row.expected_offset - end, row.expected_size) << row.type << " has a gap at its end";
            end = 0;
            continue;
        }
        ++fields;
        EXPECT_GE(row.expected_offset, end) << row.type << "::" << row.field << " overlaps the previous field";
        EXPECT_LT(row.expected_offset - end, 8u) << row.type << "::" << row.field << " follows a gap";
        end = row.expected_offset + row.expected_size;
    }
    EXPECT_EQ(fields, size_t{JOBBER_ABI_FIELD_COUNT});
    EXPECT_EQ(structs, size_t{JOBBER_ABI_STRUCT_COUNT});
}

TEST(AbiLayoutTest, TheCCompilerAgreesRowByRow) {
    const std::vector<Row> table = Table();
    ASSERT_EQ(jobber_c_layout_row_count, table.size());
    for (size_t i = 0; i < table.size(); ++i) {
        const jobber_c_layout_row& c = jobber_c_layout_rows[i];
        const Row& row = table[i];
        const std::string what = row.type + (row.field.empty() ? "" : "::" + row.field);
        EXPECT_EQ(std::string(c.type), row.type) << i;
        EXPECT_EQ(std::string(c.field != nullptr ? c.field : ""), row.field) << i;
        EXPECT_EQ(c.offset, row.expected_offset) << "C compiler, " << what;
        EXPECT_EQ(c.size, row.expected_size) << "C compiler, " << what;
    }
    EXPECT_EQ(jobber_c_abi_entry_points_typecheck(), 1);
}

// ---- fixed-width scalar types that appear in the structs ----

static_assert(std::is_same_v<jobber_code, int32_t>);
static_assert(sizeof(size_t) == 8);
static_assert(sizeof(void*) == 8);
static_assert(sizeof(double) == 8);

// ---- constants ----

TEST(AbiConstantsTest, VersionIs1Point2) {
    EXPECT_EQ(JOBBER_ABI_MAJOR, 1);
    EXPECT_EQ(JOBBER_ABI_MINOR, 2);
}

TEST(AbiConstantsTest, StatusCodesAreTheCanonicalNumbers) {
    const std::map<std::string, int> expected = {
        {"OK", 0},
        {"CANCELLED", 1},
        {"UNKNOWN", 2},
        {"INVALID_ARGUMENT", 3},
        {"DEADLINE_EXCEEDED", 4},
        {"NOT_FOUND", 5},
        {"ALREADY_EXISTS", 6},
        {"FAILED_PRECONDITION", 9},
        {"UNIMPLEMENTED", 12},
        {"INTERNAL", 13},
        {"UNAVAILABLE", 14},
    };
    const std::map<std::string, int> actual = {
        {"OK", JOBBER_OK},
        {"CANCELLED", JOBBER_CANCELLED},
        {"UNKNOWN", JOBBER_UNKNOWN},
        {"INVALID_ARGUMENT", JOBBER_INVALID_ARGUMENT},
        {"DEADLINE_EXCEEDED", JOBBER_DEADLINE_EXCEEDED},
        {"NOT_FOUND", JOBBER_NOT_FOUND},
        {"ALREADY_EXISTS", JOBBER_ALREADY_EXISTS},
        {"FAILED_PRECONDITION", JOBBER_FAILED_PRECONDITION},
        {"UNIMPLEMENTED", JOBBER_UNIMPLEMENTED},
        {"INTERNAL", JOBBER_INTERNAL},
        {"UNAVAILABLE", JOBBER_UNAVAILABLE},
    };
    EXPECT_EQ(actual, expected);
}

TEST(AbiConstantsTest, RolesAreDistinctBits) {
    EXPECT_EQ(JOBBER_ROLE_BROKER, 1u);
    EXPECT_EQ(JOBBER_ROLE_STATE, 2u);
    EXPECT_EQ(JOBBER_ROLE_SOURCE, 4u);
    EXPECT_EQ(JOBBER_ROLE_RESULTS, 8u);
    static_assert(std::is_unsigned_v<decltype(JOBBER_ROLE_BROKER)>);
}

TEST(AbiConstantsTest, ConfigFieldTypes) {
    EXPECT_EQ(JOBBER_FIELD_STRING, 1);
    EXPECT_EQ(JOBBER_FIELD_INT, 2);
    EXPECT_EQ(JOBBER_FIELD_BOOL, 3);
    EXPECT_EQ(JOBBER_FIELD_DURATION, 4);
    EXPECT_EQ(JOBBER_FIELD_SECRET, 5);
}

TEST(AbiConstantsTest, LogLevelsUseSyslogNumbers) {
    EXPECT_EQ(JOBBER_LOG_ERROR, 3);
    EXPECT_EQ(JOBBER_LOG_WARNING, 4);
    EXPECT_EQ(JOBBER_LOG_INFO, 6);
    EXPECT_EQ(JOBBER_LOG_DEBUG, 7);
}

TEST(AbiConstantsTest, ValueTypes) {
    EXPECT_EQ(JOBBER_VALUE_NULL, 0);
    EXPECT_EQ(JOBBER_VALUE_BOOL, 1);
    EXPECT_EQ(JOBBER_VALUE_INT64, 2);
    EXPECT_EQ(JOBBER_VALUE_DOUBLE, 3);
    EXPECT_EQ(JOBBER_VALUE_TEXT, 4);
}

TEST(AbiConstantsTest, JobStatesAndExpectMasks) {
    EXPECT_EQ(JOBBER_JOB_PENDING, 1);
    EXPECT_EQ(JOBBER_JOB_STARTED, 2);
    EXPECT_EQ(JOBBER_JOB_RETRY, 3);
    EXPECT_EQ(JOBBER_JOB_SUCCESS, 4);
    EXPECT_EQ(JOBBER_JOB_FAILURE, 5);
    EXPECT_EQ(JOBBER_EXPECT_ABSENT, 1u);
    EXPECT_EQ(JOBBER_EXPECT_STATE(JOBBER_JOB_PENDING), 2u);
    EXPECT_EQ(JOBBER_EXPECT_STATE(JOBBER_JOB_STARTED), 4u);
    EXPECT_EQ(JOBBER_EXPECT_STATE(JOBBER_JOB_RETRY), 8u);
    EXPECT_EQ(JOBBER_EXPECT_STATE(JOBBER_JOB_SUCCESS), 16u);
    EXPECT_EQ(JOBBER_EXPECT_STATE(JOBBER_JOB_FAILURE), 32u);
}

TEST(AbiConstantsTest, ArrowFlagsFollowTheArrowSpec) {
    EXPECT_EQ(ARROW_FLAG_DICTIONARY_ORDERED, 1);
    EXPECT_EQ(ARROW_FLAG_NULLABLE, 2);
    EXPECT_EQ(ARROW_FLAG_MAP_KEYS_SORTED, 4);
}

TEST(AbiConstantsTest, ExportedSymbolNames) {
    EXPECT_STREQ(JOBBER_PLUGIN_MANIFEST_SYMBOL, "jobber_plugin_manifest");
    EXPECT_STREQ(JOBBER_PLUGIN_INIT_SYMBOL, "jobber_plugin_init");
    EXPECT_STREQ(JOBBER_PLUGIN_SHUTDOWN_SYMBOL, "jobber_plugin_shutdown");
}

// ---- function-pointer signatures: argument types are ABI too ----

template <class Member, class Expected>
constexpr bool kSame = std::is_same_v<Member, Expected>;

static_assert(kSame<jobber_plugin_manifest_fn, const jobber_manifest* (*)()>);
static_assert(kSame<jobber_plugin_init_fn,
                    jobber_code (*)(const jobber_host_api*, uint32_t, jobber_plugin_vtables*, jobber_error*)>);
static_assert(kSame<jobber_plugin_shutdown_fn, void (*)()>);
static_assert(kSame<decltype(jobber_host_api::log), void (*)(void*, int32_t, const char*, const char*)>);
static_assert(kSame<decltype(jobber_error::release), void (*)(jobber_error*)>);
static_assert(kSame<decltype(jobber_buffer::release), void (*)(jobber_buffer*)>);
static_assert(kSame<decltype(jobber_delivery::release), void (*)(jobber_delivery*)>);
static_assert(kSame<decltype(jobber_job_record::release), void (*)(jobber_job_record*)>);
static_assert(kSame<jobber_pending_visitor, int32_t (*)(void*, const jobber_pending_message*)>);

static_assert(kSame<decltype(jobber_broker_vtable::open),
                    jobber_code (*)(const jobber_open_args*, jobber_broker**, jobber_error*)>);
static_assert(kSame<decltype(jobber_broker_vtable::close), void (*)(jobber_broker*)>);
static_assert(kSame<decltype(jobber_broker_vtable::push),
                    jobber_code (*)(jobber_broker*, const char*, const char*, size_t, int64_t, jobber_error*)>);
static_assert(
    kSame<decltype(jobber_broker_vtable::pop),
          jobber_code (*)(
              jobber_broker*, const char* const*, uint32_t, int64_t, int64_t, jobber_delivery*, jobber_error*)>);
static_assert(kSame<decltype(jobber_broker_vtable::ack), jobber_code (*)(jobber_broker*, const char*, jobber_error*)>);
static_assert(kSame<decltype(jobber_broker_vtable::requeue),
                    jobber_code (*)(jobber_broker*, const char*, int64_t, jobber_error*)>);
static_assert(kSame<decltype(jobber_broker_vtable::extend),
                    jobber_code (*)(jobber_broker*, const char*, int64_t, jobber_error*)>);
static_assert(kSame<decltype(jobber_broker_vtable::list_pending),
                    jobber_code (*)(jobber_broker*, const char*, jobber_pending_visitor, void*, jobber_error*)>);
static_assert(kSame<decltype(jobber_broker_vtable::ping), jobber_code (*)(jobber_broker*, jobber_error*)>);
static_assert(kSame<decltype(jobber_broker_vtable::redelivers_only_after_lease), uint32_t>);

static_assert(kSame<decltype(jobber_state_vtable::open),
                    jobber_code (*)(const jobber_open_args*, jobber_state**, jobber_error*)>);
static_assert(kSame<decltype(jobber_state_vtable::close), void (*)(jobber_state*)>);
static_assert(kSame<decltype(jobber_state_vtable::cas_job),
                    jobber_code (*)(jobber_state*,
                                    const char*,
                                    uint32_t,
                                    const char*,
                                    const jobber_job_write*,
                                    jobber_job_record*,
                                    jobber_error*)>);
static_assert(kSame<decltype(jobber_state_vtable::get_job),
                    jobber_code (*)(jobber_state*, const char*, jobber_job_record*, jobber_error*)>);
static_assert(
    kSame<decltype(jobber_state_vtable::delete_job), jobber_code (*)(jobber_state*, const char*, jobber_error*)>);
static_assert(kSame<decltype(jobber_state_vtable::put_group),
                    jobber_code (*)(jobber_state*, const char*, const char*, size_t, int64_t, jobber_error*)>);
static_assert(kSame<decltype(jobber_state_vtable::get_group),
                    jobber_code (*)(jobber_state*, const char*, jobber_buffer*, jobber_error*)>);
static_assert(
    kSame<decltype(jobber_state_vtable::delete_group), jobber_code (*)(jobber_state*, const char*, jobber_error*)>);
static_assert(
    kSame<decltype(jobber_state_vtable::acquire_slot),
          jobber_code (*)(jobber_state*, const char*, uint32_t, const char*, int64_t, int32_t*, jobber_error*)>);
static_assert(kSame<decltype(jobber_state_vtable::release_slot),
                    jobber_code (*)(jobber_state*, const char*, const char*, jobber_error*)>);
static_assert(kSame<decltype(jobber_state_vtable::ping), jobber_code (*)(jobber_state*, jobber_error*)>);

static_assert(kSame<decltype(jobber_source_vtable::open),
                    jobber_code (*)(const jobber_open_args*, jobber_source**, jobber_error*)>);
static_assert(kSame<decltype(jobber_source_vtable::close), void (*)(jobber_source*)>);
static_assert(
    kSame<decltype(jobber_source_vtable::prepare),
          jobber_code (*)(jobber_source*, const char*, const char*, int32_t, jobber_statement_info*, jobber_error*)>);
static_assert(kSame<decltype(jobber_source_vtable::execute),
                    jobber_code (*)(jobber_source*, const jobber_query*, ArrowArrayStream*, jobber_error*)>);
static_assert(kSame<decltype(jobber_source_vtable::cancel), jobber_code (*)(jobber_source*, uint64_t, jobber_error*)>);
static_assert(kSame<decltype(jobber_source_vtable::ping), jobber_code (*)(jobber_source*, jobber_error*)>);

static_assert(kSame<decltype(jobber_results_vtable::open),
                    jobber_code (*)(const jobber_open_args*, jobber_results**, jobber_error*)>);
static_assert(kSame<decltype(jobber_results_vtable::close), void (*)(jobber_results*)>);
static_assert(kSame<decltype(jobber_results_vtable::max_identifier_length), uint32_t (*)(jobber_results*)>);
static_assert(
    kSame<decltype(jobber_results_vtable::begin),
          jobber_code (*)(
              jobber_results*, const jobber_results_target*, const ArrowSchema*, jobber_results_txn**, jobber_error*)>);
static_assert(
    kSame<decltype(jobber_results_vtable::write), jobber_code (*)(jobber_results_txn*, ArrowArray*, jobber_error*)>);
static_assert(kSame<decltype(jobber_results_vtable::commit), jobber_code (*)(jobber_results_txn*, jobber_error*)>);
static_assert(kSame<decltype(jobber_results_vtable::release), void (*)(jobber_results_txn*)>);
static_assert(
    kSame<decltype(jobber_results_vtable::drop), jobber_code (*)(jobber_results*, const char*, jobber_error*)>);
static_assert(
    kSame<decltype(jobber_results_vtable::sweep), jobber_code (*)(jobber_results*, int64_t, uint64_t*, jobber_error*)>);
static_assert(kSame<decltype(jobber_results_vtable::ping), jobber_code (*)(jobber_results*, jobber_error*)>);

static_assert(kSame<decltype(ArrowSchema::release), void (*)(ArrowSchema*)>);
static_assert(kSame<decltype(ArrowArray::release), void (*)(ArrowArray*)>);
static_assert(kSame<decltype(ArrowArrayStream::get_schema), int (*)(ArrowArrayStream*, ArrowSchema*)>);
static_assert(kSame<decltype(ArrowArrayStream::get_next), int (*)(ArrowArrayStream*, ArrowArray*)>);
static_assert(kSame<decltype(ArrowArrayStream::get_last_error), const char* (*)(ArrowArrayStream*)>);
static_assert(kSame<decltype(ArrowArrayStream::release), void (*)(ArrowArrayStream*)>);

// The sqlstate field is five characters plus the NUL.
static_assert(std::extent_v<decltype(jobber_error::sqlstate)> == 6);

}  // namespace
