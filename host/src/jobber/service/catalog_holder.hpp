#pragma once

#include <memory>
#include <mutex>

#include "jobber/service/task_catalog.hpp"

namespace jobber::service {

// The current task catalog, swapped whole on reload (SIGHUP). Readers keep the catalog they got
// for as long as they need it, so a reload never changes a task under a running job.
class CatalogHolder {
public:
    explicit CatalogHolder(std::shared_ptr<const TaskCatalog> catalog) : catalog_(std::move(catalog)) {}

    std::shared_ptr<const TaskCatalog> Get() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return catalog_;
    }
    void Set(std::shared_ptr<const TaskCatalog> catalog) {
        std::lock_guard<std::mutex> lock(mutex_);
        catalog_ = std::move(catalog);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const TaskCatalog> catalog_;
};

}  // namespace jobber::service
