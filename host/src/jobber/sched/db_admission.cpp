#include "jobber/sched/db_admission.hpp"

namespace jobber::sched {

DbAdmission::Permit::~Permit() {
    if (owner_ != nullptr) owner_->Release(db_);
}

void DbAdmission::SetLimit(const std::string& db, uint32_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_[db].limit = limit;
}

std::unique_ptr<DbAdmission::Permit> DbAdmission::Acquire(const std::string& db,
                                                          std::chrono::milliseconds tick,
                                                          const std::function<bool()>& keep_waiting) {
    std::unique_lock<std::mutex> lock(mutex_);
    Slot& slot = slots_[db];
    while (slot.limit != 0 && slot.used >= slot.limit) {
        if (freed_.wait_for(lock, tick, [&] { return slot.used < slot.limit; })) break;
        lock.unlock();
        const bool keep = keep_waiting();
        lock.lock();
        if (!keep) return nullptr;
    }
    slot.used += 1;
    return std::make_unique<Permit>(this, db);
}

void DbAdmission::Release(const std::string& db) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        Slot& slot = slots_[db];
        if (slot.used > 0) slot.used -= 1;
    }
    freed_.notify_all();
}

uint32_t DbAdmission::in_use(const std::string& db) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(db);
    return it == slots_.end() ? 0 : it->second.used;
}

}  // namespace jobber::sched
