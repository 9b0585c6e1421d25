// Helpers shared by the SQLite plugin tests: throw-away database files and batch readers.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/roles.hpp"
#include "jobber/sdk/time.hpp"

namespace jobber::sqlite::testing {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "jobber-sqlite-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;  // best effort: a leftover temp dir must not fail a test
        std::filesystem::remove_all(path_, ignored);
    }
    std::string File(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

// A plain read-write connection for setting up and checking databases outside the plugin.
class Db {
public:
    explicit Db(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
        sqlite3_busy_timeout(db_, 5000);
        // Test fixtures need no durability; skipping fsync keeps set-up in the millisecond range.
        Exec("PRAGMA synchronous=OFF");
    }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db() { sqlite3_close(db_); }

    void Exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message != nullptr ? message : "?";
            sqlite3_free(message);
            throw std::runtime_error(text + " in: " + sql);
        }
    }

    // Every row as text ("NULL" for NULL), columns joined with '|'.
    std::vector<std::string> Rows(const std::string& sql) {
        std::vector<std::string> rows;
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
            throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
        }
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            std::string row;
            for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
                if (i > 0) row += "|";
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
                row += text == nullptr ? "NULL" : text;
            }
            rows.push_back(row);
        }
        sqlite3_finalize(stmt);
        return rows;
    }

    std::string One(const std::string& sql) {
        auto rows = Rows(sql);
        return rows.empty() ? std::string("<no rows>") : rows.front();
    }

    sqlite3* get() const { return db_; }

private:
    sqlite3* db_ = nullptr;
};

inline sdk::OpenArgs Args(std::vector<std::pair<std::string, std::string>> config) {
    std::vector<jobber_kv> kvs;
    for (const auto& [key, value] : config) kvs.push_back({key.c_str(), value.c_str()});
    return sdk::OpenArgs{"test", sdk::Config(kvs.data(), static_cast<uint32_t>(kvs.size()))};
}

inline jobber_value NullValue() {
    return jobber_value{JOBBER_VALUE_NULL, 0, 0, 0.0, nullptr, 0};
}
inline jobber_value BoolValue(bool v) {
    return jobber_value{JOBBER_VALUE_BOOL, v ? 1 : 0, 0, 0.0, nullptr, 0};
}
inline jobber_value IntValue(int64_t v) {
    return jobber_value{JOBBER_VALUE_INT64, 0, v, 0.0, nullptr, 0};
}
inline jobber_value DoubleValue(double v) {
    return jobber_value{JOBBER_VALUE_DOUBLE, 0, 0, v, nullptr, 0};
}
// Borrows `text`: it must outlive the query (string literals do).
inline jobber_value TextValue(std::string_view text) {
    return jobber_value{JOBBER_VALUE_TEXT, 0, 0, 0.0, text.data(), text.size()};
}

// Query borrows `task` and `sql` (string_views), so they must outlive its use.
inline sdk::Query MakeQuery(std::string_view task, std::string_view sql, uint64_t id = 1) {
    sdk::Query query;
    query.id = id;
    query.task_name = task;
    query.sql = sql;
    return query;
}

// Every batch of a stream, in order.
inline std::vector<sdk::OwnedArray> Drain(sdk::RowStream& stream) {
    std::vector<sdk::OwnedArray> batches;
    for (;;) {
        ArrowArray array{};
        if (!stream.Next(&array)) break;
        batches.emplace_back(&array);
    }
    return batches;
}

// Bytes held by the buffers of a batch built by BatchBuilder (for text: offsets and data).
inline size_t BatchBytes(const ArrowArray& batch, const sdk::Schema& schema) {
    size_t total = 0;
    for (int64_t i = 0; i < batch.n_children; ++i) {
        const ArrowArray& child = *batch.children[i];
        const auto n = static_cast<size_t>(child.length);
        switch (schema[static_cast<size_t>(i)].type) {
            case sdk::ColumnType::kText:
            case sdk::ColumnType::kDecimal:
                total += (n + 1) * 4 + static_cast<size_t>(static_cast<const int32_t*>(child.buffers[1])[n]);
                break;
            case sdk::ColumnType::kDate:
                total += n * 4;
                break;
            case sdk::ColumnType::kBoolean:
                total += (n + 7) / 8;
                break;
            default:
                total += n * 8;
                break;
        }
        if (child.buffers[0] != nullptr) total += (n + 7) / 8;
    }
    return total;
}

// One cell as text, for compact assertions: "NULL", numbers, "true"/"false", dates and
// timestamps formatted like the results backend stores them.
inline std::string Cell(const sdk::BatchView& view, size_t column, int64_t row) {
    if (view.IsNull(column, row)) return "NULL";
    switch (view.schema()[column].type) {
        case sdk::ColumnType::kBigInt:
            return std::to_string(view.Int64(column, row));
        case sdk::ColumnType::kDouble: {
            std::ostringstream out;
            out << view.Double(column, row);
            return out.str();
        }
        case sdk::ColumnType::kBoolean:
            return view.Bool(column, row) ? "true" : "false";
        case sdk::ColumnType::kDate:
            return sdk::FormatDate(view.Date(column, row));
        case sdk::ColumnType::kTimestamp:
            return sdk::FormatTimestamp(view.Int64(column, row));
        case sdk::ColumnType::kDecimal:
        case sdk::ColumnType::kText:
            return std::string(view.Text(column, row));
    }
    return "?";
}

}  // namespace jobber::sqlite::testing
