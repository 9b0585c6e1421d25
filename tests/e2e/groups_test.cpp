// Groups of jobs end to end: POST /groups, GET /groups/{id}, DELETE /groups/{id}.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>

#include "e2e_fixture.hpp"

namespace jobber::e2e {
namespace {

class GroupsTest : public SharedServerTest<GroupsTest> {};

std::vector<Poco::JSON::Object::Ptr> Jobs(const Poco::JSON::Object::Ptr& group) {
    std::vector<Poco::JSON::Object::Ptr> out;
    if (group.isNull()) return out;
    auto jobs = group->getArray("jobs");
    if (jobs.isNull()) return out;
    for (size_t i = 0; i < jobs->size(); ++i) out.push_back(jobs->getObject(static_cast<unsigned>(i)));
    return out;
}

TEST_F(GroupsTest, SeedShapedGroupRunsEveryJob) {
    const std::string group_id = UniqueId("group");
    const std::string first = UniqueId("gjob");
    const std::string second = UniqueId("gjob");
    // The seed README's example: the first job's dates are reversed, so it finds no rows.
    const std::string body =
        R"({"group_id": ")" + group_id + R"(", "concurrency": 3, "jobs": [{"job_id": ")" + first +
        R"(", "task": "get_profit_entries_by_date", "args": ["USER1", "2017-12-01", "2017-01-01"]},)"
        R"( {"job_id": ")" +
        second + R"(", "task": "get_profit_entries_by_date", "args": ["USER1", "2017-01-01", "2017-12-01"]}]})";
    const auto posted = server().Post("/groups", body);
    ASSERT_TRUE(IsApiSuccess(posted));
    const auto accepted = posted.DataObject();
    EXPECT_EQ(JsonString(accepted, "group_id"), group_id);
    EXPECT_EQ(JsonInt(accepted, "concurrency"), 3);
    auto jobs = Jobs(accepted);
    ASSERT_EQ(jobs.size(), 2u) << posted.Describe();
    EXPECT_EQ(JsonString(jobs[0], "job_id"), first);
    EXPECT_EQ(JsonString(jobs[1], "job_id"), second);
    for (const auto& job : jobs) {
        EXPECT_EQ(JsonString(job, "task"), "get_profit_entries_by_date");
        EXPECT_EQ(JsonString(job, "queue"), "sqljob_queue");
        EXPECT_TRUE(JsonIsNull(job, "eta"));
        EXPECT_EQ(JsonInt(job, "retries"), 0);
    }

    const auto group = server().WaitForGroupState(group_id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(group.isNull());
    EXPECT_EQ(JsonString(group, "state"), "SUCCESS") << ToJson(group);
    EXPECT_EQ(JsonString(group, "status"), "SUCCESS");
    jobs = Jobs(group);
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(JsonString(jobs[0], "state"), "SUCCESS");
    EXPECT_EQ(JsonString(jobs[1], "state"), "SUCCESS");
    EXPECT_EQ(JsonInt(jobs[0], "count"), 0) << "reversed dates";
    const auto want = QueryDb(server().source_db(),
                              "SELECT COUNT(*) FROM entries WHERE user_id = 'USER1' AND entry_date BETWEEN "
                              "'2017-01-01' AND '2017-12-01'");
    EXPECT_EQ(std::to_string(JsonInt(jobs[1], "count")), want.rows[0][0].value_or(""));
    for (const auto& id : {first, second}) {
        const auto job = server().Get("/jobs/" + id);
        ASSERT_TRUE(IsApiSuccess(job));
        EXPECT_EQ(JsonString(job.DataObject(), "group_id"), group_id);
        EXPECT_TRUE(TableExists(server().results_db(), "results_" + id));
    }
}

TEST_F(GroupsTest, GroupIdIsGeneratedWhenAbsent) {
    const auto posted = server().Post("/groups", R"({"jobs":[{"task":"count_entries"},{"task":"count_entries"}]})");
    ASSERT_TRUE(IsApiSuccess(posted));
    const std::string group_id = JsonString(posted.DataObject(), "group_id");
    ASSERT_FALSE(group_id.empty());
    auto jobs = Jobs(posted.DataObject());
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_NE(JsonString(jobs[0], "job_id"), JsonString(jobs[1], "job_id"));
    const auto group = server().WaitForGroupState(group_id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(group.isNull());
    EXPECT_EQ(JsonString(group, "state"), "SUCCESS") << ToJson(group);
}

TEST_F(GroupsTest, ConcurrencyOneRunsTheJobsOneAtATime) {
    const std::string group_id = UniqueId("serial");
    std::string jobs_json;
    for (int user = 1; user <= 4; ++user) {
        if (!jobs_json.empty()) jobs_json += ",";
        jobs_json += R"({"task":"get_profit_summary","args":["USER)" + std::to_string(user) + R"("]})";
    }
    const auto posted =
        server().Post("/groups", R"({"group_id":")" + group_id + R"(","concurrency":1,"jobs":[)" + jobs_json + "]}");
    ASSERT_TRUE(IsApiSuccess(posted));
    const auto group = server().WaitForGroupState(group_id, {"SUCCESS", "FAILURE"});
    ASSERT_FALSE(group.isNull());
    ASSERT_EQ(JsonString(group, "state"), "SUCCESS") << ToJson(group);
    std::vector<std::pair<int64_t, int64_t>> intervals;
    for (const auto& job : Jobs(group)) {
        const auto started = ParseApiTime(JsonString(job, "started_at"));
        const auto finished = ParseApiTime(JsonString(job, "finished_at"));
        ASSERT_TRUE(started && finished) << ToJson(job);
        intervals.emplace_back(*started, *finished);
    }
    ASSERT_EQ(intervals.size(), 4u);
    std::sort(intervals.begin(), intervals.end());
    for (size_t i = 1; i < intervals.size(); ++i) {
        EXPECT_GE(intervals[i].first, intervals[i - 1].second)
            << "job " << i << " started before job " << i - 1 << " finished: " << ToJson(group);
    }
}

TEST_F(GroupsTest, UnknownTaskInALaterJobIs404AndClaimsNothing) {
    const std::string group_id = UniqueId("badgroup");
    const std::string first = UniqueId("claimed");
    const std::string body = R"({"group_id":")" + group_id + R"(","jobs":[{"job_id":")" + first +
                             R"(","task":"count_entries"},{"task":"no_such_task"}]})";
    EXPECT_TRUE(IsApiError(server().Post("/groups", body), 404, {"jobs[1]", "no_such_task"}));
    EXPECT_TRUE(IsApiError(server().Get("/jobs/" + first), 404)) << "the first job's ID was claimed";
    EXPECT_TRUE(IsApiError(server().Get("/groups/" + group_id), 404));
}

TEST_F(GroupsTest, ConflictOnALaterJobReleasesTheEarlierOnes) {
    const std::string busy = UniqueId("busy");
    ASSERT_TRUE(IsApiSuccess(server().PostJob("count_entries", R"({"job_id":")" + busy + R"(","queue":"parked"})")));
    const std::string group_id = UniqueId("conflict");
    const std::string first = UniqueId("released");
    const std::string body = R"({"group_id":")" + group_id + R"(","jobs":[{"job_id":")" + first +
                             R"(","task":"count_entries"},{"job_id":")" + busy + R"(","task":"count_entries"}]})";
    EXPECT_TRUE(IsApiError(server().Post("/groups", body), 409, {busy}));
    EXPECT_TRUE(IsApiError(server().Get("/jobs/" + first), 404)) << "the first job's ID was not released";
    EXPECT_TRUE(IsApiError(server().Get("/groups/" + group_id), 404));
    // The conflicting job is untouched.
    const auto job = server().Get("/jobs/" + busy);
    ASSERT_TRUE(IsApiSuccess(job));
    EXPECT_EQ(JsonString(job.DataObject(), "state"), "PENDING");
    EXPECT_TRUE(JsonIsNull(job.DataObject(), "group_id"));
    EXPECT_TRUE(IsApiSuccess(server().Delete("/jobs/" + busy)));
}

TEST_F(GroupsTest, MalformedGroupsAre400) {
    EXPECT_TRUE(IsApiError(server().Post("/groups", "{}"), 400, {"jobs"}));
    EXPECT_TRUE(IsApiError(server().Post("/groups", R"({"jobs":[]})"), 400, {"jobs"}));
    EXPECT_TRUE(IsApiError(server().Post("/groups", R"({"jobs":[{"job_id":"x"}]})"), 400, {"jobs[0]", "task"}));
    EXPECT_TRUE(IsApiError(server().Post("/groups", R"({"jobs":[42]})"), 400, {"jobs[0]"}));
    EXPECT_TRUE(IsApiError(server().Post("/groups", R"({"jobs":[{"task":"count_entries"}],"concurrency":"x"})"), 400,
                           {"concurrency"}));
    const std::string dup = UniqueId("dup");
    EXPECT_TRUE(IsApiError(server().Post("/groups", R"({"jobs":[{"task":"count_entries","job_id":")" + dup +
                                                        R"("},{"task":"count_entries","job_id":")" + dup + R"("}]})"),
                           400, {"jobs[1]", dup}));
    EXPECT_TRUE(IsApiError(server().Get("/jobs/" + dup), 404));
    EXPECT_TRUE(IsApiError(server().Post("/groups", R"({"jobs":[{"task":"count_entries","args":{"a":1}}]})"), 400,
                           {"jobs[0]", "args"}));
}

TEST_F(GroupsTest, DeletingAGroupCancelsItsPendingJobs) {
    const std::string group_id = UniqueId("cancelgroup");
    const std::string eta = FormatUtcSeconds(NowUnixMs() + 3600 * 1000);
    const std::string a = UniqueId("ga");
    const std::string b = UniqueId("gb");
    const std::string body = R"({"group_id":")" + group_id + R"(","jobs":[{"job_id":")" + a +
                             R"(","task":"count_entries","eta":")" + eta + R"("},{"job_id":")" + b +
                             R"(","task":"get_profit_summary","args":["USER1"],"eta":")" + eta + R"("}]})";
    ASSERT_TRUE(IsApiSuccess(server().Post("/groups", body)));
    const auto pending = server().Get("/groups/" + group_id);
    ASSERT_TRUE(IsApiSuccess(pending));
    EXPECT_EQ(JsonString(pending.DataObject(), "state"), "PENDING");

    const auto deleted = server().Delete("/groups/" + group_id);
    ASSERT_TRUE(IsApiSuccess(deleted));
    EXPECT_EQ(JsonString(deleted.DataObject(), "state"), "FAILURE") << deleted.Describe();
    for (const auto& job : Jobs(deleted.DataObject())) {
        EXPECT_EQ(JsonString(job, "state"), "FAILURE") << ToJson(job);
        EXPECT_NE(JsonString(job, "error").find("cancel"), std::string::npos) << ToJson(job);
    }
    for (const auto& id : {a, b}) {
        const auto job = server().Get("/jobs/" + id);
        ASSERT_TRUE(IsApiSuccess(job));
        EXPECT_EQ(JsonString(job.DataObject(), "state"), "FAILURE");
        EXPECT_TRUE(JsonIsNull(job.DataObject(), "started_at")) << job.Describe();
    }
    const auto queue = server().Get("/jobs/queue/sqljob_queue");
    ASSERT_TRUE(IsApiSuccess(queue));
    EXPECT_EQ(queue.body.find(a), std::string::npos) << queue.Describe();
    // With purge the group and its jobs go away.
    EXPECT_TRUE(IsApiSuccess(server().Delete("/groups/" + group_id + "?purge=true")));
    EXPECT_TRUE(IsApiError(server().Get("/groups/" + group_id), 404));
    EXPECT_TRUE(IsApiError(server().Get("/jobs/" + a), 404));
}

}  // namespace
}  // namespace jobber::e2e
