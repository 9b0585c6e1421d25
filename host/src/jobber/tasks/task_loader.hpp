#pragma once

#include <string>
#include <vector>

#include "jobber/tasks/task_definition.hpp"
#include "jobber/tasks/task_file_error.hpp"

namespace jobber::tasks {

// Loads every *.sql file directly inside each directory (not subdirectories), files in name order, directories in
// the order given. A directory listed twice is read once, with a warning. Throws TaskFileError when a directory is
// missing or unreadable, a file cannot be read or does not parse, or two tasks share a name (the message names both
// places). A directory without .sql files is only a warning: the server can still run tasks from the others.
ParsedTasks LoadTaskDirectories(const std::vector<std::string>& directories);

}  // namespace jobber::tasks
