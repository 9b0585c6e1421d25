#include "jobber/tasks/task_loader.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "jobber/tasks/goyesql_parser.hpp"

namespace jobber::tasks {
namespace {

namespace fs = std::filesystem;

// Far beyond any hand-written query file; stops a stray dump named *.sql from being read into memory.
constexpr std::uintmax_t kMaxTaskFileBytes = 16u << 20;

std::vector<fs::path> SqlFilesIn(const std::string& directory) {
    std::error_code error;
    const fs::file_status status = fs::status(directory, error);
    if (status.type() == fs::file_type::not_found) {
        throw TaskFileError("sql directory '" + directory +
                            "' not found; pass --sql-directory with the directory holding your .sql task files");
    }
    if (error) throw TaskFileError("sql directory '" + directory + "' cannot be read: " + error.message());
    if (!fs::is_directory(status)) {
        throw TaskFileError("sql directory '" + directory + "' is not a directory; pass the directory holding it");
    }
    std::vector<fs::path> files;
    fs::directory_iterator it(directory, error);
    for (; !error && it != fs::directory_iterator(); it.increment(error)) {
        const fs::path& path = it->path();
        if (path.extension() != ".sql") continue;
        // Follows symlinks; a dangling one (an editor lock file) is not a regular file and is skipped.
        std::error_code type_error;
        if (!fs::is_regular_file(it->status(type_error)) || type_error) continue;
        files.push_back(path);
    }
    if (error) throw TaskFileError("sql directory '" + directory + "' cannot be read: " + error.message());
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    return files;
}

std::string ReadFile(const fs::path& path) {
    std::error_code error;
    const std::uintmax_t size = fs::file_size(path, error);
    if (!error && size > kMaxTaskFileBytes) {
        throw TaskFileError(path.string() + ": " + std::to_string(size) +
                            " bytes is too large for a task file; move data dumps out of the sql directory");
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad()) throw TaskFileError(path.string() + ": cannot be read; check its permissions");
    return text.str();
}

}  // namespace

ParsedTasks LoadTaskDirectories(const std::vector<std::string>& directories) {
    ParsedTasks loaded;
    std::set<fs::path> seen_directories;
    // Task name -> "file:line" of its definition, for the duplicate message.
    std::map<std::string, std::string> defined_at;
    for (const std::string& directory : directories) {
        std::vector<fs::path> files = SqlFilesIn(directory);
        std::error_code error;
        const fs::path canonical = fs::weakly_canonical(directory, error);
        if (!error && !seen_directories.insert(canonical).second) {
            loaded.warnings.push_back({directory, 0, "sql directory listed more than once; read it once"});
            continue;
        }
        if (files.empty()) {
            loaded.warnings.push_back({directory, 0, "no .sql files in this directory; no tasks loaded from it"});
            continue;
        }
        for (const fs::path& file : files) {
            const std::string file_name = file.string();
            ParsedTasks parsed = ParseGoyesql(ReadFile(file), file_name);
            for (ParseWarning& warning : parsed.warnings) loaded.warnings.push_back(std::move(warning));
            for (TaskDefinition& task : parsed.tasks) {
                std::string where = task.file + ":" + std::to_string(task.line);
                const auto [previous, inserted] = defined_at.emplace(task.name, where);
                if (!inserted) {
                    throw TaskFileError(where + ": duplicate task '" + task.name + "'; first defined at " +
                                        previous->second + "; task names must be unique across all sql directories");
                }
                loaded.tasks.push_back(std::move(task));
            }
        }
    }
    return loaded;
}

}  // namespace jobber::tasks
