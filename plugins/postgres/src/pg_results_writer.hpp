// One results table being written: created under a temporary name inside a transaction, filled
// with COPY, and published under its final name by the same transaction's commit.
#pragma once

#include <memory>
#include <string>

#include "connection_pool.hpp"
#include "copy_encoder.hpp"
#include "jobber/sdk/roles.hpp"
#include "settings.hpp"

namespace jobber::postgres {

class PgResultsWriter final : public sdk::ResultsWriter {
public:
    // BEGIN; CREATE [UNLOGGED] TABLE <temp> (...); COPY <temp> FROM STDIN. The connection stays in
    // that transaction until Commit or destruction. Throws (discarding a broken connection) when
    // any of it fails.
    PgResultsWriter(Lease lease,
                    sdk::ResultsTarget target,
                    const sdk::Schema& schema,
                    const ResultsSettings& settings,
                    std::string component);
    // Without Commit: ends the COPY with an error and rolls back, so the temporary table never existed.
    ~PgResultsWriter() override;

    void Write(const sdk::BatchView& batch) override;
    // Ends the COPY, then DROP TABLE IF EXISTS <final>; ALTER TABLE <temp> RENAME TO <final>; upserts
    // the metadata row; COMMIT. Readers see the old table or the complete new one, never a part.
    void Commit() override;

private:
    void Send(const std::string& bytes);
    [[noreturn]] void FailCopy(const std::string& context);
    void Abandon() noexcept;

    Lease lease_;
    const sdk::ResultsTarget target_;
    const std::string component_;
    const std::string temp_name_;
    const int64_t replace_lock_timeout_ms_;
    CopyEncoder encoder_;
    std::string buffer_;
    bool copying_ = false;
    bool committed_ = false;
};

}  // namespace jobber::postgres
