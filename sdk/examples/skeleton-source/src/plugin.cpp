// Skeleton source: runs task SQL and streams rows as Arrow batches. This one already works as a
// generator (any SQL returns rows n = 1..N for the first argument N), so it loads and runs as is;
// replace Prepare, Execute and the stream with your database's client. Check it with the source
// contract suite (jobber/testing/source_contract.hpp).
#include "jobber/sdk/plugin.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using jobber::sdk::Error;

class NumbersStream : public jobber::sdk::RowStream {
public:
    NumbersStream(int64_t count, int64_t batch_rows) : count_(count), batch_rows_(batch_rows) {}

    const jobber::sdk::Schema& schema() const override { return schema_; }

    // Fill `out` with the next batch and return true, or return false at the end. Keep memory flat:
    // one batch at a time, never the whole result.
    bool Next(ArrowArray* out) override {
        if (next_ > count_) return false;
        jobber::sdk::BatchBuilder builder(schema_);
        for (int64_t i = 0; i < batch_rows_ && next_ <= count_; ++i, ++next_) builder.AppendInt64(0, next_);
        builder.Finish(out);
        return true;
    }

private:
    const jobber::sdk::Schema schema_{{"n", jobber::sdk::ColumnType::kBigInt}};
    int64_t count_;
    int64_t batch_rows_;
    int64_t next_ = 1;
};

class SkeletonSource : public jobber::sdk::Source {
public:
    explicit SkeletonSource(const jobber::sdk::OpenArgs& args) : dsn_(args.config.GetString("dsn")) {}

    static const std::vector<jobber_config_field>& ConfigFields() {
        static const std::vector<jobber_config_field> fields = {
            {"dsn", JOBBER_FIELD_SECRET, 0, "", "connection string (the host never logs it)"},
        };
        return fields;
    }

    // TODO: prepare `sql` on the database; INVALID_ARGUMENT for SQL it rejects.
    int32_t Prepare(std::string_view /*task_name*/, std::string_view /*sql*/, bool raw) override {
        return raw ? -1 : 1;
    }

    // TODO: bind query.params (never splice them into SQL), run, and return a stream over the rows.
    std::unique_ptr<jobber::sdk::RowStream> Execute(const jobber::sdk::Query& query) override {
        if (query.param_count != 1 || query.params[0].type != JOBBER_VALUE_INT64) {
            throw Error(JOBBER_INVALID_ARGUMENT, "this skeleton takes one integer argument, the row count");
        }
        return std::make_unique<NumbersStream>(query.params[0].int_value, query.batch_rows);
    }

    // TODO: cancel query `query_id` in the database, from any thread; no-op when it is not running.
    void Cancel(uint64_t /*query_id*/) override {}

private:
    std::string dsn_;
};

}  // namespace

JOBBER_PLUGIN("skeleton_source", "0.1.0", "Skeleton source (replace me)", jobber::sdk::SourceRole<SkeletonSource>)
