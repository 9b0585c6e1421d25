// Every role of libjobber_throwing.so throws from every method (and, when asked, from its
// constructor). Each host client call must turn that into a jobber::sdk::Error with the code the
// SDK trampolines map it to and the plugin's text, release whatever it was handed, and leave the
// process running.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "jobber/plugin/broker_client.hpp"
#include "jobber/plugin/plugin_library.hpp"
#include "jobber/plugin/results_client.hpp"
#include "jobber/plugin/source_client.hpp"
#include "jobber/plugin/state_client.hpp"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"
#include "loading_test_support.hpp"

namespace jobber::plugin {
namespace {

using namespace std::chrono_literals;
using testing::ExpectPluginError;
using testing::FixturePath;
using testing::ThrowingFixtureLiveObjects;

// One way for the plugin to fail, and what the host must make of it.
struct ThrowKind {
    std::string name;
    std::string config;       // the fixture's `throw` option
    jobber_code code;         // what a failed role call reports
    std::string text;         // the message text; "{where}" stands for e.g. "broker.Push"
    bool is_error;            // a jobber::sdk::Error: its vendor code and SQLSTATE cross too
    jobber_code stream_code;  // what a failed stream call reports (via the errno mapping)
};

void PrintTo(const ThrowKind& kind, std::ostream* out) {
    *out << kind.name << " (throw=" << kind.config << ")";
}

const ThrowKind kKinds[] = {
    {"RuntimeError", "runtime_error", JOBBER_INTERNAL, "throwing fixture: {where} threw runtime_error", false,
     JOBBER_UNKNOWN},
    {"NonStdException", "int", JOBBER_INTERNAL, "plugin threw a non-standard exception", false, JOBBER_UNKNOWN},
    {"BadAlloc", "bad_alloc", JOBBER_INTERNAL, "out of memory", false, JOBBER_UNKNOWN},
    {"ErrorUnavailable", "error:14", JOBBER_UNAVAILABLE, "throwing fixture: {where} threw error:14", true,
     JOBBER_UNAVAILABLE},
    {"ErrorInvalidArgument", "error:3", JOBBER_INVALID_ARGUMENT, "throwing fixture: {where} threw error:3", true,
     JOBBER_INVALID_ARGUMENT},
    {"ErrorAlreadyExists", "error:6", JOBBER_ALREADY_EXISTS, "throwing fixture: {where} threw error:6", true,
     JOBBER_UNKNOWN},
    {"ErrorCancelled", "error:1", JOBBER_CANCELLED, "throwing fixture: {where} threw error:1", true, JOBBER_CANCELLED},
    {"ErrorInternal", "error:13", JOBBER_INTERNAL, "throwing fixture: {where} threw error:13", true, JOBBER_UNKNOWN},
    // An Error that claims OK must still fail the call.
    {"ErrorWithCodeOk", "error:0", JOBBER_INTERNAL, "throwing fixture: {where} threw error:0", true, JOBBER_UNKNOWN},
};

std::shared_ptr<PluginLibrary> ThrowingLibrary() {
    static const std::shared_ptr<PluginLibrary> library = PluginLibrary::Load(FixturePath("throwing"));
    return library;
}

// Counts how often a batch's release callback ran (the batch is handed over to the plugin).
int g_batch_releases = 0;
void (*g_original_release)(ArrowArray*) = nullptr;
void CountingRelease(ArrowArray* array) {
    ++g_batch_releases;
    array->release = g_original_release;
    array->release(array);
}

class ThrowingPluginTest : public ::testing::TestWithParam<ThrowKind> {
protected:
    void SetUp() override {
        library_ = ThrowingLibrary();
        baseline_ = ThrowingFixtureLiveObjects();
    }

    void TearDown() override {
        EXPECT_EQ(ThrowingFixtureLiveObjects(), baseline_)
            << "plugin objects (instances, streams or writers) were not released";
    }

    OptionList Options(bool throw_in_open = false) const {
        return {{"throw", GetParam().config}, {"throw_in_open", throw_in_open ? "true" : "false"}};
    }

    std::string Text(const std::string& where) const {
        std::string text = GetParam().text;
        const auto at = text.find("{where}");
        if (at != std::string::npos) text.replace(at, 7, where);
        return text;
    }

    // `fn` must fail with the kind's code, the client's "<label>: <operation> failed: " prefix and
    // the plugin's text for `where`.
    template <class Fn>
    void ExpectFails(Fn&& fn,
                     const std::string& label,
                     const std::string& operation,
                     const std::string& where,
                     bool stream = false) {
        SCOPED_TRACE(where);
        const ThrowKind& kind = GetParam();
        const jobber::sdk::Error e = ExpectPluginError(std::forward<Fn>(fn), stream ? kind.stream_code : kind.code,
                                                       {label + ": " + operation + " failed: " + Text(where)});
        // The errno path of a stream carries only text; role calls carry the whole Error.
        if (kind.is_error && !stream) {
            EXPECT_EQ(e.vendor_code(), 4242);
            EXPECT_EQ(e.sqlstate(), "HY000");
        }
    }

    std::shared_ptr<PluginLibrary> library_;
    int64_t baseline_ = 0;
};

TEST_P(ThrowingPluginTest, EveryBrokerCallFails) {
    BrokerClient broker(library_, "b1", Options());
    const std::string label = "broker 'b1' (throwing)";
    EXPECT_EQ(broker.label(), label);
    ExpectFails([&] { broker.Push("q", "payload", 0); }, label, "push", "broker.Push");
    ExpectFails([&] { broker.Pop({"q1", "q2"}, 10ms, 1000ms); }, label, "pop", "broker.Pop");
    ExpectFails([&] { broker.Ack("r"); }, label, "ack", "broker.Ack");
    ExpectFails([&] { broker.Requeue("r", 0); }, label, "requeue", "broker.Requeue");
    ExpectFails([&] { broker.Extend("r", 1000ms); }, label, "extend", "broker.Extend");
    ExpectFails([&] { broker.ListPending("q", 10); }, label, "list pending", "broker.ListPending");
    ExpectFails([&] { broker.Ping(); }, label, "ping", "broker.Ping");
    // Still usable: the same call fails the same way again.
    ExpectFails([&] { broker.Ping(); }, label, "ping", "broker.Ping");
}

TEST_P(ThrowingPluginTest, EveryStateCallFails) {
    StateClient state(library_, "s1", Options());
    const std::string label = "state 's1' (throwing)";
    const std::string token = "tok";
    ExpectFails([&] { state.CasJob("j", JOBBER_EXPECT_ABSENT, &token, JOBBER_JOB_PENDING, "t", "{}", 0); }, label,
                "compare-and-set job", "state.CasJob");
    ExpectFails([&] { state.GetJob("j"); }, label, "get job", "state.GetJob");
    ExpectFails([&] { state.DeleteJob("j"); }, label, "delete job", "state.DeleteJob");
    ExpectFails([&] { state.PutGroup("g", "{}", 1000); }, label, "put group", "state.PutGroup");
    ExpectFails([&] { state.GetGroup("g"); }, label, "get group", "state.GetGroup");
    ExpectFails([&] { state.DeleteGroup("g"); }, label, "delete group", "state.DeleteGroup");
    ExpectFails([&] { state.AcquireSlot("k", 2, "me", 1000); }, label, "acquire slot", "state.AcquireSlot");
    ExpectFails([&] { state.ReleaseSlot("k", "me"); }, label, "release slot", "state.ReleaseSlot");
    ExpectFails([&] { state.Ping(); }, label, "ping", "state.Ping");
}

TEST_P(ThrowingPluginTest, EverySourceCallFailsThoughItsConstructorSucceeds) {
    SourceClient source(library_, "src", Options());
    const std::string label = "db 'src' (throwing)";
    EXPECT_EQ(ThrowingFixtureLiveObjects(), baseline_ + 1) << "the source instance is open";
    ExpectFails([&] { source.Prepare("task", "SELECT 1", false); }, label, "prepare", "source.Prepare");
    QueryRequest request;
    request.query_id = 1;
    request.task_name = "task";
    request.sql = "SELECT 1";
    ExpectFails([&] { source.Execute(request); }, label, "execute", "source.Execute");
    ExpectFails([&] { source.Cancel(1); }, label, "cancel", "source.Cancel");
    ExpectFails([&] { source.Ping(); }, label, "ping", "source.Ping");
}

TEST_P(ThrowingPluginTest, AStreamWhoseNextFailsReportsTheStreamError) {
    SourceClient source(library_, "src", Options());
    QueryRequest request;
    request.sql = "stream:next";
    auto reader = source.Execute(request);
    jobber::sdk::OwnedArray batch;
    ASSERT_TRUE(reader->Next(batch));
    EXPECT_EQ((*batch).length, 1);
    ExpectFails([&] { reader->Next(batch); }, "db 'src' (throwing)", "reading rows", "stream.Next", true);
    EXPECT_FALSE(batch.valid());
}

// The reader's constructor fails; the stream it was handed must still be released.
TEST_P(ThrowingPluginTest, AStreamWhoseSchemaFailsReportsTheStreamErrorAndIsReleased) {
    SourceClient source(library_, "src", Options());
    QueryRequest request;
    request.sql = "stream:schema";
    ExpectFails([&] { source.Execute(request); }, "db 'src' (throwing)", "reading the result schema", "stream.schema",
                true);
    EXPECT_EQ(ThrowingFixtureLiveObjects(), baseline_ + 1) << "only the source instance may be alive";
}

TEST_P(ThrowingPluginTest, EveryResultsCallFailsAndWrittenBatchesAreReleased) {
    ResultsClient results(library_, "r1", Options());
    const std::string label = "results 'r1' (throwing)";
    // max_identifier_length has no error path: the SDK falls back to the strictest common limit.
    EXPECT_EQ(results.MaxIdentifierLength(), 63u);

    const jobber::sdk::Schema schema{{"n", jobber::sdk::ColumnType::kBigInt}};
    jobber::sdk::OwnedSchema arrow_schema;
    jobber::sdk::ExportSchema(schema, arrow_schema.get());
    ExpectFails([&] { results.Begin("job-1", "results_1", 0, *arrow_schema); }, label, "begin", "results.Begin");
    {
        auto txn = results.Begin("job-1", "writable_1", 0, *arrow_schema);
        jobber::sdk::BatchBuilder builder(schema);
        builder.AppendInt64(0, 7);
        jobber::sdk::OwnedArray batch;
        builder.Finish(batch.get());
        g_batch_releases = 0;
        g_original_release = batch.get()->release;
        batch.get()->release = &CountingRelease;
        ExpectFails([&] { txn->Write(batch); }, label, "write", "writer.Write");
        EXPECT_EQ(g_batch_releases, 1) << "the plugin takes the batch over, also when Write fails";
        EXPECT_FALSE(batch.valid());
        ExpectFails([&] { txn->Commit(); }, label, "commit", "writer.Commit");
    }
    ExpectFails([&] { results.Drop("t"); }, label, "drop", "results.Drop");
    ExpectFails([&] { results.Sweep(1); }, label, "sweep", "results.Sweep");
    ExpectFails([&] { results.Ping(); }, label, "ping", "results.Ping");
}

TEST_P(ThrowingPluginTest, AThrowingConstructorFailsOpenForEveryRole) {
    ExpectFails([&] { BrokerClient c(library_, "b2", Options(true)); }, "broker 'b2' (throwing)", "open",
                "broker.open");
    ExpectFails([&] { StateClient c(library_, "s2", Options(true)); }, "state 's2' (throwing)", "open", "state.open");
    ExpectFails([&] { SourceClient c(library_, "src2", Options(true)); }, "db 'src2' (throwing)", "open",
                "source.open");
    ExpectFails([&] { ResultsClient c(library_, "r2", Options(true)); }, "results 'r2' (throwing)", "open",
                "results.open");
}

INSTANTIATE_TEST_SUITE_P(Kinds,
                         ThrowingPluginTest,
                         ::testing::ValuesIn(kKinds),
                         [](const ::testing::TestParamInfo<ThrowKind>& info) { return info.param.name; });

// Codes with a meaning in the ABI are answers, not failures, even when they arrive as exceptions.
TEST(ThrowingPluginCodesTest, CodesWithAMeaningAreTranslatedByTheClients) {
    const auto library = ThrowingLibrary();
    const int64_t baseline = ThrowingFixtureLiveObjects();
    {
        BrokerClient deadline(library, "b", {{"throw", "error:4"}});
        EXPECT_EQ(deadline.Pop({"q"}, 1ms, 1000ms), std::nullopt) << "DEADLINE_EXCEEDED from pop: nothing arrived";
        ExpectPluginError([&] { deadline.Push("q", "p", 0); }, JOBBER_DEADLINE_EXCEEDED, {"push failed"});

        BrokerClient not_found(library, "b", {{"throw", "error:5"}});
        EXPECT_FALSE(not_found.Ack("r")) << "NOT_FOUND from ack: the lease was lost";
        EXPECT_FALSE(not_found.Requeue("r", 0));
        EXPECT_FALSE(not_found.Extend("r", 1000ms));

        BrokerClient unimplemented(library, "b", {{"throw", "error:12"}});
        EXPECT_EQ(unimplemented.ListPending("q", 10), std::nullopt) << "UNIMPLEMENTED: cannot browse";

        StateClient state(library, "s", {{"throw", "error:5"}});
        EXPECT_EQ(state.GetJob("j"), std::nullopt);
        EXPECT_EQ(state.GetGroup("g"), std::nullopt);
        ExpectPluginError([&] { state.DeleteJob("j"); }, JOBBER_NOT_FOUND, {"delete job failed"});
    }
    EXPECT_EQ(ThrowingFixtureLiveObjects(), baseline);
}

TEST(ThrowingPluginCodesTest, AStreamTimeoutIsDeadlineExceeded) {
    SourceClient source(ThrowingLibrary(), "src", {{"throw", "error:4"}});
    QueryRequest request;
    request.sql = "stream:next";
    auto reader = source.Execute(request);
    jobber::sdk::OwnedArray batch;
    ASSERT_TRUE(reader->Next(batch));
    ExpectPluginError([&] { reader->Next(batch); }, JOBBER_DEADLINE_EXCEEDED,
                      {"db 'src' (throwing): reading rows failed: throwing fixture: stream.Next threw error:4"});
}

TEST(ThrowingPluginCodesTest, AnUnknownThrowKindIsStillContained) {
    BrokerClient broker(ThrowingLibrary(), "b", {{"throw", "nonsense"}});
    ExpectPluginError([&] { broker.Ping(); }, JOBBER_INTERNAL, {"unknown throw kind 'nonsense'"});
}

}  // namespace
}  // namespace jobber::plugin
