#include "sqlite_row_stream.hpp"

#include <utility>

#include "jobber/sdk/error.hpp"
#include "sqlite_error.hpp"
#include "type_mapping.hpp"
#include "value_reader.hpp"

namespace jobber::sqlite {

SqliteRowStream::SqliteRowStream(Lease lease,
                                 sqlite3_stmt* stmt,
                                 Statement owned,
                                 std::unique_ptr<QueryRegistration> registration,
                                 int64_t batch_rows,
                                 std::string context)
    : lease_(std::move(lease)),
      stmt_(stmt),
      owned_(std::move(owned)),
      registration_(std::move(registration)),
      batch_rows_(batch_rows > 0 ? batch_rows : 10000),
      context_(std::move(context)) {
    try {
        sqlite3* db = sqlite3_db_handle(stmt_);
        registration_->Attach(db);
        registration_->control().Install(db);
        const int count = sqlite3_column_count(stmt_);
        schema_.reserve(static_cast<size_t>(count));
        bool needs_first_row = false;
        for (int i = 0; i < count; ++i) {
            const char* name = sqlite3_column_name(stmt_, i);
            const char* declared = sqlite3_column_decltype(stmt_, i);
            if (declared == nullptr) needs_first_row = true;
            schema_.push_back({name != nullptr ? name : "",
                               declared != nullptr ? ColumnTypeFromDecltype(declared) : sdk::ColumnType::kText});
        }
        // Expression columns have no declared type; their first value's storage class is the
        // best evidence there is. With no rows at all they stay TEXT.
        if (needs_first_row) {
            has_pending_row_ = Step();
            if (has_pending_row_) {
                for (int i = 0; i < count; ++i) {
                    if (sqlite3_column_decltype(stmt_, i) == nullptr) {
                        schema_[static_cast<size_t>(i)].type =
                            ColumnTypeFromStorageClass(sqlite3_column_type(stmt_, i));
                    }
                }
            }
        }
        builder_.emplace(schema_);
    } catch (...) {
        Release();
        throw;
    }
}

SqliteRowStream::~SqliteRowStream() {
    Release();
}

void SqliteRowStream::Release() {
    if (stmt_ == nullptr) return;
    sqlite3* db = sqlite3_db_handle(stmt_);
    // First, so a late Cancel can no longer interrupt the connection once someone else has it.
    registration_->Unregister();
    QueryControl::Uninstall(db);
    // reset() repeats the statement's last error (e.g. SQLITE_INTERRUPT after a cancel); that
    // error was already reported by Next, so its return value is deliberately not checked.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    owned_.reset();
    stmt_ = nullptr;
    lease_ = Lease();
}

bool SqliteRowStream::Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        ++rows_read_;
        return true;
    }
    if (rc == SQLITE_DONE) {
        done_ = true;
        return false;
    }
    done_ = true;
    if ((rc & 0xff) == SQLITE_INTERRUPT) registration_->control().ThrowStopped();
    ThrowSqlite(sqlite3_db_handle(stmt_), rc, context_);
}

bool SqliteRowStream::Next(ArrowArray* out) {
    if (failure_) throw *failure_;
    if (stmt_ == nullptr) throw sdk::Error(JOBBER_FAILED_PRECONDITION, context_ + ": the stream was released");
    try {
        return FillBatch(out);
    } catch (const sdk::Error& e) {
        // The builder may hold half a row now; the stream stays failed with the same error.
        failure_ = e;
        done_ = true;
        throw;
    } catch (const std::exception& e) {
        failure_ = sdk::Error(JOBBER_INTERNAL, context_ + ": " + e.what());
        done_ = true;
        throw;
    }
}

bool SqliteRowStream::FillBatch(ArrowArray* out) {
    const QueryControl& control = registration_->control();
    const size_t columns = schema_.size();
    while (!done_) {
        if (has_pending_row_) {
            has_pending_row_ = false;
        } else {
            control.Check();
            if (!Step()) break;
        }
        for (size_t i = 0; i < columns; ++i) {
            AppendValue(stmt_, static_cast<int>(i), schema_[i], rows_read_, *builder_);
        }
        if (builder_->rows() >= batch_rows_ || builder_->ByteSize() > kMaxBatchBytes) {
            builder_->Finish(out);
            return true;
        }
    }
    if (builder_->rows() == 0) return false;
    builder_->Finish(out);
    return true;
}

}  // namespace jobber::sqlite
