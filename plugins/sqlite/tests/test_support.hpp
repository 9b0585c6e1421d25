// Helpers shared by the SQLite plugin tests: throw-away database files and batch readers.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/roles.hpp"
#include "jobber/sdk/time.hpp"
#include "jobber/testing/role_test_support.hpp"

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

// Open arguments, query values, queries and stream reading come from the SDK's testing helpers.
using jobber::testing::BoolValue;
using jobber::testing::DoubleValue;
using jobber::testing::IntValue;
using jobber::testing::MakeQuery;
using jobber::testing::NullValue;
using jobber::testing::TextValue;

inline sdk::OpenArgs Args(const std::vector<std::pair<std::string, std::string>>& config) {
    return jobber::testing::MakeOpenArgs(config);
}

// Every batch of a stream, in order.
inline std::vector<sdk::OwnedArray> Drain(sdk::RowStream& stream) {
    return jobber::testing::DrainStream(stream);
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

// One cell as text, for compact assertions: "NULL", numbers (DOUBLE with 6 significant digits,
// as an ostream writes it), "true"/"false", dates and timestamps formatted like the results
// backend stores them.
inline std::string Cell(const sdk::BatchView& view, size_t column, int64_t row) {
    return jobber::testing::CellText(view, column, row, 6);
}

}  // namespace jobber::sqlite::testing
