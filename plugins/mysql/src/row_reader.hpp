// Reading the rows of one result into batches, from a prepared statement (binary protocol,
// unbuffered mysql_stmt_fetch) or from a plain query (text protocol, mysql_use_result). Both
// read one row at a time off the socket, so memory stays at one batch however many rows come.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <string>
#include <vector>

#include "connection_pool.hpp"
#include "jobber/sdk/batch.hpp"
#include "type_mapping.hpp"

namespace jobber::mysql {

class RowReader {
public:
    virtual ~RowReader() = default;
    const std::vector<ColumnInfo>& columns() const { return columns_; }
    // Appends the next row to `builder`; false at the end of the result. Throws the server's
    // error (its MySQL error number is the vendor code) or a conversion error.
    virtual bool ReadRow(sdk::BatchBuilder& builder, int64_t row_number) = 0;

protected:
    std::vector<ColumnInfo> columns_;
};

// The result of an executed prepared statement. Binds one buffer per column; strings longer than
// their buffer are fetched again in full and the buffer grows for later rows.
class BinaryRowReader final : public RowReader {
public:
    // `stmt` has been executed and has a result set; the reader does not own it.
    BinaryRowReader(MYSQL_STMT* stmt, std::string context);
    bool ReadRow(sdk::BatchBuilder& builder, int64_t row_number) override;

private:
    enum class Slot { kInt, kDouble, kFloat, kTime, kBytes };
    struct Buffer {
        Slot slot = Slot::kBytes;
        int64_t int_value = 0;
        double double_value = 0;
        float float_value = 0;
        MYSQL_TIME time{};
        std::vector<char> bytes;
        unsigned long length = 0;
        my_bool is_null = 0;
        my_bool error = 0;
    };
    void BindAll();
    void Refetch(size_t column);

    MYSQL_STMT* stmt_;
    const std::string context_;
    std::vector<Buffer> buffers_;
    std::vector<MYSQL_BIND> binds_;
};

// The result of mysql_real_query + mysql_use_result; owns the MYSQL_RES.
class TextRowReader final : public RowReader {
public:
    TextRowReader(MYSQL* mysql, Result result, std::string context);
    bool ReadRow(sdk::BatchBuilder& builder, int64_t row_number) override;

private:
    MYSQL* mysql_;
    Result result_;
    const std::string context_;
};

}  // namespace jobber::mysql
