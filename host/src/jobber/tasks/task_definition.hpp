#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace jobber::tasks {

// One named SQL query from a goyesql file, with the tags from the comment lines under its "-- name:".
struct TaskDefinition {
    std::string name;                  // [A-Za-z0-9_.-]+, unique across every loaded file
    std::string sql;                   // the query text, trimmed; SQL comments inside it are kept
    std::vector<std::string> dbs;      // "-- db: a, b": a random one per job; empty means the host picks
    std::string queue;                 // "-- queue:": used unless the job request names one; empty: default queue
    std::vector<std::string> results;  // "-- results: a, b": a random one per job; empty means the host picks
    bool raw = false;                  // "-- raw: 1": run as-is, without preparing the statement
    std::optional<std::chrono::milliseconds> timeout;  // "-- timeout: 5m": cancel the query after this long
    std::string file;                                  // where it was defined, for messages
    int line = 0;                                      // 1-based line of its "-- name:" tag
};

// Something odd that does not stop start-up (an unknown tag, a directory without .sql files). The host logs these.
struct ParseWarning {
    std::string file;
    int line = 0;  // 0 when the warning is about a directory rather than a line
    std::string message;
};

struct ParsedTasks {
    std::vector<TaskDefinition> tasks;  // in file order
    std::vector<ParseWarning> warnings;
};

}  // namespace jobber::tasks
