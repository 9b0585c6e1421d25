// The files of one results directory. For a table T:
//   T.csv                  the published result, replaced atomically by rename(2)
//   .T.expires             when T.csv may be swept: Unix milliseconds as text, 0 = never
//   .T.<16 hex>.tmp        a result being written (and .T.expires.<16 hex>.tmp, its expiry)
// Hidden names keep work files out of `*.csv` globs; readers only ever see complete files.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

namespace jobber_csv {

// A temporary file, created exclusively and open for writing.
struct TempFile {
    std::filesystem::path path;
    std::FILE* file = nullptr;
};

class TableDirectory {
public:
    // Room for the ".csv" and ".<hex>.tmp" around a name within NAME_MAX (255 bytes).
    static constexpr uint32_t kMaxTableName = 200;

    // Throws Error(INVALID_ARGUMENT) unless `dir` is an existing, writable directory.
    TableDirectory(std::filesystem::path dir, bool fsync);

    // Throws Error(INVALID_ARGUMENT) unless `name` is 1..kMaxTableName bytes of [A-Za-z0-9_.:-]
    // not starting with '.': every name the host generates from a job ID, and never a path.
    static void CheckTableName(std::string_view name);

    const std::filesystem::path& path() const { return dir_; }
    bool fsync() const { return fsync_; }
    std::filesystem::path CsvPath(std::string_view table) const;

    TempFile CreateTemp(std::string_view table) const;
    // Flushes, optionally fsyncs and closes `file`; throws Error(UNAVAILABLE) naming `path`.
    void CloseTemp(std::FILE* file, const std::filesystem::path& path) const;
    // Records the expiry, then renames `temp` to T.csv; replaces an older T.csv atomically.
    void Publish(std::string_view table, const std::filesystem::path& temp, int64_t expires_at_unix_ms);
    // Removes T.csv and its expiry file; false when there was no T.csv.
    bool Drop(std::string_view table);
    // Drops every table whose expiry is in (0, now]; removes work files abandoned for a day.
    uint64_t Sweep(int64_t now_unix_ms);
    // Throws Error(UNAVAILABLE) when the directory is gone or not writable.
    void Check() const;

private:
    std::filesystem::path ExpiryPath(std::string_view table) const;
    void WriteFileAtomically(const std::filesystem::path& target, const std::string& content, std::string_view table);
    void SyncDirectory() const;

    std::filesystem::path dir_;
    bool fsync_;
    // Publish, Drop and Sweep each change a table's .csv and .expires together; the lock keeps a
    // sweep from seeing one without the other.
    std::mutex mutex_;
};

}  // namespace jobber_csv
