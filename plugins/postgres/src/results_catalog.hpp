// The _jobber_results metadata table: which result tables exist, for which job, until when.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pg_connection.hpp"

namespace jobber::postgres {

inline constexpr std::string_view kCatalogTable = "_jobber_results";
// Tables being written are named kTempPrefix + 16 hex digits; they only ever exist inside the
// writing transaction, so no other session sees them.
inline constexpr std::string_view kTempPrefix = "_jobber_tmp_";

// CREATE TABLE IF NOT EXISTS, tolerating another process creating it at the same moment.
void CreateCatalog(PgConnection& connection);

// The statement that inserts or replaces the row of `table_name`; expires_at is Unix ms, 0 for never. Run by the
// writer in the pipeline that publishes the table.
PipelinedStatement RecordTableStatement(std::string_view table_name, std::string_view job_id, int64_t expires_at);

// Deletes the row of `table_name` (if any).
void ForgetTable(PgConnection& connection, std::string_view table_name);

// Names of tables whose 0 < expires_at <= now_unix_ms.
std::vector<std::string> ExpiredTables(PgConnection& connection, int64_t now_unix_ms);

// Whether a table of that name is visible on the session's search path.
bool TableExists(PgConnection& connection, std::string_view table_name);

// Deletes the row of `table_name` if it is still expired at now_unix_ms (a re-run may have
// published it anew meanwhile); true when it did. Locks the row until the transaction ends.
bool ClaimExpired(PgConnection& connection, std::string_view table_name, int64_t now_unix_ms);

}  // namespace jobber::postgres
