// Turns SQLite result codes into jobber::sdk::Error with the most specific boundary code.
#pragma once

#include <sqlite3.h>

#include <string>

#include "jobber/abi/common.h"

namespace jobber::sqlite {

// UNAVAILABLE for conditions a retry may cure (busy, locked, I/O, cannot open, disk full),
// INTERNAL for out-of-memory, INVALID_ARGUMENT for everything the database rejects.
jobber_code CodeForSqlite(int result_code);

// Throws with "<context>: <sqlite3_errmsg>" and the extended result code as vendor code. `db` may
// be null (the message then comes from sqlite3_errstr).
[[noreturn]] void ThrowSqlite(sqlite3* db, int result_code, const std::string& context);

}  // namespace jobber::sqlite
