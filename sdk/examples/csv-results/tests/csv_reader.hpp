// A strict RFC 4180 reader for the tests: fields and rows as the plugin wrote them, with an empty
// unquoted field read as NULL (nullopt) and "" as the empty text.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace jobber_csv::testing {

using CsvRow = std::vector<std::optional<std::string>>;

inline std::vector<CsvRow> ParseCsv(const std::string& text) {
    std::vector<CsvRow> rows;
    CsvRow row;
    size_t i = 0;
    while (i < text.size()) {
        std::optional<std::string> field;
        if (text[i] == '"') {
            std::string value;
            ++i;
            while (true) {
                if (i >= text.size()) throw std::runtime_error("unterminated quoted field");
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        value.push_back('"');
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                value.push_back(text[i++]);
            }
            field = value;
        } else {
            const size_t end = text.find_first_of(",\r\n", i);
            const size_t stop = end == std::string::npos ? text.size() : end;
            if (stop > i) field = text.substr(i, stop - i);
            if (text.substr(i, stop - i).find('"') != std::string::npos) {
                throw std::runtime_error("quote inside an unquoted field");
            }
            i = stop;
        }
        row.push_back(field);
        if (i < text.size() && text[i] == ',') {
            ++i;
            continue;
        }
        if (text.compare(i, 2, "\r\n") == 0) {
            i += 2;
        } else if (i < text.size() && text[i] == '\n') {
            ++i;
        } else if (i < text.size()) {
            throw std::runtime_error("bad character after a field at byte " + std::to_string(i));
        }
        rows.push_back(std::move(row));
        row.clear();
    }
    return rows;
}

}  // namespace jobber_csv::testing
