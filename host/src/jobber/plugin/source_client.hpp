#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jobber/abi/source.h"
#include "jobber/plugin/instance_context.hpp"
#include "jobber/sdk/batch.hpp"
#include "jobber/sdk/columns.hpp"

namespace jobber::plugin {

// The rows of one running query. Holds a pooled source connection until destroyed.
class RowStreamReader {
public:
    RowStreamReader(std::string label, ArrowArrayStream stream);
    ~RowStreamReader();
    RowStreamReader(const RowStreamReader&) = delete;
    RowStreamReader& operator=(const RowStreamReader&) = delete;

    // The Arrow schema as the plugin reported it (also needed verbatim by results backends).
    const ArrowSchema& arrow_schema() const { return *schema_; }
    const jobber::sdk::Schema& schema() const { return columns_; }
    // Fills `out` and returns true, or returns false at the end. Throws PluginError with
    // CANCELLED / DEADLINE_EXCEEDED / UNKNOWN.
    bool Next(jobber::sdk::OwnedArray& out);

private:
    [[noreturn]] void Fail(int errno_code, const char* operation);

    std::string label_;
    ArrowArrayStream stream_{};
    jobber::sdk::OwnedSchema schema_;
    jobber::sdk::Schema columns_;
};

struct QueryRequest {
    uint64_t query_id = 0;
    std::string task_name;
    std::string sql;
    bool raw = false;
    std::vector<jobber_value> params;  // text pointers borrowed from the caller's storage
    int64_t timeout_ms = 0;
    int64_t batch_rows = 10000;
};

// An open source database instance. Thread-safe; Cancel may be called from any thread.
class SourceClient {
public:
    SourceClient(std::shared_ptr<PluginLibrary> library, std::string instance_name, OptionList options);
    ~SourceClient();
    SourceClient(const SourceClient&) = delete;
    SourceClient& operator=(const SourceClient&) = delete;

    // Returns the task's parameter count, or -1 when the source cannot know it.
    int32_t Prepare(const std::string& task_name, const std::string& sql, bool raw);
    std::unique_ptr<RowStreamReader> Execute(const QueryRequest& request);
    void Cancel(uint64_t query_id);
    void Ping();

    const std::string& label() const { return context_.label(); }
    const std::string& name() const { return context_.instance_name(); }

private:
    InstanceContext context_;
    const jobber_source_vtable* vtable_;
    jobber_source* handle_ = nullptr;
};

}  // namespace jobber::plugin
