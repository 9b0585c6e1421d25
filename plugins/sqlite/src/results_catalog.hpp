// The _jobber_results metadata table: which result tables exist, for which job, until when.
// Functions run on the caller's connection and inside the caller's transaction, if any.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite_connection.hpp"

namespace jobber::sqlite {

inline constexpr const char* kCatalogTable = "_jobber_results";

// Result tables while being written ('writing') and once published ('ready').
inline constexpr const char* kStateWriting = "writing";
inline constexpr const char* kStateReady = "ready";

void CreateCatalog(SqliteConnection& connection);

// Inserts or replaces the row of `table_name`. `expires_at_unix_ms` 0 means never.
void RecordTable(SqliteConnection& connection,
                 std::string_view table_name,
                 std::string_view job_id,
                 int64_t expires_at_unix_ms,
                 const char* state);

void ForgetTable(SqliteConnection& connection, std::string_view table_name);

// Tables listed with 0 < expires_at <= now_unix_ms.
std::vector<std::string> ExpiredTables(SqliteConnection& connection, int64_t now_unix_ms);

// The name of an existing table that differs from `table_name` only in letter case, or "".
// SQLite identifiers ignore ASCII case, so publishing would replace that table.
std::string TableWithOtherCase(SqliteConnection& connection, std::string_view table_name);

// Drops the table when it exists; returns whether it did.
bool DropTableIfExists(SqliteConnection& connection, std::string_view table_name);

}  // namespace jobber::sqlite
