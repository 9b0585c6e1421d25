#include "jobber/jobs/job_codec.hpp"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <limits>

#include "jobber/jobs/json_writer.hpp"

namespace jobber::jobs {
namespace {

JobRecord SampleRecord() {
    JobRecord r;
    r.job_id = "job-1";
    r.task = "get_profit";
    r.queue = "reports";
    r.db = "primary";
    r.results_backend = "results";
    r.results_table = "results_job-1";
    r.group_id = "g";
    r.group_concurrency = 3;
    r.state = JobState::kStarted;
    r.error = "line 1\nsaid \"no\" \\ at\ttab \x01 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    r.count = 42;
    r.attempts = 2;
    r.max_retries = 5;
    r.created_at_ms = 1764000000123;
    r.eta_ms = 1764000005000;
    r.started_at_ms = 1764000006000;
    r.finished_at_ms = 0;
    r.ttl_ms = 3600000;
    r.timeout_ms = 60000;
    r.args = {
        std::monostate{}, true, false, int64_t{-9007199254740991}, 2.0, 0.1, 1e300, std::string("it's \"quoted\"")};
    return r;
}

TEST(JobCodecTest, ARecordSurvivesARoundTripFieldByField) {
    const JobRecord in = SampleRecord();
    const JobRecord out = DecodeRecord(EncodeRecord(in));
    EXPECT_EQ(out.job_id, in.job_id);
    EXPECT_EQ(out.task, in.task);
    EXPECT_EQ(out.queue, in.queue);
    EXPECT_EQ(out.db, in.db);
    EXPECT_EQ(out.results_backend, in.results_backend);
    EXPECT_EQ(out.results_table, in.results_table);
    EXPECT_EQ(out.group_id, in.group_id);
    EXPECT_EQ(out.group_concurrency, in.group_concurrency);
    EXPECT_EQ(out.state, in.state);
    EXPECT_EQ(out.error, in.error);
    EXPECT_EQ(out.count, in.count);
    EXPECT_EQ(out.attempts, in.attempts);
    EXPECT_EQ(out.max_retries, in.max_retries);
    EXPECT_EQ(out.created_at_ms, in.created_at_ms);
    EXPECT_EQ(out.eta_ms, in.eta_ms);
    EXPECT_EQ(out.started_at_ms, in.started_at_ms);
    EXPECT_EQ(out.finished_at_ms, in.finished_at_ms);
    EXPECT_EQ(out.ttl_ms, in.ttl_ms);
    EXPECT_EQ(out.timeout_ms, in.timeout_ms);
    // Each argument keeps its type: a double that happens to be whole stays a double (bound as such).
    EXPECT_EQ(out.args, in.args);
}

TEST(JobCodecTest, AMessageCarriesItsRecordVerbatim) {
    const std::string record = EncodeRecord(SampleRecord());
    const JobMessage in{"job-1", "token-1", "get_profit", "reports", 1764000005000, record};
    const JobMessage out = DecodeMessage(EncodeMessage(in));
    EXPECT_EQ(out.job_id, in.job_id);
    EXPECT_EQ(out.token, in.token);
    EXPECT_EQ(out.task, in.task);
    EXPECT_EQ(out.queue, in.queue);
    EXPECT_EQ(out.eta_ms, in.eta_ms);
    EXPECT_EQ(out.record, record);
}

TEST(JobCodecTest, AGroupSurvivesARoundTrip) {
    const GroupRecord in{"g1", 2, {"a", "b", "c"}, 1764000000000};
    const GroupRecord out = DecodeGroup(EncodeGroup(in));
    EXPECT_EQ(out.group_id, in.group_id);
    EXPECT_EQ(out.concurrency, in.concurrency);
    EXPECT_EQ(out.job_ids, in.job_ids);
    EXPECT_EQ(out.created_at_ms, in.created_at_ms);
}

TEST(JobCodecTest, CorruptBodiesAreClearErrors) {
    EXPECT_THROW(DecodeRecord("{\"job_id\": "), std::runtime_error);
    EXPECT_THROW(DecodeRecord("[1, 2]"), std::runtime_error);
    EXPECT_THROW(DecodeMessage("{\"job_id\": \"x\"}"), std::runtime_error);  // no token
}

// What a standard parser reads back from the writer's text (a lone value, wrapped: Poco wants a container).
Poco::Dynamic::Var Parse(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse("[" + text + "]").extract<Poco::JSON::Array::Ptr>()->get(0);
}

TEST(JsonWriterTest, EscapesWhatJsonRequiresAndKeepsUtf8) {
    const std::string raw = "a\"b\\c\n\r\t\b\f\x1f\x7f caf\xc3\xa9";
    JsonWriter json;
    json.String(raw);
    const std::string text = json.Take();
    EXPECT_EQ(text, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u001f\x7f caf\xc3\xa9\"");
    EXPECT_EQ(Parse(text).extract<std::string>(), raw);
}

TEST(JsonWriterTest, InvalidUtf8BecomesTheReplacementCharacter) {
    // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, a code point past U+10FFFF.
    const std::string bad = "x\x80y\xc3z\xc0\xafw\xed\xa0\x80v\xf4\x90\x80\x80u";
    JsonWriter json;
    json.String(bad);
    const std::string text = json.Take();
    EXPECT_EQ(text, "\"x\\ufffdy\\ufffdz\\ufffd\\ufffdw\\ufffd\\ufffd\\ufffdv\\ufffd\\ufffd\\ufffd\\ufffdu\"");
    EXPECT_EQ(Parse(text).extract<std::string>(),
              "x\xef\xbf\xbdy\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbdw\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdv"
              "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdu");
}

TEST(JsonWriterTest, NestsContainersWithCommasInTheRightPlaces) {
    JsonWriter json;
    json.BeginObject();
    json.Key("a").Int(1);
    json.Key("b").BeginArray().Int(1).String("two").BeginObject().EndObject().BeginArray().EndArray().EndArray();
    json.Key("c").Null();
    json.Key("d").Bool(false);
    json.EndObject();
    EXPECT_EQ(json.Take(), R"({"a":1,"b":[1,"two",{},[]],"c":null,"d":false})");
}

TEST(JsonWriterTest, NumbersReadBackExactly) {
    JsonWriter json;
    json.BeginArray()
        .Int(std::numeric_limits<int64_t>::min())
        .Int(std::numeric_limits<int64_t>::max())
        .Double(2.0)
        .Double(0.1)
        .Double(-1.5e-300)
        .Double(std::numeric_limits<double>::quiet_NaN())
        .Double(std::numeric_limits<double>::infinity())
        .EndArray();
    const std::string text = json.Take();
    EXPECT_EQ(text, "[-9223372036854775808,9223372036854775807,2.0,0.1,-1.5e-300,null,null]");
}

}  // namespace
}  // namespace jobber::jobs
