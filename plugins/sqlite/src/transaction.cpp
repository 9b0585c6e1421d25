#include "transaction.hpp"

#include <utility>

#include "jobber/sdk/error.hpp"
#include "jobber/sdk/host.hpp"

namespace jobber::sqlite {

Transaction::Transaction(SqliteConnection& connection, std::string context)
    : connection_(connection), context_(std::move(context)) {
    connection_.Exec("BEGIN IMMEDIATE", context_);
}

Transaction::~Transaction() {
    // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) already rolled the transaction back.
    if (!open_ || sqlite3_get_autocommit(connection_.handle()) != 0) return;
    try {
        connection_.Exec("ROLLBACK", context_ + ": rollback");
    } catch (const sdk::Error& e) {
        // The error that made us roll back is already on its way to the caller; this one can
        // only be logged. The connection is left in its transaction and its next BEGIN fails.
        sdk::Log(sdk::LogLevel::kError, "sqlite", e.what());
    }
}

void Transaction::Commit() {
    connection_.Exec("COMMIT", context_ + ": commit");
    open_ = false;
}

}  // namespace jobber::sqlite
