// Generated IDs are valid job IDs, shaped as random (version 4) UUIDs, and never repeat; the validators accept
// exactly the documented alphabets and lengths.
#include "jobber/jobs/job_id.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace jobber::jobs {
namespace {

TEST(JobIdTest, GeneratedIdsAreVersion4UuidsAndValidJobIds) {
    const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        const std::string id = GenerateId();
        ASSERT_TRUE(std::regex_match(id, uuid4)) << id;
        ASSERT_TRUE(IsValidId(id)) << id;
        ASSERT_TRUE(seen.insert(id).second) << "repeated: " << id;
    }
}

TEST(JobIdTest, ValidatorsAcceptTheirAlphabetAndLengthOnly) {
    EXPECT_TRUE(IsValidId("a"));
    EXPECT_TRUE(IsValidId(std::string(64, 'Z')));
    EXPECT_TRUE(IsValidId("job_1:part-2"));
    EXPECT_FALSE(IsValidId(""));
    EXPECT_FALSE(IsValidId(std::string(65, 'a')));
    EXPECT_FALSE(IsValidId("a.b"));
    EXPECT_FALSE(IsValidId("a b"));
    EXPECT_FALSE(IsValidId("a/../b"));
    EXPECT_TRUE(IsValidQueueName("reports.daily:eu-1"));
    EXPECT_TRUE(IsValidQueueName(std::string(128, 'q')));
    EXPECT_FALSE(IsValidQueueName(std::string(129, 'q')));
    EXPECT_FALSE(IsValidQueueName("q;DROP"));
}

}  // namespace
}  // namespace jobber::jobs
