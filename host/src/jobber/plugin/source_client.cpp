#include "jobber/plugin/source_client.hpp"

#include <cerrno>
#include <cstring>

namespace jobber::plugin {

using jobber::sdk::ErrorSlot;

RowStreamReader::RowStreamReader(std::string label, ArrowArrayStream stream)
    : label_(std::move(label)), stream_(stream) {
    try {
        const int rc = stream_.get_schema(&stream_, schema_.get());
        if (rc != 0) Fail(rc, "reading the result schema");
        columns_ = jobber::sdk::ImportSchema(*schema_);
    } catch (...) {
        // No destructor runs for a constructor that throws, and the stream (holding a pooled
        // connection) is ours to release.
        stream_.release(&stream_);
        throw;
    }
}

RowStreamReader::~RowStreamReader() {
    if (stream_.release != nullptr) stream_.release(&stream_);
}

bool RowStreamReader::Next(jobber::sdk::OwnedArray& out) {
    out.Reset();
    const int rc = stream_.get_next(&stream_, out.get());
    if (rc != 0) Fail(rc, "reading rows");
    return out.valid();
}

void RowStreamReader::Fail(int errno_code, const char* operation) {
    const char* detail = stream_.get_last_error != nullptr ? stream_.get_last_error(&stream_) : nullptr;
    std::string message =
        label_ + ": " + operation + " failed: " + (detail != nullptr ? detail : std::strerror(errno_code));
    jobber_code code = JOBBER_UNKNOWN;
    if (errno_code == ECANCELED) code = JOBBER_CANCELLED;
    if (errno_code == ETIMEDOUT) code = JOBBER_DEADLINE_EXCEEDED;
    if (errno_code == EINVAL) code = JOBBER_INVALID_ARGUMENT;
    if (errno_code == EAGAIN) code = JOBBER_UNAVAILABLE;
    throw PluginError(code, message);
}

SourceClient::SourceClient(std::shared_ptr<PluginLibrary> library, std::string instance_name, OptionList options)
    : context_(library, "db", std::move(instance_name), std::move(options)), vtable_(library->source()) {
    if (vtable_ == nullptr) throw PluginError(JOBBER_INVALID_ARGUMENT, context_.label() + " is not a source");
    ErrorSlot error;
    context_.Check("open", vtable_->open(context_.open_args(), &handle_, error.get()), error);
}

SourceClient::~SourceClient() {
    if (handle_ != nullptr) vtable_->close(handle_);
}

int32_t SourceClient::Prepare(const std::string& task_name, const std::string& sql, bool raw) {
    jobber_statement_info info{sizeof(jobber_statement_info), -1};
    ErrorSlot error;
    context_.Check("prepare",
                   vtable_->prepare(handle_, task_name.c_str(), sql.c_str(), raw ? 1 : 0, &info, error.get()), error);
    return info.param_count;
}

std::unique_ptr<RowStreamReader> SourceClient::Execute(const QueryRequest& request) {
    jobber_query query{};
    query.struct_size = sizeof(query);
    query.query_id = request.query_id;
    query.task_name = request.task_name.c_str();
    query.sql = request.sql.c_str();
    query.raw = request.raw ? 1 : 0;
    query.params = request.params.data();
    query.param_count = static_cast<uint32_t>(request.params.size());
    query.timeout_ms = request.timeout_ms;
    query.batch_rows = request.batch_rows;
    ArrowArrayStream stream{};
    ErrorSlot error;
    context_.Check("execute", vtable_->execute(handle_, &query, &stream, error.get()), error);
    return std::make_unique<RowStreamReader>(context_.label(), stream);
}

void SourceClient::Cancel(uint64_t query_id) {
    ErrorSlot error;
    context_.Check("cancel", vtable_->cancel(handle_, query_id, error.get()), error);
}

void SourceClient::Ping() {
    ErrorSlot error;
    context_.Check("ping", vtable_->ping(handle_, error.get()), error);
}

}  // namespace jobber::plugin
