// The rows of one running query, read in single-row mode and cut into batches. Holds the pooled
// connection until the last row was read, or until destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connection_pool.hpp"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/roles.hpp"
#include "pg_connection.hpp"
#include "query_control.hpp"

namespace jobber::postgres {

// A batch is cut at batch_rows rows or as soon as its buffers exceed this, whichever comes first,
// so wide text columns cannot make a batch (and the host's memory) grow without bound.
constexpr size_t kMaxBatchBytes = 8u << 20;

class PgRowStream final : public sdk::RowStream {
public:
    // `first` is the query's first result (its first row, or the end of an empty result); it
    // carries the column names and types. The stream settles the connection (see
    // SettleConnection) and unregisters the query once done, failed or destroyed.
    PgRowStream(Lease lease,
                std::unique_ptr<QueryRegistration> registration,
                Result first,
                int64_t batch_rows,
                std::string context);
    ~PgRowStream() override;

    const sdk::Schema& schema() const override { return schema_; }
    bool Next(ArrowArray* out) override;

private:
    bool FillBatch(ArrowArray* out);
    void AppendRow(const PGresult* row);
    // Gives the connection back and unregisters the query; idempotent.
    void Finish();

    Lease lease_;
    std::unique_ptr<QueryRegistration> registration_;
    Result pending_;  // a result read but not yet consumed
    const int64_t batch_rows_;
    const std::string context_;
    sdk::Schema schema_;
    std::optional<sdk::BatchBuilder> builder_;
    bool done_ = false;
    std::optional<sdk::Error> failure_;
    int64_t rows_read_ = 0;
};

}  // namespace jobber::postgres
