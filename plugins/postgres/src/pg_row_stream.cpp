#include "pg_row_stream.hpp"

#include <utility>

#include "pg_error.hpp"
#include "pg_query.hpp"
#include "type_mapping.hpp"
#include "value_reader.hpp"

namespace jobber::postgres {

namespace {
// Rows between stop checks while rows arrive faster than the socket ever makes us wait.
constexpr int64_t kRowsPerStopCheck = 1024;
}  // namespace

PgRowStream::PgRowStream(
    Lease lease, std::unique_ptr<QueryRegistration> registration, Result first, int64_t batch_rows, std::string context)
    : lease_(std::move(lease)),
      registration_(std::move(registration)),
      pending_(std::move(first)),
      batch_rows_(batch_rows > 0 ? batch_rows : 10000),
      context_(std::move(context)) {
    const int fields = PQnfields(pending_.get());
    schema_.reserve(static_cast<size_t>(fields));
    for (int i = 0; i < fields; ++i) {
        const char* name = PQfname(pending_.get(), i);
        schema_.push_back({name != nullptr ? name : "", ColumnTypeFromOid(PQftype(pending_.get(), i))});
    }
    builder_.emplace(schema_);
}

PgRowStream::~PgRowStream() {
    Finish();
}

void PgRowStream::Finish() {
    pending_.reset();
    if (registration_ == nullptr) return;
    SettleConnection(std::move(lease_), registration_->control());
    registration_.reset();
}

bool PgRowStream::Next(ArrowArray* out) {
    if (failure_) throw *failure_;
    if (done_ && builder_->rows() == 0) return false;
    try {
        return FillBatch(out);
    } catch (const sdk::Error& e) {
        failure_ = e;
    } catch (const std::exception& e) {
        failure_ = sdk::Error(JOBBER_INTERNAL, context_ + ": " + e.what());
    }
    // The builder may hold half a row now; the stream stays failed with the same error.
    done_ = true;
    Finish();
    throw *failure_;
}

void PgRowStream::AppendRow(const PGresult* row) {
    ++rows_read_;
    const int columns = static_cast<int>(schema_.size());
    for (int i = 0; i < columns; ++i) AppendValue(row, 0, i, schema_[static_cast<size_t>(i)], rows_read_, *builder_);
}

bool PgRowStream::FillBatch(ArrowArray* out) {
    while (!done_) {
        QueryControl& control = registration_->control();
        if (rows_read_ % kRowsPerStopCheck == 0) control.Check();
        if (pending_ == nullptr) pending_ = AwaitResult(*lease_, control, context_);
        if (pending_ == nullptr) {
            done_ = true;
            break;
        }
        const ExecStatusType status = PQresultStatus(pending_.get());
        if (status == PGRES_SINGLE_TUPLE) {
            AppendRow(pending_.get());
            pending_.reset();
            if (builder_->rows() >= batch_rows_ || builder_->ByteSize() > kMaxBatchBytes) {
                builder_->Finish(out);
                return true;
            }
            continue;
        }
        if (status == PGRES_TUPLES_OK) {
            // The end of the rows. Reading the final (null) result leaves the connection idle, so it
            // goes back to the pool now rather than when the caller releases the stream.
            pending_.reset();
            Result tail = AwaitResult(*lease_, control, context_);
            done_ = true;
            Finish();
            break;
        }
        if (control.ShouldStop()) control.ThrowStopped();
        ThrowResultError(lease_->handle(), pending_.get(), context_);
    }
    if (builder_->rows() == 0) return false;
    builder_->Finish(out);
    return true;
}

}  // namespace jobber::postgres
