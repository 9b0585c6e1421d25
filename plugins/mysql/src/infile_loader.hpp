// LOAD DATA LOCAL INFILE with the "file" served from memory by the client's local-infile handler:
// each batch is encoded as tab-separated text and sent in one statement. The statement runs on a
// loader thread while the job reads its next batch from the source, so reading and writing
// overlap like the two ends of `mariadb | mariadb`; at most one encoded batch waits behind the
// one being loaded, so memory stays at about two batches.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "batch_loader.hpp"

namespace jobber::mysql {

class InfileLoader final : public BatchLoader {
public:
    InfileLoader(MysqlConnection& connection,
                 const std::string& table,
                 const std::vector<std::string>& column_names,
                 std::string context);
    // Waits for the statement in flight, stops the thread and puts the refusing handler back
    // (see RefuseLocalInfile).
    ~InfileLoader() override;

    // Encodes the batch and queues it; throws the error of an earlier batch, if any.
    void Load(const sdk::BatchView& batch) override;
    // Waits until every queued batch is loaded; throws the first error.
    void Finish() override;

private:
    void Run();
    void LoadOne(int64_t rows);
    void ThrowIfFailed();

    static int Init(void** ptr, const char* filename, void* userdata);
    static int Read(void* ptr, char* buffer, unsigned int length);
    static void End(void* ptr);
    static int Error(void* ptr, char* message, unsigned int length);

    MysqlConnection& connection_;
    const std::string context_;
    std::string sql_;
    std::string encoding_;  // the caller's thread encodes here

    std::mutex mutex_;
    std::condition_variable changed_;
    std::string queued_;  // encoded, waiting for the loader thread
    int64_t queued_rows_ = 0;
    bool has_queued_ = false;
    bool busy_ = false;  // the loader thread runs a statement
    bool stopping_ = false;
    std::exception_ptr failure_;

    // Owned by the loader thread while a statement runs; the handler reads from here.
    std::string loading_;
    size_t position_ = 0;
    std::thread thread_;
};

}  // namespace jobber::mysql
