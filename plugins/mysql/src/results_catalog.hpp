// The `_jobber_results` metadata table: which tables the backend made, for which job, until when.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mysql_connection.hpp"

namespace jobber::mysql {

constexpr const char* kCatalogTable = "_jobber_results";
constexpr const char* kStateWriting = "writing";  // a temporary table being filled
constexpr const char* kStateReady = "ready";      // a published table
constexpr const char* kStateRetired = "retired";  // a replaced table about to be dropped

void CreateCatalog(MysqlConnection& connection);

// Inserts or replaces the row of `table_name`.
void RecordTable(MysqlConnection& connection,
                 std::string_view table_name,
                 std::string_view job_id,
                 int64_t expires_at_unix_ms,
                 const char* state);
void ForgetTable(MysqlConnection& connection, std::string_view table_name);
// Names of tables with 0 < expires_at <= now, in name order.
std::vector<std::string> ExpiredTables(MysqlConnection& connection, int64_t now_unix_ms);
// Whether a base table of that exact name exists in the connection's database.
bool TableExists(MysqlConnection& connection, std::string_view table_name);

}  // namespace jobber::mysql
