// Skeleton results backend: one table per job, written in batches and published atomically.
// sdk/examples/csv-results is a complete one; docs/plugin-sdk.md walks through it. Check yours
// with the results contract suite (jobber/testing/results_contract.hpp).
#include "jobber/sdk/plugin.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using jobber::sdk::Error;

class SkeletonWriter : public jobber::sdk::ResultsWriter {
public:
    explicit SkeletonWriter(std::string table) : table_(std::move(table)) {
        // TODO: create the table under a name readers cannot see yet.
    }
    // Without Commit: roll back and remove what was written. Never throw from here.
    ~SkeletonWriter() override {}

    // TODO: append batch.rows() rows; read cells with batch.IsNull/Int64/Double/Bool/Date/Text.
    void Write(const jobber::sdk::BatchView& /*batch*/) override {
        throw Error(JOBBER_UNIMPLEMENTED, "TODO: write rows of '" + table_ + "'");
    }
    // TODO: publish under the final name, atomically replacing an older table of that name.
    void Commit() override { throw Error(JOBBER_UNIMPLEMENTED, "TODO: commit '" + table_ + "'"); }

private:
    std::string table_;
};

class SkeletonResults : public jobber::sdk::ResultsBackend {
public:
    explicit SkeletonResults(const jobber::sdk::OpenArgs& args) : dsn_(args.config.RequireString("dsn")) {}

    static const std::vector<jobber_config_field>& ConfigFields() {
        static const std::vector<jobber_config_field> fields = {
            {"dsn", JOBBER_FIELD_SECRET, 1, nullptr, "where results are written (the host never logs it)"},
        };
        return fields;
    }

    // The longest table name the store keeps unchanged; the host refuses longer ones up front.
    uint32_t MaxIdentifierLength() override { return 63; }
    std::unique_ptr<jobber::sdk::ResultsWriter> Begin(const jobber::sdk::ResultsTarget& target,
                                                      const jobber::sdk::Schema& /*schema*/) override {
        return std::make_unique<SkeletonWriter>(target.table_name);
    }
    // TODO: drop a published table; OK when it does not exist.
    void Drop(std::string_view /*table_name*/) override { throw Error(JOBBER_UNIMPLEMENTED, "TODO: drop"); }
    // TODO: drop every table whose expiry is <= now; return how many.
    uint64_t Sweep(int64_t /*now_unix_ms*/) override { return 0; }

private:
    std::string dsn_;
};

}  // namespace

JOBBER_PLUGIN("skeleton_results",
              "0.1.0",
              "Skeleton results backend (replace me)",
              jobber::sdk::ResultsRole<SkeletonResults>)
