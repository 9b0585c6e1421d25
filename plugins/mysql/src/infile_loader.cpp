#include "infile_loader.hpp"

#include <errmsg.h>

#include <algorithm>
#include <cstring>

#include "identifiers.hpp"
#include "jobber/sdk/error.hpp"
#include "mysql_error.hpp"
#include "tsv_encoder.hpp"

namespace jobber::mysql {

InfileLoader::InfileLoader(MysqlConnection& connection,
                           const std::string& table,
                           const std::vector<std::string>& column_names,
                           std::string context)
    : connection_(connection), context_(std::move(context)) {
    // The file name is a label: the handler below serves every request from memory.
    sql_ = "LOAD DATA LOCAL INFILE 'jobber-batch' INTO TABLE " + QuoteIdentifier(table) +
           " CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (";
    for (size_t i = 0; i < column_names.size(); ++i) {
        if (i > 0) sql_ += ", ";
        sql_ += QuoteIdentifier(column_names[i]);
    }
    sql_ += ")";
    mysql_set_local_infile_handler(connection_.handle(), &Init, &Read, &End, &Error, this);
    thread_ = std::thread([this] { Run(); });
}

InfileLoader::~InfileLoader() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
    RefuseLocalInfile(connection_.handle());
}

int InfileLoader::Init(void** ptr, const char* /*filename*/, void* userdata) {
    auto* self = static_cast<InfileLoader*>(userdata);
    self->position_ = 0;
    *ptr = self;
    return 0;
}

int InfileLoader::Read(void* ptr, char* buffer, unsigned int length) {
    auto* self = static_cast<InfileLoader*>(ptr);
    const size_t n = std::min<size_t>(length, self->loading_.size() - self->position_);
    std::memcpy(buffer, self->loading_.data() + self->position_, n);
    self->position_ += n;
    return static_cast<int>(n);
}

void InfileLoader::End(void* /*ptr*/) {}

int InfileLoader::Error(void* /*ptr*/, char* message, unsigned int length) {
    std::snprintf(message, length, "reading the in-memory batch failed");
    return CR_UNKNOWN_ERROR;
}

void InfileLoader::ThrowIfFailed() {
    // Called with mutex_ held.
    if (failure_) std::rethrow_exception(failure_);
}

void InfileLoader::Load(const sdk::BatchView& batch) {
    if (batch.rows() == 0) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ThrowIfFailed();
    }
    // Encoding happens on the caller's thread, while the loader thread may be loading the batch
    // before: the batch memory belongs to the caller only until this call returns.
    encoding_.clear();
    AppendTsv(batch, encoding_);
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !has_queued_ || failure_; });
    ThrowIfFailed();
    queued_.swap(encoding_);
    queued_rows_ = batch.rows();
    has_queued_ = true;
    changed_.notify_all();
}

void InfileLoader::Finish() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return (!has_queued_ && !busy_) || failure_; });
    ThrowIfFailed();
}

void InfileLoader::Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return has_queued_ || stopping_; });
        if (!has_queued_) return;  // stopping with nothing left
        loading_.swap(queued_);
        const int64_t rows = queued_rows_;
        has_queued_ = false;
        busy_ = true;
        const bool skip = failure_ != nullptr || stopping_;  // after an error (or abandon) nothing more is loaded
        changed_.notify_all();
        lock.unlock();
        std::exception_ptr failure;
        if (!skip) {
            try {
                LoadOne(rows);
            } catch (...) {
                failure = std::current_exception();
            }
        }
        lock.lock();
        busy_ = false;
        if (failure && !failure_) failure_ = failure;
        changed_.notify_all();
    }
}

void InfileLoader::LoadOne(int64_t rows) {
    // The local-infile handler serves loading_.
    MYSQL* mysql = connection_.handle();
    if (mysql_real_query(mysql, sql_.data(), static_cast<unsigned long>(sql_.size())) != 0) {
        ThrowMysql(mysql, context_);
    }
    const uint64_t loaded = mysql_affected_rows(mysql);
    // With LOCAL the server cannot stop the client mid-file, so it turns data errors into
    // warnings (as if IGNORE were given). Any warning therefore means a value was changed.
    if (mysql_warning_count(mysql) > 0) {
        std::string details;
        for (const auto& row : connection_.Query("SHOW WARNINGS LIMIT 3", context_)) {
            if (row.size() >= 3 && row[2]) details += (details.empty() ? "" : "; ") + *row[2];
        }
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         context_ + ": MySQL changed values while loading them: " + details +
                             " (a value does not fit its column, e.g. a DECIMAL beyond DECIMAL(65,30) or a date "
                             "outside 1000-9999)");
    }
    if (loaded != static_cast<uint64_t>(rows)) {
        throw sdk::Error(JOBBER_INTERNAL, context_ + ": LOAD DATA stored " + std::to_string(loaded) + " of " +
                                              std::to_string(rows) + " rows");
    }
}

}  // namespace jobber::mysql
