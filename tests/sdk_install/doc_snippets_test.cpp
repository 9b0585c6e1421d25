// docs/plugin-sdk.md shows code cut from sdk/examples between `// [marker]` (or `# [marker]`) lines.
// Each block announced by `<!-- snippet: <path> [<marker>] -->` must equal that region today, so
// the tutorial never shows code that no longer compiles.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> ReadLines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string Trimmed(const std::string& line) {
    const size_t begin = line.find_first_not_of(" \t");
    const size_t end = line.find_last_not_of(" \t");
    return begin == std::string::npos ? "" : line.substr(begin, end - begin + 1);
}

// The lines strictly between the two marker lines of `file`; fails the test unless there are two.
std::string Region(const std::string& file, const std::string& marker) {
    const std::vector<std::string> lines = ReadLines(std::string(JOBBER_REPO_ROOT) + "/" + file);
    std::vector<size_t> at;
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string t = Trimmed(lines[i]);
        if (t == "// [" + marker + "]" || t == "# [" + marker + "]") at.push_back(i);
    }
    EXPECT_EQ(at.size(), 2u) << file << " should hold exactly two '[" << marker << "]' marker lines";
    if (at.size() != 2) return {};
    std::string text;
    for (size_t i = at[0] + 1; i < at[1]; ++i) text += lines[i] + "\n";
    return text;
}

TEST(DocSnippetsTest, EverySnippetMatchesItsExampleSource) {
    const std::vector<std::string> doc = ReadLines(std::string(JOBBER_REPO_ROOT) + "/docs/plugin-sdk.md");
    ASSERT_FALSE(doc.empty()) << "cannot read docs/plugin-sdk.md";
    const std::string tag = "<!-- snippet: ";
    int snippets = 0;
    for (size_t i = 0; i < doc.size(); ++i) {
        if (doc[i].rfind(tag, 0) != 0) continue;
        ++snippets;
        const std::string spec = doc[i].substr(tag.size());
        const size_t open = spec.find(" [");
        const size_t close = spec.find("] -->");
        ASSERT_TRUE(open != std::string::npos && close != std::string::npos) << "bad snippet line: " << doc[i];
        const std::string file = spec.substr(0, open);
        const std::string marker = spec.substr(open + 2, close - open - 2);
        ASSERT_LT(i + 1, doc.size());
        ASSERT_EQ(doc[i + 1].rfind("```", 0), 0u) << "line " << i + 2 << ": a code block must follow " << doc[i];
        std::string block;
        size_t j = i + 2;
        for (; j < doc.size() && doc[j] != "```"; ++j) block += doc[j] + "\n";
        ASSERT_LT(j, doc.size()) << "unterminated code block after " << doc[i];
        EXPECT_EQ(block, Region(file, marker)) << "docs/plugin-sdk.md line " << i + 1 << " shows an old copy of "
                                               << file << " [" << marker << "]; paste the current region";
    }
    EXPECT_GE(snippets, 10) << "the tutorial lost its snippets";
}

}  // namespace
