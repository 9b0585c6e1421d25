// One result table being written: a hidden temporary table, filled batch by batch, renamed to its
// final name on commit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "batch_loader.hpp"
#include "connection_pool.hpp"
#include "jobber/sdk/roles.hpp"

namespace jobber::mysql {

// Metadata rows of tables still being written expire after this, so the sweep removes the
// leftovers of a crashed writer.
constexpr int64_t kWritingExpiryMs = 24 * 60 * 60 * 1000;

struct WriterSettings {
    WriteMethod method = WriteMethod::kInsert;
    std::string engine = "InnoDB";
    // How long publishing a re-run waits for the metadata lock of the table it replaces (a reader in an open
    // transaction holds it): the session's lock_wait_timeout, which counts whole seconds. 0 = the server's (a year).
    int64_t replace_lock_timeout_s = 10;
};

class MysqlResultsWriter final : public sdk::ResultsWriter {
public:
    // Records and creates the temporary table on the leased connection (the writer's own for its
    // whole life). Throws with nothing left behind.
    MysqlResultsWriter(Lease lease,
                       sdk::ResultsTarget target,
                       const sdk::Schema& schema,
                       const WriterSettings& settings,
                       std::string component);
    // Without Commit: drops the temporary table and its metadata row; errors are logged.
    ~MysqlResultsWriter() override;

    void Write(const sdk::BatchView& batch) override;
    void Commit() override;

    const std::string& temp_name() const { return temp_name_; }

private:
    // RENAME TABLE, atomically replacing an older table of the final name.
    void Publish(const std::string& context);
    // Removes the catalog row of a retired name whose RENAME failed.
    void ForgetRetiredName(const std::string& old_name) noexcept;
    void Abandon() noexcept;

    Lease lease_;
    const sdk::ResultsTarget target_;
    const std::string component_;
    const std::string temp_name_;
    const int64_t replace_lock_timeout_s_;
    std::unique_ptr<BatchLoader> loader_;
    bool committed_ = false;
};

// "_jobber_<kind>_<16 random hex digits>": 28 characters, well within MySQL's 64.
std::string RandomTableName(const char* kind);

}  // namespace jobber::mysql
