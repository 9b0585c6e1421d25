#include "identifiers.hpp"

#include <cctype>
#include <unordered_set>

namespace jobber::sqlite {

namespace {

std::string FoldCase(std::string_view name) {
    std::string folded(name);
    for (char& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return folded;
}

}  // namespace

std::string QuoteIdentifier(std::string_view name) {
    std::string quoted;
    quoted.reserve(name.size() + 2);
    quoted.push_back('"');
    for (char c : name) {
        if (c == '"') quoted.push_back('"');
        quoted.push_back(c);
    }
    quoted.push_back('"');
    return quoted;
}

bool SameIdentifier(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

std::vector<std::string> UniqueColumnNames(const sdk::Schema& schema) {
    std::vector<std::string> names;
    names.reserve(schema.size());
    std::unordered_set<std::string> taken;
    for (size_t i = 0; i < schema.size(); ++i) {
        std::string name = schema[i].name.empty() ? "column_" + std::to_string(i + 1) : schema[i].name;
        if (taken.count(FoldCase(name)) != 0) {
            for (int suffix = 2;; ++suffix) {
                std::string candidate = name + "_" + std::to_string(suffix);
                if (taken.count(FoldCase(candidate)) == 0) {
                    name = std::move(candidate);
                    break;
                }
            }
        }
        taken.insert(FoldCase(name));
        names.push_back(std::move(name));
    }
    return names;
}

}  // namespace jobber::sqlite
