// The rows of one running query, pulled in batches. Holds the pooled connection until destroyed.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "connection_pool.hpp"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/roles.hpp"
#include "query_control.hpp"

namespace jobber::sqlite {

// A batch is cut at batch_rows rows or as soon as its buffers exceed this, whichever comes first,
// so wide text columns cannot make a batch (and the host's memory) grow without bound.
constexpr size_t kMaxBatchBytes = 8u << 20;

class SqliteRowStream final : public sdk::RowStream {
public:
    // `stmt` is bound and not yet stepped; it lives in `lease`'s statement cache, or is owned
    // by the stream when `owned` is set (raw tasks). The stream attaches `registration` to the
    // connection, so Cancel can interrupt it, and installs its progress handler; both are undone
    // before the connection goes back to the pool. Works out the schema, stepping the first row
    // when an expression column has no declared type; errors there throw from the constructor.
    SqliteRowStream(Lease lease,
                    sqlite3_stmt* stmt,
                    Statement owned,
                    std::unique_ptr<QueryRegistration> registration,
                    int64_t batch_rows,
                    std::string context);
    ~SqliteRowStream() override;

    const sdk::Schema& schema() const override { return schema_; }
    bool Next(ArrowArray* out) override;

private:
    // Steps to the next row; false at the end. Throws on errors, cancel and timeout.
    bool Step();
    bool FillBatch(ArrowArray* out);
    void Release();

    Lease lease_;
    sqlite3_stmt* stmt_;
    Statement owned_;
    std::unique_ptr<QueryRegistration> registration_;
    const int64_t batch_rows_;
    const std::string context_;
    sdk::Schema schema_;
    std::optional<sdk::BatchBuilder> builder_;
    bool has_pending_row_ = false;  // the row stepped while working out the schema
    bool done_ = false;
    std::optional<sdk::Error> failure_;
    int64_t rows_read_ = 0;
};

}  // namespace jobber::sqlite
