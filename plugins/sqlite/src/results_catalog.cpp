#include "results_catalog.hpp"

#include "identifiers.hpp"
#include "sqlite_error.hpp"

namespace jobber::sqlite {

namespace {

void BindText(sqlite3_stmt* stmt, int param, std::string_view text) {
    const int rc =
        sqlite3_bind_text64(stmt, param, text.empty() ? "" : text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) ThrowSqlite(sqlite3_db_handle(stmt), rc, std::string(kCatalogTable));
}

void StepToEnd(sqlite3_stmt* stmt, const std::string& context) {
    int rc = SQLITE_ROW;
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) ThrowSqlite(sqlite3_db_handle(stmt), rc, context);
}

}  // namespace

void CreateCatalog(SqliteConnection& connection) {
    connection.Exec(std::string("CREATE TABLE IF NOT EXISTS ") + QuoteIdentifier(kCatalogTable) +
                        " (table_name TEXT PRIMARY KEY, job_id TEXT, expires_at INTEGER, state TEXT)",
                    std::string("cannot create ") + kCatalogTable);
}

void RecordTable(SqliteConnection& connection,
                 std::string_view table_name,
                 std::string_view job_id,
                 int64_t expires_at_unix_ms,
                 const char* state) {
    const std::string context = "cannot record result table '" + std::string(table_name) + "'";
    Statement stmt = connection.Prepare(std::string("INSERT INTO ") + QuoteIdentifier(kCatalogTable) +
                                            " (table_name, job_id, expires_at, state) VALUES (?1, ?2, ?3, ?4) "
                                            "ON CONFLICT (table_name) DO UPDATE SET job_id = excluded.job_id, "
                                            "expires_at = excluded.expires_at, state = excluded.state",
                                        context);
    BindText(stmt.get(), 1, table_name);
    BindText(stmt.get(), 2, job_id);
    sqlite3_bind_int64(stmt.get(), 3, expires_at_unix_ms);
    BindText(stmt.get(), 4, state);
    StepToEnd(stmt.get(), context);
}

void ForgetTable(SqliteConnection& connection, std::string_view table_name) {
    const std::string context = "cannot forget result table '" + std::string(table_name) + "'";
    Statement stmt = connection.Prepare(
        std::string("DELETE FROM ") + QuoteIdentifier(kCatalogTable) + " WHERE table_name = ?1", context);
    BindText(stmt.get(), 1, table_name);
    StepToEnd(stmt.get(), context);
}

std::vector<std::string> ExpiredTables(SqliteConnection& connection, int64_t now_unix_ms) {
    const std::string context = std::string("cannot list expired tables in ") + kCatalogTable;
    Statement stmt = connection.Prepare(std::string("SELECT table_name FROM ") + QuoteIdentifier(kCatalogTable) +
                                            " WHERE expires_at > 0 AND expires_at <= ?1 ORDER BY table_name",
                                        context);
    sqlite3_bind_int64(stmt.get(), 1, now_unix_ms);
    std::vector<std::string> tables;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
        const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
        if (name != nullptr) tables.emplace_back(name, static_cast<size_t>(sqlite3_column_bytes(stmt.get(), 0)));
    }
    if (rc != SQLITE_DONE) ThrowSqlite(connection.handle(), rc, context);
    return tables;
}

std::string TableWithOtherCase(SqliteConnection& connection, std::string_view table_name) {
    const std::string context = "cannot check result table '" + std::string(table_name) + "'";
    Statement stmt = connection.Prepare(
        "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE AND name <> ?1 "
        "COLLATE BINARY LIMIT 1",
        context);
    BindText(stmt.get(), 1, table_name);
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_ROW) {
        const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
        return name != nullptr ? std::string(name) : std::string();
    }
    if (rc != SQLITE_DONE) ThrowSqlite(connection.handle(), rc, context);
    return {};
}

bool DropTableIfExists(SqliteConnection& connection, std::string_view table_name) {
    const std::string context = "cannot drop result table '" + std::string(table_name) + "'";
    // Table names compare like identifiers: ignoring ASCII case.
    Statement exists = connection.Prepare(
        "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE", context);
    BindText(exists.get(), 1, table_name);
    const int rc = sqlite3_step(exists.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) ThrowSqlite(connection.handle(), rc, context);
    exists.reset();
    if (rc == SQLITE_DONE) return false;
    connection.Exec("DROP TABLE IF EXISTS " + QuoteIdentifier(table_name), context);
    return true;
}

}  // namespace jobber::sqlite
