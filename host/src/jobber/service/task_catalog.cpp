#include "jobber/service/task_catalog.hpp"

#include <Poco/Logger.h>

#include <stdexcept>

namespace jobber::service {

namespace {

template <class Map>
std::string Names(const Map& map) {
    std::string out;
    for (const auto& [name, value] : map) out += (out.empty() ? "" : ", ") + name;
    return out;
}

template <class Map>
std::vector<std::string> Resolve(const std::vector<std::string>& tagged,
                                 const Map& configured,
                                 const char* section,
                                 const tasks::TaskDefinition& def) {
    if (tagged.empty()) {
        std::vector<std::string> all;
        for (const auto& [name, value] : configured) all.push_back(name);
        return all;
    }
    for (const auto& name : tagged) {
        if (configured.count(name) == 0) {
            throw std::runtime_error(def.file + ":" + std::to_string(def.line) + ": task '" + def.name + "' names " +
                                     section + " '" + name +
                                     "', which is not configured (configured: " + Names(configured) + ")");
        }
    }
    return tagged;
}

}  // namespace

std::shared_ptr<const TaskCatalog> TaskCatalog::Build(const std::vector<tasks::TaskDefinition>& definitions,
                                                      Backends& backends) {
    auto catalog = std::make_shared<TaskCatalog>();
    Poco::Logger& log = Poco::Logger::get("jobber.tasks");
    for (const auto& def : definitions) {
        Task task;
        task.definition = def;
        task.dbs = Resolve(def.dbs, backends.sources, "db", def);
        task.results = Resolve(def.results, backends.results, "results backend", def);
        for (const auto& db : task.dbs) {
            try {
                task.param_counts[db] = backends.sources.at(db)->Prepare(def.name, def.sql, def.raw);
            } catch (const std::exception& e) {
                throw std::runtime_error(def.file + ":" + std::to_string(def.line) + ": task '" + def.name +
                                         "' does not prepare on db '" + db + "': " + e.what());
            }
        }
        log.information("task registered task=" + def.name + " dbs=" + std::to_string(task.dbs.size()) +
                        (def.raw ? " raw=1" : "") + " file=" + def.file);
        catalog->tasks_.emplace(def.name, std::move(task));
    }
    return catalog;
}

const Task* TaskCatalog::Find(const std::string& name) const {
    auto it = tasks_.find(name);
    return it == tasks_.end() ? nullptr : &it->second;
}

}  // namespace jobber::service
