#include "sqlite_error.hpp"

#include "jobber/sdk/error.hpp"

namespace jobber::sqlite {

jobber_code CodeForSqlite(int result_code) {
    switch (result_code & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_FULL:
        case SQLITE_PROTOCOL:
            return JOBBER_UNAVAILABLE;
        case SQLITE_NOMEM:
            return JOBBER_INTERNAL;
        case SQLITE_INTERRUPT:
            return JOBBER_CANCELLED;
        default:
            return JOBBER_INVALID_ARGUMENT;
    }
}

void ThrowSqlite(sqlite3* db, int result_code, const std::string& context) {
    int extended = result_code;
    std::string detail;
    if (db != nullptr) {
        extended = sqlite3_extended_errcode(db);
        detail = sqlite3_errmsg(db);
    } else {
        detail = sqlite3_errstr(result_code);
    }
    throw sdk::Error(CodeForSqlite(result_code), context + ": " + detail, extended);
}

}  // namespace jobber::sqlite
