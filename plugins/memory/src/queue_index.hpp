// Which job IDs wait in which queue, in the order they were first listed there (ABI 1.1's
// list_queue). Kept beside the job records so a listing never outlives its record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

namespace jobber::memory {

// Not thread-safe; the owner locks.
class QueueIndex {
public:
    // Lists `job_id` under `queue`; a job already listed there keeps its place (a retry is not a
    // new submission), one listed elsewhere moves.
    void List(const std::string& job_id, std::string_view queue) {
        auto found = by_job_.find(job_id);
        if (found != by_job_.end()) {
            if (found->second.queue == queue) return;
            Unlist(job_id);
        }
        const uint64_t seq = next_seq_++;
        by_job_.emplace(job_id, Listing{std::string(queue), seq});
        by_queue_[std::string(queue)].emplace(seq, job_id);
    }

    void Unlist(const std::string& job_id) {
        auto found = by_job_.find(job_id);
        if (found == by_job_.end()) return;
        auto queue = by_queue_.find(found->second.queue);
        queue->second.erase(found->second.seq);
        if (queue->second.empty()) by_queue_.erase(queue);
        by_job_.erase(found);
    }

    // Calls visit(job_id) in listing order until it returns false.
    template <class Visit>
    void ForEach(std::string_view queue, Visit&& visit) const {
        auto found = by_queue_.find(std::string(queue));
        if (found == by_queue_.end()) return;
        for (const auto& [seq, job_id] : found->second) {
            if (!visit(job_id)) return;
        }
    }

    size_t size() const { return by_job_.size(); }

private:
    struct Listing {
        std::string queue;
        uint64_t seq = 0;
    };
    uint64_t next_seq_ = 0;
    std::unordered_map<std::string, Listing> by_job_;
    std::unordered_map<std::string, std::map<uint64_t, std::string>> by_queue_;
};

}  // namespace jobber::memory
