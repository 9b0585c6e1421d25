#include "jobber/tasks/task_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace jobber::tasks {
namespace {

#define EXPECT_HAS(text, part) EXPECT_PRED_FORMAT2(::testing::IsSubstring, part, text)

namespace fs = std::filesystem;

class TaskLoaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("jobber_task_loader_test_" + std::to_string(::getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_);
    }
    void TearDown() override { fs::remove_all(root_); }

    std::string Dir(const std::string& name) {
        const fs::path dir = root_ / name;
        fs::create_directories(dir);
        return dir.string();
    }

    std::string Write(const std::string& dir, const std::string& name, const std::string& text) {
        const fs::path path = fs::path(dir) / name;
        std::ofstream(path, std::ios::binary) << text;
        return path.string();
    }

    std::string LoadError(const std::vector<std::string>& directories) {
        try {
            LoadTaskDirectories(directories);
        } catch (const TaskFileError& error) {
            return error.what();
        }
        ADD_FAILURE() << "loaded";
        return {};
    }

    fs::path root_;
};

TEST_F(TaskLoaderTest, LoadsSqlFilesInNameOrder) {
    const std::string dir = Dir("sql");
    Write(dir, "b.sql", "-- name: b1\nSELECT 'b1'\n");
    Write(dir, "a.sql", "-- name: a1\nSELECT 'a1'\n-- name: a2\nSELECT 'a2'\n");
    Write(dir, "c.sql", "-- name: c1\nSELECT 'c1'\n");
    const ParsedTasks loaded = LoadTaskDirectories({dir});
    ASSERT_EQ(loaded.tasks.size(), 4u);
    EXPECT_EQ(loaded.tasks[0].name, "a1");
    EXPECT_EQ(loaded.tasks[1].name, "a2");
    EXPECT_EQ(loaded.tasks[2].name, "b1");
    EXPECT_EQ(loaded.tasks[3].name, "c1");
    EXPECT_EQ(loaded.tasks[1].file, (fs::path(dir) / "a.sql").string());
    EXPECT_EQ(loaded.tasks[1].line, 3);
    EXPECT_TRUE(loaded.warnings.empty());
}

TEST_F(TaskLoaderTest, SkipsOtherFilesAndSubdirectories) {
    const std::string dir = Dir("sql");
    Write(dir, "a.sql", "-- name: a\nSELECT 1\n");
    Write(dir, "notes.txt", "SELECT garbage");
    Write(dir, "a.sql~", "SELECT garbage");
    Write(dir, "b.SQL", "SELECT garbage");
    const std::string sub = Dir("sql/nested.sql");
    Write(sub, "deep.sql", "-- name: deep\nSELECT 1\n");
    fs::create_symlink(root_ / "missing-target", fs::path(dir) / ".#lock.sql");
    const ParsedTasks loaded = LoadTaskDirectories({dir});
    ASSERT_EQ(loaded.tasks.size(), 1u);
    EXPECT_EQ(loaded.tasks[0].name, "a");
}

TEST_F(TaskLoaderTest, FollowsSymlinkedFiles) {
    const std::string elsewhere = Dir("elsewhere");
    const std::string target = Write(elsewhere, "shared.txt", "-- name: shared\nSELECT 1\n");
    const std::string dir = Dir("sql");
    fs::create_symlink(target, fs::path(dir) / "shared.sql");
    EXPECT_EQ(LoadTaskDirectories({dir}).tasks.at(0).name, "shared");
}

TEST_F(TaskLoaderTest, SeveralDirectoriesInOrder) {
    const std::string first = Dir("one");
    const std::string second = Dir("two");
    Write(first, "z.sql", "-- name: z\nSELECT 1\n");
    Write(second, "a.sql", "-- name: a\nSELECT 1\n");
    const ParsedTasks loaded = LoadTaskDirectories({first, second});
    ASSERT_EQ(loaded.tasks.size(), 2u);
    EXPECT_EQ(loaded.tasks[0].name, "z");
    EXPECT_EQ(loaded.tasks[1].name, "a");
}

TEST_F(TaskLoaderTest, DuplicateAcrossFilesNamesBothPlaces) {
    const std::string dir = Dir("sql");
    const std::string a = Write(dir, "a.sql", "-- name: x\nSELECT 1\n");
    const std::string b = Write(dir, "b.sql", "-- comment\n\n-- name: x\nSELECT 2\n");
    const std::string message = LoadError({dir});
    EXPECT_HAS(message, b + ":3: duplicate task 'x'; first defined at " + a + ":1");
}

TEST_F(TaskLoaderTest, DuplicateAcrossDirectoriesNamesBothPlaces) {
    const std::string one = Dir("one");
    const std::string two = Dir("two");
    const std::string a = Write(one, "q.sql", "-- name: x\nSELECT 1\n");
    const std::string b = Write(two, "q.sql", "-- name: x\nSELECT 2\n");
    EXPECT_HAS(LoadError({one, two}), b + ":1: duplicate task 'x'; first defined at " + a + ":1");
}

TEST_F(TaskLoaderTest, DuplicateWithinFileNamesBothLines) {
    const std::string dir = Dir("sql");
    const std::string a = Write(dir, "a.sql", "-- name: x\nSELECT 1\n-- name: x\nSELECT 2\n");
    EXPECT_HAS(LoadError({dir}), a + ":3: duplicate task 'x'; first defined at " + a + ":1");
}

TEST_F(TaskLoaderTest, ParseErrorsNameTheFile) {
    const std::string dir = Dir("sql");
    Write(dir, "a.sql", "-- name: fine\nSELECT 1\n");
    const std::string bad = Write(dir, "b.sql", "-- name: t\n-- raw: perhaps\nSELECT 1\n");
    EXPECT_HAS(LoadError({dir}), bad + ":2: task 't': raw must be");
}

TEST_F(TaskLoaderTest, WarningsAreCollected) {
    const std::string dir = Dir("sql");
    const std::string a = Write(dir, "a.sql", "-- name: t\n-- concurrency: 5\nSELECT 1\n");
    const ParsedTasks loaded = LoadTaskDirectories({dir});
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_EQ(loaded.warnings[0].file, a);
    EXPECT_EQ(loaded.warnings[0].line, 2);
}

TEST_F(TaskLoaderTest, MissingDirectory) {
    const std::string missing = (root_ / "nope").string();
    const std::string message = LoadError({missing});
    EXPECT_HAS(message, "sql directory '" + missing + "' not found");
    EXPECT_HAS(message, "--sql-directory");
}

TEST_F(TaskLoaderTest, FileInsteadOfDirectory) {
    const std::string file = Write(Dir("sql"), "a.sql", "-- name: a\nSELECT 1\n");
    EXPECT_HAS(LoadError({file}), "sql directory '" + file + "' is not a directory");
}

TEST_F(TaskLoaderTest, DirectoryWithoutSqlFilesIsAWarning) {
    const std::string empty = Dir("empty");
    Write(empty, "readme.txt", "nothing");
    const std::string full = Dir("full");
    Write(full, "a.sql", "-- name: a\nSELECT 1\n");
    const ParsedTasks loaded = LoadTaskDirectories({empty, full});
    EXPECT_EQ(loaded.tasks.size(), 1u);
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_EQ(loaded.warnings[0].file, empty);
    EXPECT_EQ(loaded.warnings[0].line, 0);
    EXPECT_HAS(loaded.warnings[0].message, "no .sql files");
}

TEST_F(TaskLoaderTest, SqlFilesWithoutTasksAreFine) {
    const std::string dir = Dir("sql");
    Write(dir, "empty.sql", "");
    Write(dir, "comments.sql", "-- nothing yet\n");
    const ParsedTasks loaded = LoadTaskDirectories({dir});
    EXPECT_TRUE(loaded.tasks.empty());
    EXPECT_TRUE(loaded.warnings.empty());
}

TEST_F(TaskLoaderTest, SameDirectoryTwiceIsReadOnce) {
    const std::string dir = Dir("sql");
    Write(dir, "a.sql", "-- name: a\nSELECT 1\n");
    const ParsedTasks loaded = LoadTaskDirectories({dir, dir + "/."});
    EXPECT_EQ(loaded.tasks.size(), 1u);
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_HAS(loaded.warnings[0].message, "more than once");
}

TEST_F(TaskLoaderTest, NoDirectoriesNoTasks) {
    const ParsedTasks loaded = LoadTaskDirectories({});
    EXPECT_TRUE(loaded.tasks.empty());
    EXPECT_TRUE(loaded.warnings.empty());
}

TEST_F(TaskLoaderTest, UnreadableFile) {
    if (::geteuid() == 0) GTEST_SKIP() << "root reads files regardless of permissions";
    const std::string dir = Dir("sql");
    const std::string file = Write(dir, "a.sql", "-- name: a\nSELECT 1\n");
    fs::permissions(file, fs::perms::none);
    EXPECT_HAS(LoadError({dir}), file + ": cannot be read");
}

TEST_F(TaskLoaderTest, DemoSqlDirectoryLoads) {
    const fs::path demo = fs::path(JOBBER_TEST_SOURCE_DIR) / "sql" / "demo";
    if (!fs::exists(demo)) GTEST_SKIP() << "no sql/demo in this checkout";
    const ParsedTasks loaded = LoadTaskDirectories({demo.string()});
    for (const TaskDefinition& task : loaded.tasks) EXPECT_FALSE(task.sql.empty()) << task.name;
}

}  // namespace
}  // namespace jobber::tasks
