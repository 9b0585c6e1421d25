// A string-keyed map whose entries may expire, with an index of expiry times so that purging
// touches only what is due: cost O(log n) per expired entry, whatever the map's size.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace jobber::memory {

// Not thread-safe; the owner locks. Expired entries are reported absent by Find even before
// PurgeDue removes them.
template <class Value>
class ExpiringMap {
public:
    using Clock = std::chrono::steady_clock;

    // nullptr when absent or expired at `now`. Valid until the next change to the map.
    Value* Find(std::string_view key, Clock::time_point now) {
        auto it = entries_.find(std::string(key));
        if (it == entries_.end()) return nullptr;
        if (it->second.expiry && (*it->second.expiry)->first <= now) return nullptr;
        return &it->second.value;
    }

    // Stores `value` under `key`, replacing any entry and its expiry. ttl 0 = never expires.
    void Put(std::string_view key, Value value, std::chrono::milliseconds ttl, Clock::time_point now) {
        auto [it, inserted] = entries_.try_emplace(std::string(key));
        if (!inserted && it->second.expiry) index_.erase(*it->second.expiry);
        it->second.value = std::move(value);
        it->second.expiry.reset();
        if (ttl.count() > 0) it->second.expiry = index_.emplace(now + ttl, it->first);
    }

    void Erase(std::string_view key) {
        auto it = entries_.find(std::string(key));
        if (it == entries_.end()) return;
        if (it->second.expiry) index_.erase(*it->second.expiry);
        entries_.erase(it);
    }

    // Removes every entry expired at `now`, calling on_expired(key) for each before it goes.
    template <class OnExpired>
    void PurgeDue(Clock::time_point now, OnExpired&& on_expired) {
        while (!index_.empty() && index_.begin()->first <= now) {
            on_expired(static_cast<const std::string&>(index_.begin()->second));
            entries_.erase(index_.begin()->second);
            index_.erase(index_.begin());
        }
    }

    void PurgeDue(Clock::time_point now) {
        PurgeDue(now, [](const std::string&) {});
    }

    size_t size() const { return entries_.size(); }
    size_t expiring_count() const { return index_.size(); }

private:
    using Index = std::multimap<Clock::time_point, std::string>;

    struct Entry {
        Value value{};
        std::optional<typename Index::iterator> expiry;
    };

    std::unordered_map<std::string, Entry> entries_;
    Index index_;
};

}  // namespace jobber::memory
