#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "jobber/abi/results.h"
#include "jobber/plugin/instance_context.hpp"
#include "jobber/sdk/batch.hpp"

namespace jobber::plugin {

// One results table being written; rolled back unless Commit succeeded.
class ResultsTransaction {
public:
    ResultsTransaction(const InstanceContext& context, const jobber_results_vtable* vtable, jobber_results_txn* txn)
        : context_(context), vtable_(vtable), txn_(txn) {}
    ~ResultsTransaction();
    ResultsTransaction(const ResultsTransaction&) = delete;
    ResultsTransaction& operator=(const ResultsTransaction&) = delete;

    // Hands the batch over to the plugin.
    void Write(jobber::sdk::OwnedArray& batch);
    void Commit();

private:
    const InstanceContext& context_;
    const jobber_results_vtable* vtable_;
    jobber_results_txn* txn_;
};

// An open results backend instance. Thread-safe.
class ResultsClient {
public:
    ResultsClient(std::shared_ptr<PluginLibrary> library, std::string instance_name, OptionList options);
    ~ResultsClient();
    ResultsClient(const ResultsClient&) = delete;
    ResultsClient& operator=(const ResultsClient&) = delete;

    uint32_t MaxIdentifierLength();
    std::unique_ptr<ResultsTransaction> Begin(const std::string& job_id,
                                              const std::string& table_name,
                                              int64_t expires_at_unix_ms,
                                              const ArrowSchema& schema);
    void Drop(const std::string& table_name);
    uint64_t Sweep(int64_t now_unix_ms);
    void Ping();

    const std::string& label() const { return context_.label(); }
    const std::string& name() const { return context_.instance_name(); }

private:
    InstanceContext context_;
    const jobber_results_vtable* vtable_;
    jobber_results* handle_ = nullptr;
};

}  // namespace jobber::plugin
