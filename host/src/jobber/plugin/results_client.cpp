#include "jobber/plugin/results_client.hpp"

namespace jobber::plugin {

using jobber::sdk::ErrorSlot;

ResultsTransaction::~ResultsTransaction() {
    if (txn_ != nullptr) vtable_->release(txn_);
}

void ResultsTransaction::Write(jobber::sdk::OwnedArray& batch) {
    ArrowArray moved = batch.Release();
    ErrorSlot error;
    context_.Check("write", vtable_->write(txn_, &moved, error.get()), error);
}

void ResultsTransaction::Commit() {
    ErrorSlot error;
    context_.Check("commit", vtable_->commit(txn_, error.get()), error);
}

ResultsClient::ResultsClient(std::shared_ptr<PluginLibrary> library, std::string instance_name, OptionList options)
    : context_(library, "results", std::move(instance_name), std::move(options)), vtable_(library->results()) {
    if (vtable_ == nullptr) throw PluginError(JOBBER_INVALID_ARGUMENT, context_.label() + " is not a results backend");
    ErrorSlot error;
    context_.Check("open", vtable_->open(context_.open_args(), &handle_, error.get()), error);
}

ResultsClient::~ResultsClient() {
    if (handle_ != nullptr) vtable_->close(handle_);
}

uint32_t ResultsClient::MaxIdentifierLength() {
    return vtable_->max_identifier_length(handle_);
}

std::unique_ptr<ResultsTransaction> ResultsClient::Begin(const std::string& job_id,
                                                         const std::string& table_name,
                                                         int64_t expires_at_unix_ms,
                                                         const ArrowSchema& schema) {
    jobber_results_target target{sizeof(jobber_results_target), job_id.c_str(), table_name.c_str(), expires_at_unix_ms};
    jobber_results_txn* txn = nullptr;
    ErrorSlot error;
    context_.Check("begin", vtable_->begin(handle_, &target, &schema, &txn, error.get()), error);
    return std::make_unique<ResultsTransaction>(context_, vtable_, txn);
}

void ResultsClient::Drop(const std::string& table_name) {
    ErrorSlot error;
    context_.Check("drop", vtable_->drop(handle_, table_name.c_str(), error.get()), error);
}

uint64_t ResultsClient::Sweep(int64_t now_unix_ms) {
    uint64_t dropped = 0;
    ErrorSlot error;
    context_.Check("sweep", vtable_->sweep(handle_, now_unix_ms, &dropped, error.get()), error);
    return dropped;
}

void ResultsClient::Ping() {
    ErrorSlot error;
    context_.Check("ping", vtable_->ping(handle_, error.get()), error);
}

}  // namespace jobber::plugin
