// One result table being written: a hidden temporary table, filled batch by batch, renamed to
// its final name on commit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "jobber/sdk/roles.hpp"
#include "sqlite_connection.hpp"

namespace jobber::sqlite {

// Metadata rows of tables still being written expire after this, so the sweep removes the
// leftovers of a crashed writer.
constexpr int64_t kWritingExpiryMs = 24 * 60 * 60 * 1000;

class SqliteResultsWriter final : public sdk::ResultsWriter {
public:
    // Records and creates the temporary table on `connection` (the writer's own). Throws with
    // nothing left behind.
    SqliteResultsWriter(std::unique_ptr<SqliteConnection> connection,
                        sdk::ResultsTarget target,
                        const sdk::Schema& schema,
                        std::string component);
    // Without Commit: drops the temporary table and its metadata row; errors are logged.
    ~SqliteResultsWriter() override;

    void Write(const sdk::BatchView& batch) override;
    void Commit() override;

    const std::string& temp_name() const { return temp_name_; }

private:
    void Abandon() noexcept;

    std::unique_ptr<SqliteConnection> connection_;
    const sdk::ResultsTarget target_;
    const std::string component_;
    const std::string temp_name_;
    Statement insert_;
    bool committed_ = false;
};

}  // namespace jobber::sqlite
