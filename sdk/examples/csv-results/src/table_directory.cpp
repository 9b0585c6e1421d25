#include "table_directory.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber_csv {

namespace fs = std::filesystem;
using jobber::sdk::Error;

namespace {

constexpr std::string_view kCsvSuffix = ".csv";
constexpr std::string_view kExpirySuffix = ".expires";
constexpr std::string_view kTempSuffix = ".tmp";
// Work files older than this belong to a process that died mid-write.
constexpr auto kAbandonedAfter = std::chrono::hours(24);

std::string RandomHex() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
    return buf;
}

[[noreturn]] void ThrowIo(const std::string& what, const fs::path& path, int err) {
    throw Error(JOBBER_UNAVAILABLE, what + " '" + path.string() + "': " + std::strerror(err) +
                                        "; check the disk and the permissions of the results directory");
}

bool EndsWith(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// O_EXCL: a name collision fails instead of two writers sharing one file.
TempFile CreateExclusive(const fs::path& path) {
    TempFile temp;
    temp.path = path;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) ThrowIo("cannot create", path, errno);
    temp.file = fdopen(fd, "w");
    if (temp.file == nullptr) {
        const int err = errno;
        close(fd);
        unlink(path.c_str());
        ThrowIo("cannot open", path, err);
    }
    return temp;
}

}  // namespace

TableDirectory::TableDirectory(fs::path dir, bool fsync) : dir_(std::move(dir)), fsync_(fsync) {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) {
        throw Error(JOBBER_INVALID_ARGUMENT,
                    "results directory '" + dir_.string() + "' does not exist or is not a directory; create it");
    }
    if (access(dir_.c_str(), W_OK | X_OK) != 0) {
        throw Error(JOBBER_INVALID_ARGUMENT, "results directory '" + dir_.string() +
                                                 "' is not writable by this user (" + std::strerror(errno) + ")");
    }
}

// [csv-names]
void TableDirectory::CheckTableName(std::string_view name) {
    auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == ':' || c == '.';
    };
    bool ok = !name.empty() && name.size() <= kMaxTableName && name.front() != '.';
    for (char c : name) ok = ok && allowed(c);
    if (!ok) {
        throw Error(JOBBER_INVALID_ARGUMENT,
                    "table name '" + std::string(name.substr(0, 80)) + "' cannot be a CSV file name: use 1 to " +
                        std::to_string(kMaxTableName) +
                        " bytes of [A-Za-z0-9_.:-], not starting with '.'; check results_table");
    }
}
// [csv-names]

fs::path TableDirectory::CsvPath(std::string_view table) const {
    return dir_ / (std::string(table) + std::string(kCsvSuffix));
}

fs::path TableDirectory::ExpiryPath(std::string_view table) const {
    return dir_ / ("." + std::string(table) + std::string(kExpirySuffix));
}

TempFile TableDirectory::CreateTemp(std::string_view table) const {
    return CreateExclusive(dir_ / ("." + std::string(table) + "." + RandomHex() + std::string(kTempSuffix)));
}

void TableDirectory::CloseTemp(std::FILE* file, const fs::path& path) const {
    int err = 0;
    if (std::fflush(file) != 0) err = errno;
    if (err == 0 && fsync_ && ::fsync(fileno(file)) != 0) err = errno;
    if (std::fclose(file) != 0 && err == 0) err = errno;
    if (err != 0) ThrowIo("cannot write", path, err);
}

void TableDirectory::WriteFileAtomically(const fs::path& target, const std::string& content, std::string_view table) {
    const TempFile temp = CreateExclusive(
        dir_ / ("." + std::string(table) + std::string(kExpirySuffix) + "." + RandomHex() + std::string(kTempSuffix)));
    const bool written = std::fwrite(content.data(), 1, content.size(), temp.file) == content.size();
    const int write_errno = errno;
    try {
        CloseTemp(temp.file, temp.path);
        if (!written) ThrowIo("cannot write", temp.path, write_errno);
        if (std::rename(temp.path.c_str(), target.c_str()) != 0) ThrowIo("cannot rename to", target, errno);
    } catch (...) {
        unlink(temp.path.c_str());
        throw;
    }
}

void TableDirectory::SyncDirectory() const {
    if (!fsync_) return;
    const int fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) ThrowIo("cannot open", dir_, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    close(fd);
    if (rc != 0) ThrowIo("cannot sync", dir_, err);
}

// [csv-publish]
void TableDirectory::Publish(std::string_view table, const fs::path& temp, int64_t expires_at_unix_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    // The expiry goes first: a crash between the two renames leaves at worst an expiry file
    // without its table (swept in time), never a table nobody will expire.
    WriteFileAtomically(ExpiryPath(table), std::to_string(expires_at_unix_ms), table);
    if (std::rename(temp.c_str(), CsvPath(table).c_str()) != 0) ThrowIo("cannot publish", CsvPath(table), errno);
    SyncDirectory();
}
// [csv-publish]

bool TableDirectory::Drop(std::string_view table) {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool existed = unlink(CsvPath(table).c_str()) == 0;
    if (!existed && errno != ENOENT) ThrowIo("cannot remove", CsvPath(table), errno);
    if (unlink(ExpiryPath(table).c_str()) != 0 && errno != ENOENT) ThrowIo("cannot remove", ExpiryPath(table), errno);
    return existed;
}

uint64_t TableDirectory::Sweep(int64_t now_unix_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t dropped = 0;
    const auto abandoned_before = fs::file_time_type::clock::now() - kAbandonedAfter;
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() < 2 || name.front() != '.') continue;
        if (EndsWith(name, kTempSuffix)) {
            std::error_code time_ec;
            const auto written = fs::last_write_time(it->path(), time_ec);
            if (!time_ec && written < abandoned_before) unlink(it->path().c_str());
            continue;
        }
        if (!EndsWith(name, kExpirySuffix)) continue;
        const std::string table = name.substr(1, name.size() - 1 - kExpirySuffix.size());
        std::ifstream in(it->path());
        long long expires_at = 0;
        if (!(in >> expires_at)) {
            jobber::sdk::Log(jobber::sdk::LogLevel::kWarning, "csv",
                             "ignoring unreadable expiry file '" + it->path().string() + "'");
            continue;
        }
        if (expires_at <= 0 || expires_at > now_unix_ms) continue;
        if (unlink(CsvPath(table).c_str()) == 0) {
            ++dropped;
        } else if (errno != ENOENT) {
            ThrowIo("cannot remove", CsvPath(table), errno);
        }
        if (unlink(it->path().c_str()) != 0 && errno != ENOENT) ThrowIo("cannot remove", it->path(), errno);
    }
    if (ec) ThrowIo("cannot list", dir_, ec.value());
    return dropped;
}

void TableDirectory::Check() const {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) ThrowIo("results directory is gone:", dir_, ec ? ec.value() : ENOENT);
    if (access(dir_.c_str(), W_OK | X_OK) != 0) ThrowIo("results directory is not writable:", dir_, errno);
}

}  // namespace jobber_csv
