// A write transaction on one connection that rolls back unless committed.
#pragma once

#include <string>

#include "sqlite_connection.hpp"

namespace jobber::sqlite {

class Transaction {
public:
    // BEGIN IMMEDIATE: takes the write lock up front, so a busy database fails (after
    // busy_timeout) here rather than half-way through, and writers queue instead of deadlocking.
    Transaction(SqliteConnection& connection, std::string context);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    void Commit();

private:
    SqliteConnection& connection_;
    const std::string context_;
    bool open_ = true;
};

}  // namespace jobber::sqlite
