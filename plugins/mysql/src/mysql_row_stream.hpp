// The rows of one running query, pulled in batches. Holds the pooled connection until destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "connection_pool.hpp"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/error.hpp"
#include "jobber/sdk/roles.hpp"
#include "query_registry.hpp"
#include "row_reader.hpp"

namespace jobber::mysql {

// A batch is cut at batch_rows rows or as soon as its buffers exceed this, whichever comes first,
// so wide text columns cannot make a batch (and the host's memory) grow without bound.
constexpr size_t kMaxBatchBytes = 8u << 20;

class MysqlRowStream final : public sdk::RowStream {
public:
    // `reader` reads the executed statement's result (from `stmt`, a cached statement of the
    // leased connection or `owned`, or from a text-protocol result). The stream gives the
    // connection back when destroyed; if the result was not read to its end, it first kills the
    // query in the server and closes the connection instead of draining millions of rows.
    MysqlRowStream(Lease lease,
                   std::unique_ptr<QueryRegistration> registration,
                   MYSQL_STMT* stmt,
                   Statement owned,
                   std::unique_ptr<RowReader> reader,
                   int64_t batch_rows,
                   std::string context);
    ~MysqlRowStream() override;

    const sdk::Schema& schema() const override { return schema_; }
    bool Next(ArrowArray* out) override;

private:
    bool FillBatch(ArrowArray* out);
    // Reads one row; false at the end. Turns errors caused by a cancel or timeout into those.
    bool ReadRow();
    void Release() noexcept;

    Lease lease_;
    std::unique_ptr<QueryRegistration> registration_;
    MYSQL_STMT* stmt_;
    Statement owned_;
    std::unique_ptr<RowReader> reader_;
    const int64_t batch_rows_;
    const std::string context_;
    sdk::Schema schema_;
    std::optional<sdk::BatchBuilder> builder_;
    bool server_done_ = false;  // the server sent the end of the result, or an error ending it
    std::optional<sdk::Error> failure_;
    int64_t rows_read_ = 0;
};

}  // namespace jobber::mysql
