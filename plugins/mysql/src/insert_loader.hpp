// Multi-row prepared INSERTs: `INSERT INTO t VALUES (?, ...), (?, ...), ...` with up to
// kInsertRows rows per execution (fewer for wide tables: at most 65535 parameters), values bound
// straight from the batch buffers. One transaction per batch.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "batch_loader.hpp"

namespace jobber::mysql {

constexpr size_t kInsertRows = 1000;

class InsertLoader final : public BatchLoader {
public:
    InsertLoader(MysqlConnection& connection,
                 const std::string& table,
                 const std::vector<std::string>& column_names,
                 const sdk::Schema& schema,
                 std::string context);
    void Load(const sdk::BatchView& batch) override;

private:
    MYSQL_STMT* StatementFor(size_t rows);
    void LoadRows(const sdk::BatchView& batch, int64_t first, size_t rows);

    MysqlConnection& connection_;
    const sdk::Schema schema_;
    const std::string context_;
    std::string prefix_;  // "INSERT INTO t (c1, c2) VALUES "
    std::string row_placeholders_;
    size_t rows_per_statement_;
    std::map<size_t, Statement> statements_;  // by row count
    std::vector<MYSQL_BIND> binds_;
    std::vector<unsigned long> lengths_;
    std::vector<signed char> bools_;
    std::vector<MYSQL_TIME> times_;
    std::vector<double> doubles_;
    std::vector<int64_t> ints_;
};

}  // namespace jobber::mysql
