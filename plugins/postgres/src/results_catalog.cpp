#include "results_catalog.hpp"

#include "identifiers.hpp"
#include "jobber/sdk/error.hpp"

namespace jobber::postgres {

namespace {

std::string Catalog() {
    return QuoteIdentifier(kCatalogTable);
}

}  // namespace

void CreateCatalog(PgConnection& connection) {
    try {
        connection.Exec("CREATE TABLE IF NOT EXISTS " + Catalog() +
                            " (table_name text PRIMARY KEY, job_id text NOT NULL, expires_at bigint NOT NULL, "
                            "created_at timestamptz NOT NULL DEFAULT now())",
                        "cannot create the metadata table " + std::string(kCatalogTable) + " on PostgreSQL at " +
                            connection.description());
    } catch (const sdk::Error& e) {
        // IF NOT EXISTS is not atomic: two processes starting together can both try to create it,
        // and the loser gets a duplicate-key error on the catalog. The table exists either way.
        if (e.sqlstate() != "23505" && e.sqlstate() != "42P07") throw;
    }
}

PipelinedStatement RecordTableStatement(std::string_view table_name, std::string_view job_id, int64_t expires_at) {
    return {"INSERT INTO " + Catalog() +
                " (table_name, job_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (table_name) DO "
                "UPDATE SET job_id = excluded.job_id, expires_at = excluded.expires_at, created_at = now()",
            {std::string(table_name), std::string(job_id), std::to_string(expires_at)}};
}

void ForgetTable(PgConnection& connection, std::string_view table_name) {
    connection.ExecParams(
        "DELETE FROM " + Catalog() + " WHERE table_name = $1", {table_name},
        "cannot forget result table '" + std::string(table_name) + "' in " + std::string(kCatalogTable));
}

std::vector<std::string> ExpiredTables(PgConnection& connection, int64_t now_unix_ms) {
    const std::string now = std::to_string(now_unix_ms);
    Result result = connection.ExecParams(
        "SELECT table_name FROM " + Catalog() + " WHERE expires_at > 0 AND expires_at <= $1 ORDER BY table_name",
        {std::string_view(now)}, "cannot list expired result tables in " + std::string(kCatalogTable));
    std::vector<std::string> tables;
    const int rows = PQntuples(result.get());
    tables.reserve(static_cast<size_t>(rows));
    for (int i = 0; i < rows; ++i) {
        tables.emplace_back(PQgetvalue(result.get(), i, 0), static_cast<size_t>(PQgetlength(result.get(), i, 0)));
    }
    return tables;
}

bool TableExists(PgConnection& connection, std::string_view table_name) {
    Result result = connection.ExecParams("SELECT to_regclass(quote_ident($1)) IS NOT NULL", {table_name},
                                          "cannot look up result table '" + std::string(table_name) + "'");
    return PQntuples(result.get()) == 1 && PQgetvalue(result.get(), 0, 0)[0] == 't';
}

bool ClaimExpired(PgConnection& connection, std::string_view table_name, int64_t now_unix_ms) {
    const std::string now = std::to_string(now_unix_ms);
    Result result = connection.ExecParams("DELETE FROM " + Catalog() +
                                              " WHERE table_name = $1 AND expires_at > 0 AND expires_at <= $2 "
                                              "RETURNING 1",
                                          {table_name, std::string_view(now)},
                                          "cannot claim expired result table '" + std::string(table_name) + "'");
    return PQntuples(result.get()) > 0;
}

}  // namespace jobber::postgres
