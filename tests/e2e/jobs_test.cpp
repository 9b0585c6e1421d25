// Jobs end to end: the real binary and plugins, driven over HTTP; results checked in the results SQLite file against
// the same queries run on the source database.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <regex>
#include <thread>

#include "e2e_fixture.hpp"

namespace jobber::e2e {
namespace {

class JobsTest : public SharedServerTest<JobsTest> {
protected:
    // POSTs a job and asserts it was accepted; returns the accepted view.
    Poco::JSON::Object::Ptr Accept(const std::string& task, const std::string& body) {
        const auto response = server().PostJob(task, body);
        EXPECT_TRUE(IsApiSuccess(response)) << "POST /tasks/" << task << "/jobs " << body;
        return response.DataObject();
    }

    // The results table of `job_id`, rows in insertion order.
    TableData ResultsTable(const std::string& job_id) {
        return QueryDb(server().results_db(), "SELECT * FROM \"results_" + job_id + "\" ORDER BY rowid");
    }
};

std::map<std::string, Poco::JSON::Object::Ptr> ByName(const Poco::JSON::Array::Ptr& array, const std::string& key) {
    std::map<std::string, Poco::JSON::Object::Ptr> out;
    if (array.isNull()) return out;
    for (size_t i = 0; i < array->size(); ++i) {
        auto obj = array->getObject(static_cast<unsigned>(i));
        if (!obj.isNull()) out[JsonString(obj, key)] = obj;
    }
    return out;
}

// ---- discovery ------------------------------------------------------------------------------------------------------

TEST_F(JobsTest, RootReportsNameAndVersion) {
    const auto response = server().Get("/");
    ASSERT_TRUE(IsApiSuccess(response));
    const auto data = response.DataObject();
    ASSERT_FALSE(data.isNull()) << response.Describe();
    EXPECT_EQ(JsonString(data, "name"), "sql-jobber");
    const auto version = RunBinary({"--version"});
    ASSERT_EQ(version.exit_code, 0) << version.err;
    EXPECT_EQ(JsonString(data, "version") + "\n", version.out) << "GET / and --version disagree";
}

TEST_F(JobsTest, HealthIsOk) {
    const auto response = server().Get("/health");
    ASSERT_TRUE(IsApiSuccess(response));
    EXPECT_EQ(response.Data().convert<std::string>(), "OK");
}

TEST_F(JobsTest, TasksListsEveryTaskWithItsArgumentCount) {
    const auto response = server().Get("/tasks");
    ASSERT_TRUE(IsApiSuccess(response));
    auto tasks = ByName(response.DataArray(), "name");
    const std::map<std::string, int64_t> want_args = {
        {"get_profit_summary", 1}, {"get_profit_entries", 1}, {"get_profit_entries_by_date", 3},
        {"slow_query", 0},         {"all_types", 0},          {"echo_types", 7},
        {"echo_values", 7},        {"slow_with_timeout", 0}};
    for (const auto& [name, args] : want_args) {
        ASSERT_EQ(tasks.count(name), 1u) << "task " << name << " missing from " << response.Describe();
        EXPECT_EQ(JsonInt(tasks[name], "args"), args) << name;
        EXPECT_EQ(ToJson(tasks[name]->get("dbs")), "[\"demo\"]") << name;
        EXPECT_EQ(ToJson(tasks[name]->get("results")), "[\"demo_results\"]") << name;
    }
    // Raw tasks are not prepared, so their argument count is unknown.
    ASSERT_EQ(tasks.count("count_entries"), 1u);
    EXPECT_TRUE(JsonIsNull(tasks["count_entries"], "args"));
    EXPECT_EQ(JsonString(tasks["count_entries"], "raw"), "true");
    EXPECT_EQ(JsonString(tasks["get_profit_entries"], "queue"), "reports");
    EXPECT_TRUE(JsonIsNull(tasks["get_profit_summary"], "queue"));
    EXPECT_EQ(JsonInt(tasks["slow_with_timeout"], "timeout"), 1);
    EXPECT_TRUE(JsonIsNull(tasks["slow_query"], "timeout"));
    EXPECT_EQ(tasks.size(), 10u) << "6 demo tasks + 4 e2e tasks: " << response.Describe();
}

// ---- successful jobs ------------------------------------------------------------------------------------------------

TEST_F(JobsTest, JobSucceedsAndItsTableEqualsTheSourceQuery) {
    const std::string id = UniqueId("entries");
    const auto accepted = Accept("get_profit_entries", R"({"job_id":")" + id + R"(","args":["USER3"]})");
    ASSERT_FALSE(accepted.isNull());
    EXPECT_EQ(JsonString(accepted, "job_id"), id);
    EXPECT_EQ(JsonString(accepted, "task_name"), "get_profit_entries");
    EXPECT_EQ(JsonString(accepted, "queue"), "reports") << "the task's -- queue: tag";
    EXPECT_TRUE(JsonIsNull(accepted, "eta"));
    EXPECT_EQ(JsonInt(accepted, "retries"), 0);
    EXPECT_EQ(JsonString(accepted, "results_table"), "results_" + id);

    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(job.isNull());
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonString(job, "status"), "SUCCESS");
    EXPECT_EQ(JsonString(job, "error"), "");
    EXPECT_EQ(JsonInt(job, "attempts"), 1);
    EXPECT_EQ(JsonString(job, "db"), "demo");
    EXPECT_EQ(JsonString(job, "results_backend"), "demo_results");

    const auto source = QueryDb(server().source_db(), "SELECT * FROM entries WHERE user_id = ? ORDER BY id", {"USER3"});
    ASSERT_GT(source.rows.size(), 1000u) << "the seed gives each user ~5000 rows";
    EXPECT_EQ(JsonInt(job, "count"), static_cast<int64_t>(source.rows.size()));
    // The seed's machinery-style results: [{"Type":"int64","Value":N}].
    EXPECT_EQ(ToJson(job->get("results")), R"([{"Type":"int64","Value":)" + std::to_string(source.rows.size()) + "}]");

    const auto created = ParseApiTime(JsonString(job, "created_at"));
    const auto started = ParseApiTime(JsonString(job, "started_at"));
    const auto finished = ParseApiTime(JsonString(job, "finished_at"));
    ASSERT_TRUE(created && started && finished) << ToJson(job);
    EXPECT_LE(*created, *started);
    EXPECT_LE(*started, *finished);

    const auto results = QueryDb(server().results_db(), "SELECT * FROM \"results_" + id + "\" ORDER BY id");
    EXPECT_EQ(results.columns, source.columns);
    ASSERT_EQ(results.rows.size(), source.rows.size());
    int mismatches = 0;
    for (size_t i = 0; i < source.rows.size() && mismatches < 5; ++i) {
        if (results.rows[i] != source.rows[i]) {
            ++mismatches;
            ADD_FAILURE() << "row " << i << ": results " << DescribeRow(results.rows[i]) << " vs source "
                          << DescribeRow(source.rows[i]);
        }
    }
}

TEST_F(JobsTest, EveryColumnTypeRoundTrips) {
    const std::string id = UniqueId("types");
    ASSERT_FALSE(Accept("all_types", R"({"job_id":")" + id + R"("})").isNull());
    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(job.isNull());
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 1);

    const auto results = ResultsTable(id);
    ASSERT_EQ(results.rows.size(), 1u);
    const std::vector<std::string> columns = {
        "id",      "amount",      "price",      "entry_date",      "created_at",      "is_paid",      "note",
        "null_id", "null_amount", "null_price", "null_entry_date", "null_created_at", "null_is_paid", "null_note"};
    EXPECT_EQ(results.columns, columns);
    const auto& row = results.rows[0];
    // Entry 17 of the seed: 17 * 7919 % 5000 = 4623, 17 * 104729 % 100 = 93, ...
    EXPECT_EQ(row[0], "17");
    EXPECT_EQ(row[1], "4623.93") << "decimal kept as exact text";
    EXPECT_EQ(row[2], "804.92");
    EXPECT_EQ(row[3], "2017-01-18");
    EXPECT_EQ(row[4], "2017-01-18 13:23:43");
    EXPECT_EQ(row[5], "1") << "boolean as 0/1";
    EXPECT_EQ(row[6], "café ☕ 支払い済み — ünïcødé");
    for (size_t i = 7; i < row.size(); ++i) EXPECT_FALSE(row[i].has_value()) << columns[i] << " should be NULL";

    // Storage classes and declared types in the results file.
    const auto types = QueryDb(server().results_db(),
                               "SELECT typeof(id), typeof(amount), typeof(price), typeof(entry_date), "
                               "typeof(created_at), typeof(is_paid), typeof(note), typeof(null_id) FROM \"results_" +
                                   id + "\"");
    ASSERT_EQ(types.rows.size(), 1u);
    EXPECT_EQ(DescribeRow(types.rows[0]), "('integer', 'text', 'real', 'text', 'text', 'integer', 'text', 'null')");
    const auto declared =
        QueryDb(server().results_db(), "SELECT name, type FROM pragma_table_info(?) ORDER BY cid", {"results_" + id});
    std::map<std::string, std::string> decl;
    for (const auto& r : declared.rows) decl[r[0].value_or("")] = r[1].value_or("");
    EXPECT_EQ(decl["id"], "BIGINT");
    EXPECT_EQ(decl["amount"], "DECIMAL_TEXT");
    EXPECT_EQ(decl["price"], "DOUBLE");
    EXPECT_EQ(decl["entry_date"], "DATE");
    EXPECT_EQ(decl["created_at"], "TIMESTAMP");
    EXPECT_EQ(decl["is_paid"], "BOOLEAN");
    EXPECT_EQ(decl["note"], "TEXT");
    EXPECT_EQ(decl["null_amount"], "DECIMAL_TEXT") << "a NULL column keeps its declared type";
    EXPECT_EQ(decl["null_created_at"], "TIMESTAMP");

    // And the same as the source renders it.
    const auto source = QueryDb(server().source_db(),
                                "SELECT e.id, e.amount, e.price, e.entry_date, e.created_at, e.is_paid, e.note, "
                                "missing.id, missing.amount, missing.price, missing.entry_date, missing.created_at, "
                                "missing.is_paid, missing.note FROM entries AS e "
                                "LEFT JOIN entries AS missing ON missing.id = -e.id WHERE e.id = 17");
    ASSERT_EQ(source.rows.size(), 1u);
    EXPECT_EQ(DescribeRow(row), DescribeRow(source.rows[0]));
}

TEST_F(JobsTest, ZeroRowJobCreatesAnEmptyTableWithTheColumns) {
    const std::string id = UniqueId("empty");
    ASSERT_FALSE(Accept("get_profit_entries", R"({"job_id":")" + id + R"(","args":["NOBODY"]})").isNull());
    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(job.isNull());
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 0);
    ASSERT_TRUE(TableExists(server().results_db(), "results_" + id));
    const auto results = ResultsTable(id);
    EXPECT_TRUE(results.rows.empty());
    const std::vector<std::string> columns = {"id",         "user_id",    "amount",  "price",
                                              "entry_date", "created_at", "is_paid", "note"};
    EXPECT_EQ(results.columns, columns);
}

// ---- job requests ---------------------------------------------------------------------------------------------------

TEST_F(JobsTest, JobIdIsGeneratedWhenAbsentOrEmpty) {
    std::set<std::string> ids;
    for (const std::string body : {"{}", R"({"job_id":""})", R"({"job_id":null})"}) {
        const auto accepted = Accept("count_entries", body);
        ASSERT_FALSE(accepted.isNull()) << body;
        const std::string id = JsonString(accepted, "job_id");
        EXPECT_TRUE(std::regex_match(id, std::regex("[A-Za-z0-9_:-]{1,64}"))) << "generated ID '" << id << "'";
        ids.insert(id);
        const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
        ASSERT_FALSE(job.isNull());
        EXPECT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    }
    EXPECT_EQ(ids.size(), 3u) << "generated IDs must differ";
}

TEST_F(JobsTest, SeedStyleBodyWithEveryFieldEmptyIsAccepted) {
    const std::string id = UniqueId("seed");
    const auto accepted = Accept(
        "count_entries", R"({"job_id":")" + id + R"(","queue":"","eta":"","retries":0,"ttl":0,"db":"","args":null})");
    ASSERT_FALSE(accepted.isNull());
    EXPECT_EQ(JsonString(accepted, "queue"), "sqljob_queue");
    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(job.isNull());
    EXPECT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(JsonInt(job, "count"), 1);
}

TEST_F(JobsTest, ArgsOfEveryScalarTypeBind) {
    const std::string args = R"([null, 42, 2.5, true, false, "héllo ☕ 'quoted'", 9007199254740993])";
    const std::string types_id = UniqueId("argtypes");
    const std::string values_id = UniqueId("argvalues");
    ASSERT_FALSE(Accept("echo_types", R"({"job_id":")" + types_id + R"(","args":)" + args + "}").isNull());
    ASSERT_FALSE(Accept("echo_values", R"({"job_id":")" + values_id + R"(","args":)" + args + "}").isNull());
    for (const auto& id : {types_id, values_id}) {
        const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
        ASSERT_FALSE(job.isNull());
        ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    }
    const auto types = ResultsTable(types_id);
    ASSERT_EQ(types.rows.size(), 1u);
    EXPECT_EQ(DescribeRow(types.rows[0]), "('null', 'integer', 'real', 'integer', 'integer', 'text', 'integer')")
        << "null binds NULL, integers as integers, booleans as 0/1";
    const auto values = ResultsTable(values_id);
    ASSERT_EQ(values.rows.size(), 1u);
    EXPECT_EQ(DescribeRow(values.rows[0]), "(NULL, '42', '2.5', '1', '0', 'héllo ☕ 'quoted'', '9007199254740993')")
        << "integers beyond 2^53 must stay exact";
}

TEST_F(JobsTest, WrongArgumentCountIsAcceptedThenFails) {
    const std::string id = UniqueId("argcount");
    ASSERT_FALSE(Accept("get_profit_entries", R"({"job_id":")" + id + R"(","args":[]})").isNull());
    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(job.isNull());
    EXPECT_EQ(JsonString(job, "state"), "FAILURE");
    EXPECT_NE(JsonString(job, "error").find("expects 1 argument, got 0"), std::string::npos) << ToJson(job);
    EXPECT_FALSE(TableExists(server().results_db(), "results_" + id));
}

TEST_F(JobsTest, RerunOfAFinishedIdReplacesItsTable) {
    const std::string id = UniqueId("rerun");
    const std::string sql = "SELECT COUNT(*) FROM entries WHERE user_id = ? AND entry_date BETWEEN ? AND ?";
    int64_t last_count = -1;
    for (const std::string until : {"2017-01-31", "2017-06-30"}) {
        ASSERT_FALSE(Accept("get_profit_entries_by_date",
                            R"({"job_id":")" + id + R"(","args":["USER1","2017-01-01",")" + until + R"("]})")
                         .isNull());
        const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
        ASSERT_FALSE(job.isNull());
        ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
        const auto want = QueryDb(server().source_db(), sql, {"USER1", "2017-01-01", until});
        const int64_t count = JsonInt(job, "count");
        EXPECT_EQ(std::to_string(count), want.rows[0][0].value_or("")) << "until " << until;
        EXPECT_EQ(ResultsTable(id).rows.size(), static_cast<size_t>(count)) << "the table holds this run's rows";
        EXPECT_NE(count, last_count) << "different args must give a different count";
        last_count = count;
        // The first run is SUCCESS already, so the second POST below must be allowed to reuse the ID.
    }
    EXPECT_EQ(TablesWithPrefix(server().results_db(), "results_" + id).size(), 1u) << "no leftover tables";
}

// ---- errors ---------------------------------------------------------------------------------------------------------

TEST_F(JobsTest, MalformedJsonIs400) {
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"job_id": "x",)"), 400, {"not valid JSON"}));
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", "not json at all"), 400, {"not valid JSON"}));
}

TEST_F(JobsTest, EmptyBodyIs400) {
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", ""), 400, {"empty"}));
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", "  \n"), 400, {"empty"}));
}

TEST_F(JobsTest, BodyThatIsAJsonArrayIs400) {
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"(["USER1"])"), 400, {"JSON object"}));
    EXPECT_TRUE(IsApiError(server().Post("/groups", R"([{"task":"count_entries"}])"), 400, {"JSON object"}));
}

TEST_F(JobsTest, BodyThatIsAJsonScalarIs400AskingForAnObject) {
    // 42, "x" and true are valid JSON texts (RFC 8259 section 2), so "not valid JSON" would mislead the client.
    for (const std::string body : {"42", R"("USER1")", "true"}) {
        EXPECT_TRUE(IsApiError(server().PostJob("count_entries", body), 400, {"JSON object"})) << body;
    }
}

TEST_F(JobsTest, ArgsThatAreNotAListOfScalarsAre400) {
    EXPECT_TRUE(IsApiError(server().PostJob("get_profit_entries", R"({"args":{"user":"USER1"}})"), 400, {"'args'"}));
    EXPECT_TRUE(IsApiError(server().PostJob("get_profit_entries", R"({"args":"USER1"})"), 400, {"'args'"}));
    EXPECT_TRUE(IsApiError(server().PostJob("get_profit_entries", R"({"args":[{"a":1}]})"), 400, {"args[0]"}));
    EXPECT_TRUE(IsApiError(server().PostJob("get_profit_entries_by_date", R"({"args":["USER1",["2017-01-01"],"x"]})"),
                           400, {"args[1]"}));
    // From -2^53 down the JSON parser may hand over a rounded neighbour of the number sent: refused, not bound.
    for (const std::string n : {"-9007199254740993", "-9007199254740992", "-9223372036854775808"}) {
        EXPECT_TRUE(IsApiError(server().PostJob("get_profit_entries", R"({"args":[)" + n + "]}"), 400,
                               {"args[0]", "-(2^53 - 1)", "as a string"}))
            << n;
    }
}

TEST_F(JobsTest, TheMostNegativeExactIntegerStillBinds) {
    const std::string id = UniqueId("argmin");
    ASSERT_FALSE(
        Accept("echo_values", R"({"job_id":")" + id + R"(","args":[null, -9007199254740991, 0, false, false, "", 0]})")
            .isNull());
    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(job.isNull());
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    const auto values = ResultsTable(id);
    ASSERT_EQ(values.rows.size(), 1u);
    EXPECT_EQ(DescribeRow(values.rows[0]), "(NULL, '-9007199254740991', '0', '0', '0', '', '0')");
}

TEST_F(JobsTest, HostileJobIdsAre400) {
    const std::vector<std::string> hostile = {"../x", "a b",  "x;drop table", std::string(65, 'a'),
                                              "é",    "x\"y", "results/x",    "x\\u0000y"};
    for (const auto& id : hostile) {
        const std::string body = R"({"job_id":")" + (id == "x\"y" ? std::string("x\\\"y") : id) + R"("})";
        EXPECT_TRUE(IsApiError(server().PostJob("count_entries", body), 400, {"job_id"})) << body;
    }
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"job_id":42})"), 400, {"job_id"}));
    // 64 characters is the limit, and fine.
    const std::string longest(64, 'z');
    const auto accepted = server().PostJob("count_entries", R"({"job_id":")" + longest + R"("})");
    ASSERT_TRUE(IsApiSuccess(accepted));
    ASSERT_FALSE(server().WaitForState(longest, {"SUCCESS"}).isNull());
    // Nothing but the accepted job reached the results file.
    const auto tables = QueryDb(server().results_db(),
                                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'results\\_%' "
                                "ESCAPE '\\' AND name <> '_jobber_results'");
    EXPECT_TRUE(tables.rows.empty()) << DescribeRow(tables.rows.empty() ? std::vector<std::optional<std::string>>{}
                                                                        : tables.rows[0]);
}

TEST_F(JobsTest, HostileGroupIdsAre400) {
    for (const std::string& id : std::vector<std::string>{"../g", "a b", "g;drop", std::string(65, 'g'), "é"}) {
        const std::string body =
            R"({"group_id":")" + id + R"(","jobs":[{"task":"count_entries","job_id":")" + UniqueId("hg") + R"("}]})";
        EXPECT_TRUE(IsApiError(server().Post("/groups", body), 400, {"group_id"})) << body;
    }
}

TEST_F(JobsTest, BadEtaIs400) {
    for (const std::string eta : {"tomorrow", "2017-13-01 00:00:00", "2017-02-30 00:00:00", "12:00"}) {
        EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"eta":")" + eta + R"("})"), 400, {"eta", eta}))
            << eta;
    }
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"eta":1700000000})"), 400, {"eta"}));
}

TEST_F(JobsTest, NegativeOrMalformedTtlIs400) {
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"ttl":-1})"), 400, {"ttl"}));
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"ttl":"soon"})"), 400, {"ttl"}));
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"ttl":true})"), 400, {"ttl"}));
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"timeout":-5})"), 400, {"timeout"}));
}

TEST_F(JobsTest, NonNumericRetriesIs400) {
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"retries":"abc"})"), 400, {"retries"}));
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"retries":-1})"), 400, {"retries"}));
    EXPECT_TRUE(IsApiError(server().PostJob("count_entries", R"({"retries":1.5})"), 400, {"retries"}));
}

TEST_F(JobsTest, UnknownThingsAre404) {
    EXPECT_TRUE(IsApiError(server().PostJob("no_such_task", "{}"), 404, {"no_such_task"}));
    EXPECT_TRUE(IsApiError(server().Get("/jobs/no_such_job"), 404, {"no_such_job"}));
    EXPECT_TRUE(IsApiError(server().Delete("/jobs/no_such_job"), 404, {"no_such_job"}));
    EXPECT_TRUE(IsApiError(server().Get("/groups/no_such_group"), 404, {"no_such_group"}));
    EXPECT_TRUE(IsApiError(server().Delete("/groups/no_such_group"), 404, {"no_such_group"}));
    EXPECT_TRUE(IsApiError(server().Get("/no/such/route"), 404, {"/no/such/route"}));
    EXPECT_TRUE(IsApiError(server().Get("/tasks/count_entries"), 404));
    // An unknown task in a POST with a malformed body: either complaint is fine, but not a 200.
    EXPECT_GE(server().PostJob("no_such_task", "{").status, 400);
}

TEST_F(JobsTest, WrongMethodIs405) {
    const auto put = server().Request("PUT", "/tasks", "{}");
    EXPECT_TRUE(IsApiError(put, 405, {"PUT", "GET"}));
    EXPECT_TRUE(IsApiError(server().Get("/tasks/count_entries/jobs"), 405, {"POST"}));
    EXPECT_TRUE(IsApiError(server().Request("POST", "/jobs/x", "{}"), 405));
    // RFC 9110 section 15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
    EXPECT_NE(put.Header("Allow").find("GET"), std::string::npos)
        << "405 without an Allow header listing GET; headers: " << ToJson([&] {
               Poco::JSON::Object::Ptr h = new Poco::JSON::Object;
               for (const auto& [k, v] : put.headers) h->set(k, v);
               return Poco::Dynamic::Var(h);
           }());
}

TEST_F(JobsTest, DuplicateIdWhilePendingOrRunningIs409) {
    // Pending: a queue no worker takes from.
    const std::string pending = UniqueId("dup_pending");
    ASSERT_FALSE(Accept("count_entries", R"({"job_id":")" + pending + R"(","queue":"parked"})").isNull());
    EXPECT_TRUE(
        IsApiError(server().PostJob("count_entries", R"({"job_id":")" + pending + R"("})"), 409, {pending, "PENDING"}));
    // Running.
    const std::string running = UniqueId("dup_running");
    ASSERT_FALSE(Accept("slow_query", R"({"job_id":")" + running + R"("})").isNull());
    ASSERT_FALSE(server().WaitForState(running, {"STARTED"}, 10s).isNull());
    EXPECT_TRUE(
        IsApiError(server().PostJob("slow_query", R"({"job_id":")" + running + R"("})"), 409, {running, "STARTED"}));
    // The 409s changed nothing.
    const auto job = server().Get("/jobs/" + running);
    ASSERT_TRUE(IsApiSuccess(job));
    EXPECT_EQ(JsonString(job.DataObject(), "state"), "STARTED");
    EXPECT_EQ(JsonInt(job.DataObject(), "attempts"), 1);
    EXPECT_TRUE(IsApiSuccess(server().Delete("/jobs/" + pending)));
    EXPECT_TRUE(IsApiSuccess(server().Delete("/jobs/" + running)));
}

TEST_F(JobsTest, DeletingAFinishedJobIs409WithoutPurge) {
    const std::string id = UniqueId("finished");
    ASSERT_FALSE(Accept("count_entries", R"({"job_id":")" + id + R"("})").isNull());
    ASSERT_FALSE(server().WaitForState(id, {"SUCCESS"}).isNull());
    EXPECT_TRUE(IsApiError(server().Delete("/jobs/" + id), 409, {id, "purge"}));
    // Still there, table included.
    EXPECT_TRUE(IsApiSuccess(server().Get("/jobs/" + id)));
    EXPECT_TRUE(TableExists(server().results_db(), "results_" + id));
}

TEST_F(JobsTest, HostileIdsInThePathAre400) {
    EXPECT_TRUE(IsApiError(server().Get("/jobs/a%20b"), 400, {"job ID"}));
    EXPECT_TRUE(IsApiError(server().Get("/jobs/" + std::string(65, 'j')), 400, {"job ID"}));
    EXPECT_TRUE(IsApiError(server().Delete("/jobs/x%3Bdrop"), 400, {"job ID"}));
    EXPECT_TRUE(IsApiError(server().Get("/groups/a%20b"), 400, {"group ID"}));
}

TEST_F(JobsTest, ErrorStatusLinesCarryTheirReasonPhrase) {
    // Seen by every client that prints the status line (curl -i, proxies, logs): "HTTP/1.1 404 OK" misleads.
    EXPECT_EQ(server().Get("/jobs/no_such_job").reason, "Not Found");
    EXPECT_EQ(server().PostJob("count_entries", "{").reason, "Bad Request");
    EXPECT_EQ(server().Request("PUT", "/tasks", "{}").reason, "Method Not Allowed");
    EXPECT_EQ(server().Get("/health").reason, "OK");
}

TEST_F(JobsTest, RejectedRequestBodyIsNeverParsedAsARequest) {
    // The server answers 404/405 before reading the body. If it then keeps the connection open, the unread body is
    // read as the next request: a client (or a proxy sharing connections) could smuggle requests in bodies.
    const std::string inner = "GET /jobs/smuggled_by_body HTTP/1.1\r\nHost: x\r\n\r\n";
    for (const std::string target : {"POST /no/such/route", "PUT /tasks"}) {
        const std::string raw = RawExchange(server().port(), target +
                                                                 " HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                                                 "application/json\r\nContent-Length: " +
                                                                 std::to_string(inner.size()) + "\r\n\r\n" + inner);
        EXPECT_EQ(CountStatusLines(raw), 1) << target << ": the body was answered as a request:\n" << raw;
        EXPECT_EQ(raw.find("smuggled_by_body"), std::string::npos) << target << ":\n" << raw;
    }
}

TEST_F(JobsTest, JobIdWithColonAndDashWorks) {
    const std::string id = "ns:" + UniqueId("colon") + "-x";
    ASSERT_FALSE(Accept("get_profit_summary", R"({"job_id":")" + id + R"(","args":["USER5"]})").isNull());
    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(job.isNull());
    ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
    EXPECT_EQ(ResultsTable(id).rows.size(), static_cast<size_t>(JsonInt(job, "count")));
    EXPECT_TRUE(IsApiSuccess(server().Delete("/jobs/" + id + "?purge=true")));
    EXPECT_FALSE(TableExists(server().results_db(), "results_" + id));
}

TEST_F(JobsTest, JobIdsDifferingOnlyInCaseKeepTheirOwnResults) {
    // Job IDs are case-sensitive ("Report" and "report" are two jobs), but SQLite table names are not: both jobs
    // must still end up with their own rows.
    const std::string upper = "CaseJob_" + UniqueId("c");
    std::string lower = upper;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    ASSERT_FALSE(Accept("get_profit_entries", R"({"job_id":")" + upper + R"(","args":["USER1"]})").isNull());
    ASSERT_FALSE(server().WaitForState(upper, {"SUCCESS"}).isNull());
    ASSERT_FALSE(Accept("get_profit_summary", R"({"job_id":")" + lower + R"(","args":["USER2"]})").isNull());
    const auto lower_job = server().WaitForState(lower, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(lower_job.isNull());
    const auto upper_job = server().Get("/jobs/" + upper);
    ASSERT_TRUE(IsApiSuccess(upper_job));
    EXPECT_EQ(JsonString(upper_job.DataObject(), "state"), "SUCCESS");
    if (JsonString(lower_job, "state") != "SUCCESS") {
        // Refusing the second ID is acceptable too, as long as the first job's results stay intact.
        EXPECT_NE(JsonString(lower_job, "error").find(upper), std::string::npos) << ToJson(lower_job);
    }
    const auto upper_rows = ResultsTable(upper);
    EXPECT_EQ(upper_rows.rows.size(), static_cast<size_t>(JsonInt(upper_job.DataObject(), "count")))
        << "job " << upper << " (" << JsonInt(upper_job.DataObject(), "count") << " rows of get_profit_entries) now "
        << "reads a table with columns " << ::testing::PrintToString(upper_rows.columns);
    EXPECT_EQ(upper_rows.columns.size(), 8u) << ::testing::PrintToString(upper_rows.columns);
}

TEST_F(JobsTest, ManyConcurrentJobsAllSucceed) {
    std::vector<std::string> ids;
    for (int user = 1; user <= 20; ++user) {
        ids.push_back(UniqueId("many"));
        ASSERT_FALSE(Accept("get_profit_summary",
                            R"({"job_id":")" + ids.back() + R"(","args":["USER)" + std::to_string(user) + R"("]})")
                         .isNull());
    }
    for (size_t i = 0; i < ids.size(); ++i) {
        const auto job = server().WaitForState(ids[i], {"SUCCESS", "FAILURE"}, 60s);
        ASSERT_FALSE(job.isNull());
        ASSERT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
        const auto want = QueryDb(server().source_db(),
                                  "SELECT ROUND(SUM(amount), 2), entry_date FROM entries WHERE user_id = ? GROUP BY "
                                  "entry_date ORDER BY entry_date",
                                  {"USER" + std::to_string(i + 1)});
        const auto got = ResultsTable(ids[i]);
        ASSERT_EQ(got.rows.size(), want.rows.size()) << ids[i];
        EXPECT_EQ(got.rows, want.rows) << ids[i];
    }
}

// ---- ETA, cancel, purge, timeout, retries ---------------------------------------------------------------------------

TEST_F(JobsTest, EtaKeepsTheJobPendingUntilDue) {
    // Whole seconds, so the plain format loses nothing: at least 2 s ahead.
    const int64_t eta_ms = (NowUnixMs() / 1000 + 3) * 1000;
    const std::string plain_id = UniqueId("eta_plain");
    const std::string rfc_id = UniqueId("eta_rfc3339");
    const std::string plain = FormatUtcSeconds(eta_ms);  // "YYYY-MM-DD HH:MM:SS", UTC
    // The same instant in RFC 3339 with a +05:30 offset.
    std::string rfc = FormatUtcSeconds(eta_ms + (5 * 60 + 30) * 60000);
    rfc[10] = 'T';
    rfc += "+05:30";
    const auto accepted_plain = Accept("count_entries", R"({"job_id":")" + plain_id + R"(","eta":")" + plain + R"("})");
    const auto accepted_rfc = Accept("count_entries", R"({"job_id":")" + rfc_id + R"(","eta":")" + rfc + R"("})");
    ASSERT_FALSE(accepted_plain.isNull());
    ASSERT_FALSE(accepted_rfc.isNull());
    EXPECT_EQ(ParseApiTime(JsonString(accepted_plain, "eta")), eta_ms) << ToJson(accepted_plain);
    EXPECT_EQ(ParseApiTime(JsonString(accepted_rfc, "eta")), eta_ms) << rfc << " -> " << ToJson(accepted_rfc);

    for (const auto& id : {plain_id, rfc_id}) {
        const auto job = server().Get("/jobs/" + id);
        ASSERT_TRUE(IsApiSuccess(job));
        EXPECT_EQ(JsonString(job.DataObject(), "state"), "PENDING");
    }
    const auto queue = server().Get("/jobs/queue/sqljob_queue");
    ASSERT_TRUE(IsApiSuccess(queue));
    auto listed = ByName(queue.DataArray(), "job_id");
    for (const auto& id : {plain_id, rfc_id}) {
        ASSERT_EQ(listed.count(id), 1u) << id << " not listed: " << queue.Describe();
        EXPECT_EQ(JsonString(listed[id], "delayed"), "true");
        EXPECT_EQ(ParseApiTime(JsonString(listed[id], "eta")), eta_ms);
        EXPECT_EQ(JsonString(listed[id], "state"), "PENDING");
    }
    ASSERT_LT(NowUnixMs(), eta_ms) << "the checks above were too slow to prove anything";

    for (const auto& id : {plain_id, rfc_id}) {
        const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"}, 20s);
        ASSERT_FALSE(job.isNull());
        EXPECT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
        const auto started = ParseApiTime(JsonString(job, "started_at"));
        ASSERT_TRUE(started.has_value()) << ToJson(job);
        EXPECT_GE(*started, eta_ms) << "started before its ETA: " << ToJson(job);
    }
}

TEST_F(JobsTest, EtaInThePastRunsAtOnce) {
    const std::string id = UniqueId("eta_past");
    ASSERT_FALSE(Accept("count_entries", R"({"job_id":")" + id + R"(","eta":"2017-01-01 00:00:00"})").isNull());
    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"}, 10s);
    ASSERT_FALSE(job.isNull());
    EXPECT_EQ(JsonString(job, "state"), "SUCCESS") << ToJson(job);
}

TEST_F(JobsTest, CancellingAPendingJobMeansItNeverRuns) {
    const std::string id = UniqueId("cancel_pending");
    const std::string eta = FormatUtcSeconds(NowUnixMs() + 3600 * 1000);
    ASSERT_FALSE(Accept("count_entries", R"({"job_id":")" + id + R"(","eta":")" + eta + R"("})").isNull());
    const auto cancelled = server().Delete("/jobs/" + id);
    ASSERT_TRUE(IsApiSuccess(cancelled));
    const auto data = cancelled.DataObject();
    EXPECT_EQ(JsonString(data, "state"), "FAILURE");
    EXPECT_NE(JsonString(data, "error").find("cancel"), std::string::npos) << cancelled.Describe();

    const auto job = server().Get("/jobs/" + id);
    ASSERT_TRUE(IsApiSuccess(job));
    EXPECT_EQ(JsonString(job.DataObject(), "state"), "FAILURE");
    EXPECT_NE(JsonString(job.DataObject(), "error").find("cancel"), std::string::npos);
    EXPECT_TRUE(JsonIsNull(job.DataObject(), "started_at")) << job.Describe();
    EXPECT_EQ(JsonInt(job.DataObject(), "attempts"), 0);
    EXPECT_FALSE(TableExists(server().results_db(), "results_" + id));
    // Gone from the queue listing too.
    const auto queue = server().Get("/jobs/queue/sqljob_queue");
    ASSERT_TRUE(IsApiSuccess(queue));
    EXPECT_EQ(ByName(queue.DataArray(), "job_id").count(id), 0u) << queue.Describe();
    // Cancelling again: it is finished now.
    EXPECT_TRUE(IsApiError(server().Delete("/jobs/" + id), 409));
}

TEST_F(JobsTest, CancellingARunningQueryStopsItAndLeavesNoTable) {
    const std::string id = UniqueId("cancel_running");
    ASSERT_FALSE(Accept("slow_query", R"({"job_id":")" + id + R"("})").isNull());
    ASSERT_FALSE(server().WaitForState(id, {"STARTED"}, 10s).isNull());
    std::this_thread::sleep_for(300ms);  // let the query get going

    const auto asked = std::chrono::steady_clock::now();
    const auto cancelled = server().Delete("/jobs/" + id);
    ASSERT_TRUE(IsApiSuccess(cancelled));
    EXPECT_EQ(JsonString(cancelled.DataObject(), "state"), "FAILURE");
    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"}, 3s);
    ASSERT_FALSE(job.isNull());
    EXPECT_EQ(JsonString(job, "state"), "FAILURE");
    EXPECT_NE(JsonString(job, "error").find("cancel"), std::string::npos) << ToJson(job);
    // The worker saw it: the runner logs "job cancelled" once the query has stopped.
    EXPECT_TRUE(server().WaitForLog("logger=jobber.sched job cancelled job_id=" + id + " ", 3s))
        << "the query was not stopped within 3 s of the cancel";
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 3500ms);
    EXPECT_FALSE(TableExists(server().results_db(), "results_" + id));
    EXPECT_TRUE(TablesWithPrefix(server().results_db(), "results_" + id).empty()) << "temporary table left behind";

    // The server still runs jobs.
    const std::string next = UniqueId("after_cancel");
    ASSERT_FALSE(Accept("count_entries", R"({"job_id":")" + next + R"("})").isNull());
    const auto after = server().WaitForState(next, {"SUCCESS", "FAILURE"}, 10s);
    ASSERT_FALSE(after.isNull());
    EXPECT_EQ(JsonString(after, "state"), "SUCCESS") << ToJson(after);
}

TEST_F(JobsTest, PurgeRemovesAFinishedJobAndItsTable) {
    const std::string id = UniqueId("purge");
    ASSERT_FALSE(Accept("get_profit_summary", R"({"job_id":")" + id + R"(","args":["USER2"]})").isNull());
    ASSERT_FALSE(server().WaitForState(id, {"SUCCESS"}).isNull());
    ASSERT_TRUE(TableExists(server().results_db(), "results_" + id));
    const auto purged = server().Delete("/jobs/" + id + "?purge=true");
    ASSERT_TRUE(IsApiSuccess(purged));
    EXPECT_EQ(JsonString(purged.DataObject(), "job_id"), id);
    EXPECT_TRUE(IsApiError(server().Get("/jobs/" + id), 404, {id}));
    EXPECT_FALSE(TableExists(server().results_db(), "results_" + id));
    const auto meta =
        QueryDb(server().results_db(), "SELECT COUNT(*) FROM _jobber_results WHERE table_name = ?", {"results_" + id});
    EXPECT_EQ(meta.rows[0][0], "0") << "metadata row left behind";
    // The ID is free again.
    ASSERT_FALSE(Accept("get_profit_summary", R"({"job_id":")" + id + R"(","args":["USER2"]})").isNull());
    ASSERT_FALSE(server().WaitForState(id, {"SUCCESS"}).isNull());
}

TEST_F(JobsTest, TimeoutStopsASlowQuery) {
    const std::string text_id = UniqueId("timeout_text");
    const std::string number_id = UniqueId("timeout_number");
    const auto posted = std::chrono::steady_clock::now();
    ASSERT_FALSE(Accept("slow_query", R"({"job_id":")" + text_id + R"(","timeout":"1s"})").isNull());
    ASSERT_FALSE(Accept("slow_query", R"({"job_id":")" + number_id + R"(","timeout":1})").isNull());
    for (const auto& id : {text_id, number_id}) {
        const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"}, 8s);
        ASSERT_FALSE(job.isNull());
        EXPECT_EQ(JsonString(job, "state"), "FAILURE");
        EXPECT_NE(JsonString(job, "error").find("timeout"), std::string::npos) << ToJson(job);
        EXPECT_EQ(JsonInt(job, "timeout"), 1);
        EXPECT_FALSE(TableExists(server().results_db(), "results_" + id));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - posted, 5s) << "a 1 s timeout took more than 5 s to fail the jobs";
}

TEST_F(JobsTest, TaskTimeoutTagStopsASlowQuery) {
    const std::string id = UniqueId("task_timeout");
    const auto posted = std::chrono::steady_clock::now();
    ASSERT_FALSE(Accept("slow_with_timeout", R"({"job_id":")" + id + R"("})").isNull());
    const auto job = server().WaitForState(id, {"SUCCESS", "FAILURE"}, 8s);
    ASSERT_FALSE(job.isNull());
    EXPECT_EQ(JsonString(job, "state"), "FAILURE");
    EXPECT_NE(JsonString(job, "error").find("timeout"), std::string::npos) << ToJson(job);
    EXPECT_LT(std::chrono::steady_clock::now() - posted, 5s);
}

TEST_F(JobsTest, FailedJobIsRetried) {
    const std::string once = UniqueId("retry0");
    const std::string twice = UniqueId("retry1");
    ASSERT_FALSE(Accept("missing_table_raw", R"({"job_id":")" + once + R"("})").isNull());
    const auto accepted = Accept("missing_table_raw", R"({"job_id":")" + twice + R"(","retries":1})");
    ASSERT_FALSE(accepted.isNull());
    EXPECT_EQ(JsonInt(accepted, "retries"), 1);

    auto job = server().WaitForState(once, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(job.isNull());
    EXPECT_EQ(JsonString(job, "state"), "FAILURE");
    EXPECT_EQ(JsonInt(job, "attempts"), 1);
    EXPECT_NE(JsonString(job, "error").find("table_that_does_not_exist"), std::string::npos) << ToJson(job);

    job = server().WaitForState(twice, {"SUCCESS", "FAILURE"}, 15s);
    ASSERT_FALSE(job.isNull());
    EXPECT_EQ(JsonString(job, "state"), "FAILURE");
    EXPECT_EQ(JsonInt(job, "attempts"), 2) << ToJson(job);
    EXPECT_EQ(JsonInt(job, "retries"), 1);
    EXPECT_NE(JsonString(job, "error").find("table_that_does_not_exist"), std::string::npos) << ToJson(job);
}

// ---- queues ---------------------------------------------------------------------------------------------------------

TEST_F(JobsTest, QueueListingShowsPendingJobsOfThatQueueOnly) {
    // "parked": no worker of this server takes from it (it runs with --queue sqljob_queue,reports).
    const std::string a = UniqueId("parked_a");
    const std::string b = UniqueId("parked_b");
    const std::string elsewhere = UniqueId("other_queue");
    ASSERT_FALSE(
        Accept("get_profit_summary", R"({"job_id":")" + a + R"(","queue":"parked","args":["USER1"]})").isNull());
    ASSERT_FALSE(Accept("count_entries", R"({"job_id":")" + b + R"(","queue":"parked"})").isNull());
    const std::string later = FormatUtcSeconds(NowUnixMs() + 3600 * 1000);
    ASSERT_FALSE(
        Accept("count_entries", R"({"job_id":")" + elsewhere + R"(","queue":"parked_too","eta":")" + later + R"("})")
            .isNull());

    std::this_thread::sleep_for(1s);
    for (const auto& id : {a, b}) {
        const auto job = server().Get("/jobs/" + id);
        ASSERT_TRUE(IsApiSuccess(job));
        EXPECT_EQ(JsonString(job.DataObject(), "state"), "PENDING") << "nobody listens on 'parked'";
    }
    const auto queue = server().Get("/jobs/queue/parked");
    ASSERT_TRUE(IsApiSuccess(queue));
    auto listed = ByName(queue.DataArray(), "job_id");
    EXPECT_EQ(listed.size(), 2u) << queue.Describe();
    ASSERT_EQ(listed.count(a), 1u) << queue.Describe();
    ASSERT_EQ(listed.count(b), 1u) << queue.Describe();
    EXPECT_EQ(JsonString(listed[a], "queue"), "parked");
    EXPECT_EQ(JsonString(listed[a], "task"), "get_profit_summary");
    EXPECT_EQ(JsonString(listed[a], "delayed"), "false");
    EXPECT_EQ(ToJson(listed[a]->get("args")), R"(["USER1"])");
    EXPECT_EQ(JsonString(listed[b], "task"), "count_entries");

    const auto other = server().Get("/jobs/queue/parked_too");
    ASSERT_TRUE(IsApiSuccess(other));
    auto other_listed = ByName(other.DataArray(), "job_id");
    EXPECT_EQ(other_listed.size(), 1u) << other.Describe();
    EXPECT_EQ(other_listed.count(elsewhere), 1u);
    EXPECT_EQ(JsonString(other_listed[elsewhere], "delayed"), "true");

    const auto empty = server().Get("/jobs/queue/nobody_uses_this_queue");
    ASSERT_TRUE(IsApiSuccess(empty));
    ASSERT_FALSE(empty.DataArray().isNull());
    EXPECT_EQ(empty.DataArray()->size(), 0u);
    EXPECT_TRUE(IsApiError(server().Get("/jobs/queue/bad%20queue"), 400, {"queue"}));

    for (const auto& id : {a, b, elsewhere}) EXPECT_TRUE(IsApiSuccess(server().Delete("/jobs/" + id)));
    const auto after = server().Get("/jobs/queue/parked");
    ASSERT_TRUE(IsApiSuccess(after));
    EXPECT_EQ(after.DataArray()->size(), 0u) << "cancelled jobs are no longer listed: " << after.Describe();
}

}  // namespace
}  // namespace jobber::e2e
