// Loading one batch into a results table: LOAD DATA LOCAL INFILE streamed from memory, or
// multi-row prepared INSERTs. Both are measured in bench/mysql; INSERT, the faster there, is the
// default.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "jobber/sdk/batch.hpp"
#include "mysql_connection.hpp"

namespace jobber::mysql {

enum class WriteMethod { kLoadData, kInsert };

class BatchLoader {
public:
    virtual ~BatchLoader() = default;
    // Appends every row of `batch` to the table (possibly in the background, see Finish), or
    // throws. A failed batch fails the job: the table is never published.
    virtual void Load(const sdk::BatchView& batch) = 0;
    // Returns once every batch given to Load is in the table; throws the first error. Loaders
    // that work in the background finish here, so call it before publishing the table.
    virtual void Finish() {}
};

// `connection` (borrowed; must outlive the loader) writes into `table` (already quoted names are
// made here) with `column_names` in schema order.
std::unique_ptr<BatchLoader> MakeBatchLoader(WriteMethod method,
                                             MysqlConnection& connection,
                                             const std::string& table,
                                             const std::vector<std::string>& column_names,
                                             const sdk::Schema& schema,
                                             std::string context);

}  // namespace jobber::mysql
