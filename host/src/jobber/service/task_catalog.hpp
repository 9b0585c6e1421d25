#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jobber/service/backends.hpp"
#include "jobber/tasks/task_definition.hpp"

namespace jobber::service {

// A task resolved against this process's config: the databases and results backends it may use,
// and its parameter count on each database (known because it was prepared at start-up).
struct Task {
    tasks::TaskDefinition definition;
    std::vector<std::string> dbs;
    std::vector<std::string> results;
    std::map<std::string, int32_t> param_counts;  // by db; -1 = unknown (raw)
};

class TaskCatalog {
public:
    // Resolves db/results tags (a task without a tag may use every configured one) and prepares
    // every task on each of its databases. Throws std::runtime_error naming file:line and the task.
    static std::shared_ptr<const TaskCatalog> Build(const std::vector<tasks::TaskDefinition>& definitions,
                                                    Backends& backends);

    const Task* Find(const std::string& name) const;
    const std::map<std::string, Task>& tasks() const { return tasks_; }

private:
    std::map<std::string, Task> tasks_;
};

}  // namespace jobber::service
