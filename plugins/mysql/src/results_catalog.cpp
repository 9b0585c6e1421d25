#include "results_catalog.hpp"

#include "identifiers.hpp"

namespace jobber::mysql {

void CreateCatalog(MysqlConnection& connection) {
    // Binary collation: MySQL table names are case-sensitive on Linux, and so are these keys.
    connection.Exec(std::string("CREATE TABLE IF NOT EXISTS ") + QuoteIdentifier(kCatalogTable) +
                        " (table_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,"
                        " job_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
                        " expires_at BIGINT NOT NULL, state VARCHAR(16) NOT NULL, KEY (expires_at))"
                        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
                    std::string("cannot create the metadata table ") + kCatalogTable);
}

void RecordTable(MysqlConnection& connection,
                 std::string_view table_name,
                 std::string_view job_id,
                 int64_t expires_at_unix_ms,
                 const char* state) {
    ExecWithText(connection,
                 std::string("INSERT INTO ") + QuoteIdentifier(kCatalogTable) +
                     " (table_name, job_id, expires_at, state) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                     " job_id = VALUES(job_id), expires_at = VALUES(expires_at), state = VALUES(state)",
                 {std::string(table_name), std::string(job_id), std::to_string(expires_at_unix_ms), std::string(state)},
                 "cannot record result table '" + std::string(table_name) + "' in " + kCatalogTable);
}

void ForgetTable(MysqlConnection& connection, std::string_view table_name) {
    ExecWithText(connection, std::string("DELETE FROM ") + QuoteIdentifier(kCatalogTable) + " WHERE table_name = ?",
                 {std::string(table_name)},
                 "cannot remove result table '" + std::string(table_name) + "' from " + kCatalogTable);
}

std::vector<std::string> ExpiredTables(MysqlConnection& connection, int64_t now_unix_ms) {
    const TextRows rows =
        QueryWithText(connection,
                      std::string("SELECT table_name FROM ") + QuoteIdentifier(kCatalogTable) +
                          " WHERE expires_at > 0 AND expires_at <= ? ORDER BY table_name",
                      {std::to_string(now_unix_ms)}, std::string("cannot list expired tables in ") + kCatalogTable);
    std::vector<std::string> tables;
    for (const auto& row : rows) {
        if (!row.empty() && row[0]) tables.push_back(*row[0]);
    }
    return tables;
}

bool TableExists(MysqlConnection& connection, std::string_view table_name) {
    const TextRows rows = QueryWithText(connection,
                                        // information_schema compares names ignoring case; the
                                        // binary comparison makes it exact, like MySQL on Linux.
                                        "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
                                        " AND TABLE_NAME = ? AND CAST(TABLE_NAME AS BINARY) = CAST(? AS BINARY)"
                                        " AND TABLE_TYPE = 'BASE TABLE'",
                                        {std::string(table_name), std::string(table_name)},
                                        "cannot look up table '" + std::string(table_name) + "'");
    return !rows.empty();
}

}  // namespace jobber::mysql
