// A real sql-jobber process (through the e2e harness) whose config gains the backends a fault test
// points at its own servers, plus the bookkeeping the fault tests assert with: what the log says
// each job did, and which jobs ended how.
#pragma once

#include <Poco/JSON/Object.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "server_harness.hpp"

namespace jobber::faults {

struct FaultServerSpec {
    std::string tasks;               // the .sql task file (the harness's SQLite tasks are left out)
    std::string extra_db_yaml;       // entries added under db: (next to the SQLite "demo" source)
    std::string extra_results_yaml;  // entries added under results: (next to SQLite "demo_results")
    std::string job_queue_yaml;      // replaces the memory broker/state section when not empty
    int worker_concurrency = 4;
    std::vector<std::string> queues = {"sqljob_queue"};
    std::map<std::string, std::string> app_keys;
};

// Builds (does not start) a server: the harness writes its files, then the config gets the spec's
// sections. Every server keeps the SQLite source "demo" and results "demo_results" of the harness.
std::unique_ptr<e2e::ServerHarness> MakeFaultServer(const FaultServerSpec& spec);

// A recursive CTE on the SQLite "demo" source: `rows` = the job's first argument, each row `n` and
// a label; the row count of a job's results is its argument.
std::string SqliteRowsTask(const std::string& name, const std::string& results, const std::string& extra_tags = "");

// Lines of `log` that contain every fragment.
int CountLogLines(const std::string& log, const std::vector<std::string>& fragments);

// "job finished job_id=<id> ... state=SUCCESS" lines for exactly this ID (not a prefix of a longer one).
int SuccessLines(const std::string& log, const std::string& job_id);
// SuccessLines, once it reaches `at_least` or `timeout` passes: a job's state turns SUCCESS just
// before its "job finished" line is written.
int SettledSuccessLines(const e2e::ServerHarness& server,
                        const std::string& job_id,
                        int at_least,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));
// "job started job_id=<id> " lines for exactly this ID.
int StartedLines(const std::string& log, const std::string& job_id);

// POST /tasks/<task>/jobs with this ID and args; fails the test unless accepted.
void PostOrFail(const e2e::ServerHarness& server, const std::string& task, const std::string& body);

}  // namespace jobber::faults
