#include "param_binder.hpp"

#include "jobber/sdk/error.hpp"
#include "mysql_error.hpp"

namespace jobber::mysql {

void ParamBinder::Bind(MYSQL_STMT* stmt, const jobber_value* params, uint32_t count, const std::string& context) {
    const unsigned long expected = mysql_stmt_param_count(stmt);
    if (expected != count) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, context + " expects " + std::to_string(expected) + " argument" +
                                                      (expected == 1 ? "" : "s") + ", got " + std::to_string(count));
    }
    if (count == 0) return;
    binds_.assign(count, MYSQL_BIND{});
    ints_.assign(count, 0);
    doubles_.assign(count, 0);
    bools_.assign(count, 0);
    lengths_.assign(count, 0);
    for (uint32_t i = 0; i < count; ++i) {
        const jobber_value& value = params[i];
        MYSQL_BIND& bind = binds_[i];
        switch (value.type) {
            case JOBBER_VALUE_NULL:
                bind.buffer_type = MYSQL_TYPE_NULL;
                break;
            case JOBBER_VALUE_BOOL:
                bools_[i] = value.bool_value != 0 ? 1 : 0;
                bind.buffer_type = MYSQL_TYPE_TINY;
                bind.buffer = &bools_[i];
                break;
            case JOBBER_VALUE_INT64:
                ints_[i] = value.int_value;
                bind.buffer_type = MYSQL_TYPE_LONGLONG;
                bind.buffer = &ints_[i];
                break;
            case JOBBER_VALUE_DOUBLE:
                doubles_[i] = value.double_value;
                bind.buffer_type = MYSQL_TYPE_DOUBLE;
                bind.buffer = &doubles_[i];
                break;
            case JOBBER_VALUE_TEXT:
                lengths_[i] = static_cast<unsigned long>(value.text_size);
                bind.buffer_type = MYSQL_TYPE_STRING;
                // The library only reads parameter buffers; the cast is for its C signature.
                bind.buffer = const_cast<char*>(value.text != nullptr ? value.text : "");
                bind.buffer_length = lengths_[i];
                bind.length = &lengths_[i];
                break;
            default:
                throw sdk::Error(JOBBER_INVALID_ARGUMENT, context + ": argument " + std::to_string(i + 1) +
                                                              " has unknown value type " + std::to_string(value.type));
        }
    }
    if (mysql_stmt_bind_param(stmt, binds_.data()) != 0) ThrowStatement(stmt, context);
}

}  // namespace jobber::mysql
