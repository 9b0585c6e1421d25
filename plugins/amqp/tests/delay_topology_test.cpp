// The delay tree's routing keys and bindings: a message visits exactly the levels of its delay's set bits, ending
// at the ready exchange with its queue name. No server: the topic matching is simulated here.
#include "delay_topology.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace jobber::amqp {
namespace {

std::vector<std::string> Words(const std::string& key) {
    std::vector<std::string> words;
    std::stringstream in(key);
    std::string word;
    while (std::getline(in, word, '.')) words.push_back(word);
    return words;
}

// AMQP topic matching for the patterns the tree uses: '*' one word, '#' zero or more words (only at the end).
bool TopicMatches(const std::string& pattern, const std::string& key) {
    const auto p = Words(pattern), k = Words(key);
    size_t i = 0;
    for (; i < p.size(); ++i) {
        if (p[i] == "#") return true;
        if (i >= k.size()) return false;
        if (p[i] != "*" && p[i] != k[i]) return false;
    }
    return i == k.size();
}

// Follows a message from `exchange` through the tree; returns the levels whose queue it waited in and the queue
// the ready exchange delivered it to.
std::pair<std::vector<int>, std::string> Follow(const DelayRoute& route, const std::string& queue) {
    std::vector<int> visited;
    int level = std::stoi(route.exchange.substr(route.exchange.rfind('.') + 1));
    for (; level >= 0; --level) {
        const bool one = TopicMatches(LevelBindingKey(level, true), route.routing_key);
        const bool zero = TopicMatches(LevelBindingKey(level, false), route.routing_key);
        EXPECT_NE(one, zero) << "exactly one binding of level " << level << " must match " << route.routing_key;
        if (one) visited.push_back(level);
    }
    const bool ready = TopicMatches(ReadyBindingKey(queue), route.routing_key);
    return {visited, ready ? queue : std::string()};
}

TEST(DelayTopologyTest, MessageVisitsTheLevelsOfItsSetBitsAndEndsInItsQueue) {
    struct Case {
        int64_t delay;
        std::vector<int> levels;
    };
    for (const Case& c : std::vector<Case>{{1, {0}},
                                           {13, {3, 2, 0}},
                                           {300, {8, 5, 3, 2}},
                                           {1000, {9, 8, 7, 6, 5, 3}},
                                           {3600000, {21, 20, 18, 17, 15, 14, 13, 11, 10, 9, 7}}}) {
        const DelayRoute route = RouteForDelay("jobber", c.delay, "sqljob_queue");
        EXPECT_EQ(route.exchange, DelayName("jobber", c.levels.front())) << c.delay;
        const auto [visited, delivered] = Follow(route, "sqljob_queue");
        EXPECT_EQ(visited, c.levels) << c.delay;
        EXPECT_EQ(delivered, "sqljob_queue") << c.delay;
        int64_t total = 0;
        for (int level : visited) total += int64_t{1} << level;
        EXPECT_EQ(total, c.delay);
    }
}

TEST(DelayTopologyTest, QueueNamesWithDotsStayIntactAndDoNotMatchOtherQueues) {
    const DelayRoute route = RouteForDelay("jobber", 5, "reports.daily");
    EXPECT_EQ(Follow(route, "reports.daily").second, "reports.daily");
    EXPECT_TRUE(Follow(route, "reports").second.empty());
    EXPECT_TRUE(Follow(route, "daily").second.empty());
}

TEST(DelayTopologyTest, DelaysAreClampedToTheTree) {
    EXPECT_EQ(RouteForDelay("p", 0, "q").routing_key, RouteForDelay("p", 1, "q").routing_key);
    const DelayRoute longest = RouteForDelay("p", kMaxDelayMs * 4, "q");
    EXPECT_EQ(longest.exchange, DelayName("p", kDelayLevels - 1));
    EXPECT_EQ(Follow(longest, "q").first.size(), static_cast<size_t>(kDelayLevels));
    // The longest routing key still fits AMQP's 255 bytes with the longest queue name the plugin accepts.
    EXPECT_LE(RouteForDelay("p", 1, std::string(128, 'q')).routing_key.size(), 255u);
}

}  // namespace
}  // namespace jobber::amqp
