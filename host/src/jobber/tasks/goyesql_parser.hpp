#pragma once

#include <string>
#include <string_view>

#include "jobber/tasks/task_definition.hpp"
#include "jobber/tasks/task_file_error.hpp"

namespace jobber::tasks {

// Parses one goyesql file (knadh/goyesql, as the Go sql-jobber reads it):
//
//   -- name: get_profit_entries        starts a task; the name is [A-Za-z0-9_.-]+
//   -- db: db0, other_db               tags: the "-- key: value" lines right under the name
//   -- queue: myqueue
//   -- results: my_res_db
//   -- raw: 1                          1/true/yes or 0/false/no
//   -- timeout: 5m                     see config::ParseDuration
//   -- any other comment               skipped
//   SELECT * FROM entries WHERE user_id = ?;   the first SQL line ends the tags
//   -- later comments stay in the SQL
//
// Unknown tags and known tags placed after the SQL become warnings. Comments before the first "-- name:" are ignored;
// SQL there is an error. CRLF line endings and a UTF-8 byte order mark are accepted. `file_name` is used in
// messages and TaskDefinition::file. Throws TaskFileError "file:line: ..." for a bad or duplicate name, a duplicate
// or invalid tag value, or a task without SQL.
ParsedTasks ParseGoyesql(std::string_view text, const std::string& file_name);

}  // namespace jobber::tasks
