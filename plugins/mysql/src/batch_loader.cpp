#include "batch_loader.hpp"

#include "infile_loader.hpp"
#include "insert_loader.hpp"

namespace jobber::mysql {

std::unique_ptr<BatchLoader> MakeBatchLoader(WriteMethod method,
                                             MysqlConnection& connection,
                                             const std::string& table,
                                             const std::vector<std::string>& column_names,
                                             const sdk::Schema& schema,
                                             std::string context) {
    if (method == WriteMethod::kInsert) {
        return std::make_unique<InsertLoader>(connection, table, column_names, schema, std::move(context));
    }
    return std::make_unique<InfileLoader>(connection, table, column_names, std::move(context));
}

}  // namespace jobber::mysql
