#include "mysql_row_stream.hpp"

#include <utility>

#include "jobber/sdk/host.hpp"
#include "mysql_error.hpp"

namespace jobber::mysql {

namespace {
// Rows between checks of the cancel flag and the deadline (the server-side KILL stops a running
// query anyway; this catches a cancel between the last row and the end of a batch cheaply).
constexpr int64_t kCheckEveryRows = 1024;
}  // namespace

MysqlRowStream::MysqlRowStream(Lease lease,
                               std::unique_ptr<QueryRegistration> registration,
                               MYSQL_STMT* stmt,
                               Statement owned,
                               std::unique_ptr<RowReader> reader,
                               int64_t batch_rows,
                               std::string context)
    : lease_(std::move(lease)),
      registration_(std::move(registration)),
      stmt_(stmt),
      owned_(std::move(owned)),
      reader_(std::move(reader)),
      batch_rows_(batch_rows > 0 ? batch_rows : 10000),
      context_(std::move(context)) {
    if (reader_ == nullptr) {
        server_done_ = true;  // a statement without a result set: no rows, no columns
    } else {
        for (const ColumnInfo& column : reader_->columns()) schema_.push_back({column.name, column.type});
    }
    builder_.emplace(schema_);
}

MysqlRowStream::~MysqlRowStream() {
    Release();
}

void MysqlRowStream::Release() noexcept {
    if (!lease_) return;
    QueryControl& control = registration_->control();
    if (!server_done_) {
        // Rows are still coming: stop the query in the server, then cut the socket so that
        // freeing the result does not read the rest of it.
        registration_->Kill();
        lease_->Abort();
    }
    // Before the connection can go back to the pool: waits for a KILL in flight, and none can follow.
    registration_->Unregister();
    if (control.killed()) lease_->MarkBroken();
    reader_.reset();
    if (stmt_ != nullptr && !lease_->broken()) mysql_stmt_free_result(stmt_);
    owned_.reset();
    stmt_ = nullptr;
    lease_ = Lease();
}

bool MysqlRowStream::ReadRow() {
    const QueryControl& control = registration_->control();
    try {
        if (!reader_->ReadRow(*builder_, rows_read_ + 1)) {
            server_done_ = true;
            return false;
        }
    } catch (const sdk::Error& e) {
        // A server or protocol error ends the result; a conversion error (vendor code 0) does not.
        if (e.vendor_code() != 0) server_done_ = true;
        if (IsConnectionError(static_cast<unsigned int>(e.vendor_code()))) lease_->MarkBroken();
        if (control.ShouldStop()) control.ThrowStopped();
        throw;
    }
    ++rows_read_;
    if (rows_read_ % kCheckEveryRows == 0) control.Check();
    return true;
}

bool MysqlRowStream::Next(ArrowArray* out) {
    if (failure_) throw *failure_;
    if (!lease_) throw sdk::Error(JOBBER_FAILED_PRECONDITION, context_ + ": the stream was released");
    try {
        return FillBatch(out);
    } catch (const sdk::Error& e) {
        // The builder may hold half a row now; the stream stays failed with the same error.
        failure_ = e;
        throw;
    } catch (const std::exception& e) {
        failure_ = sdk::Error(JOBBER_INTERNAL, context_ + ": " + e.what());
        throw *failure_;
    }
}

bool MysqlRowStream::FillBatch(ArrowArray* out) {
    const QueryControl& control = registration_->control();
    control.Check();
    while (!server_done_) {
        if (!ReadRow()) break;
        if (builder_->rows() >= batch_rows_ || builder_->ByteSize() > kMaxBatchBytes) {
            builder_->Finish(out);
            return true;
        }
    }
    // A killed SELECT SLEEP(n) ends normally with the value 1: the flag, not the server, says
    // whether the rows are complete.
    control.Check();
    if (builder_->rows() == 0) return false;
    builder_->Finish(out);
    return true;
}

}  // namespace jobber::mysql
