// Task arguments to prepared-statement parameters: always bound, never spliced into SQL.
#pragma once

#include <mysql.h>

#include <string>
#include <vector>

#include "jobber/abi/source.h"

namespace jobber::mysql {

// Binds `params` to `stmt` by position: NULL as NULL, BOOL as TINYINT 0/1, INT64 as BIGINT,
// DOUBLE as DOUBLE, TEXT as a string of its byte size. The bindings point into this object and
// into the params' text, so both must outlive mysql_stmt_execute. A count other than the
// statement's is INVALID_ARGUMENT naming both.
class ParamBinder {
public:
    void Bind(MYSQL_STMT* stmt, const jobber_value* params, uint32_t count, const std::string& context);

private:
    std::vector<MYSQL_BIND> binds_;
    std::vector<int64_t> ints_;
    std::vector<double> doubles_;
    std::vector<signed char> bools_;
    std::vector<unsigned long> lengths_;
};

}  // namespace jobber::mysql
