#include "jobber/sched/query_params.hpp"

#include <cstdio>

namespace jobber::sched {

namespace {
std::string DoubleText(double v) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    return buf;
}
}  // namespace

QueryParams::QueryParams(const std::vector<jobs::JobArg>& args) {
    // Reserve first: values_ keeps pointers into texts_.
    texts_.reserve(args.size());
    values_.reserve(args.size());
    for (const auto& arg : args) {
        jobber_value v{};
        if (std::holds_alternative<std::monostate>(arg)) {
            v.type = JOBBER_VALUE_NULL;
            values_.push_back(v);
            continue;
        }
        if (const bool* b = std::get_if<bool>(&arg)) {
            v.type = JOBBER_VALUE_BOOL;
            v.bool_value = *b ? 1 : 0;
            texts_.push_back(*b ? "true" : "false");
        } else if (const int64_t* i = std::get_if<int64_t>(&arg)) {
            v.type = JOBBER_VALUE_INT64;
            v.int_value = *i;
            texts_.push_back(std::to_string(*i));
        } else if (const double* d = std::get_if<double>(&arg)) {
            v.type = JOBBER_VALUE_DOUBLE;
            v.double_value = *d;
            texts_.push_back(DoubleText(*d));
        } else {
            v.type = JOBBER_VALUE_TEXT;
            texts_.push_back(std::get<std::string>(arg));
        }
        v.text = texts_.back().c_str();
        v.text_size = texts_.back().size();
        values_.push_back(v);
    }
}

}  // namespace jobber::sched
