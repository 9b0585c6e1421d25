#include "identifiers.hpp"

#include <cctype>
#include <unordered_set>

#include "jobber/sdk/error.hpp"

namespace jobber::mysql {

namespace {

// Length of the UTF-8 sequence starting at name[i] and its code point; 0 when invalid.
size_t DecodeUtf8(std::string_view name, size_t i, char32_t& code_point) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(name[k]); };
    const unsigned char lead = byte(i);
    size_t length = 0;
    if (lead < 0x80) {
        code_point = lead;
        return 1;
    }
    if ((lead & 0xE0) == 0xC0) {
        length = 2;
        code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        code_point = lead & 0x07;
    } else {
        return 0;
    }
    if (i + length > name.size()) return 0;
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        code_point = (code_point << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
        return 0;
    }
    return length;
}

// Replaces what MySQL rejects in identifiers, drops trailing spaces and cuts to 64 characters.
std::string Sanitize(std::string_view name) {
    std::string out;
    size_t chars = 0;
    for (size_t i = 0; i < name.size() && chars < kMaxIdentifierChars;) {
        char32_t code_point = 0;
        const size_t length = DecodeUtf8(name, i, code_point);
        if (length == 0 || code_point == 0 || code_point > 0xFFFF) {
            out.push_back('_');
            i += length == 0 ? 1 : length;
        } else {
            out.append(name.substr(i, length));
            i += length;
        }
        ++chars;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// Cuts `name` to at most `chars` characters (it is valid UTF-8 after Sanitize).
std::string CutToChars(const std::string& name, size_t chars) {
    size_t i = 0;
    for (size_t count = 0; i < name.size() && count < chars; ++count) {
        char32_t code_point = 0;
        i += DecodeUtf8(name, i, code_point);
    }
    std::string out = name.substr(0, i);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// Case folding for the duplicate check: ASCII and Latin letters as MySQL's general collations
// fold them is enough to keep the names distinct in practice; exotic clashes fail at CREATE TABLE
// with MySQL's own message.
std::string FoldCase(std::string_view name) {
    std::string folded(name);
    for (char& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return folded;
}

}  // namespace

std::string QuoteIdentifier(std::string_view name) {
    std::string quoted;
    quoted.reserve(name.size() + 2);
    quoted.push_back('`');
    for (char c : name) {
        if (c == '`') quoted.push_back('`');
        quoted.push_back(c);
    }
    quoted.push_back('`');
    return quoted;
}

size_t IdentifierLength(std::string_view name) {
    size_t chars = 0;
    for (size_t i = 0; i < name.size(); ++chars) {
        char32_t code_point = 0;
        const size_t length = DecodeUtf8(name, i, code_point);
        i += length == 0 ? 1 : length;
    }
    return chars;
}

void CheckTableName(std::string_view name) {
    std::string printable(name);
    for (char& c : printable) {
        if (static_cast<unsigned char>(c) < 0x20) c = '?';  // keep NUL and control bytes out of messages
    }
    const std::string shown = "result table name '" + printable + "'";
    if (name.empty()) throw sdk::Error(JOBBER_INVALID_ARGUMENT, "result table name is empty");
    for (size_t i = 0; i < name.size();) {
        char32_t code_point = 0;
        const size_t length = DecodeUtf8(name, i, code_point);
        if (length == 0) throw sdk::Error(JOBBER_INVALID_ARGUMENT, shown + " is not valid UTF-8");
        if (code_point == 0 || code_point > 0xFFFF) {
            throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                             shown + " holds a character MySQL does not allow in names (NUL or outside the BMP)");
        }
        i += length;
    }
    if (IdentifierLength(name) > kMaxIdentifierChars) {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT, shown + " is longer than MySQL's limit of " +
                                                      std::to_string(kMaxIdentifierChars) +
                                                      " characters; use a shorter job ID or results_table pattern");
    }
    if (name.back() == ' ') throw sdk::Error(JOBBER_INVALID_ARGUMENT, shown + " ends with a space");
    if (FoldCase(name.substr(0, 8)) == "_jobber_") {
        throw sdk::Error(JOBBER_INVALID_ARGUMENT,
                         shown + " is reserved: names starting with _jobber_ are the plugin's");
    }
}

std::vector<std::string> UniqueColumnNames(const sdk::Schema& schema) {
    std::vector<std::string> names;
    names.reserve(schema.size());
    std::unordered_set<std::string> taken;
    for (size_t i = 0; i < schema.size(); ++i) {
        std::string name = Sanitize(schema[i].name);
        if (name.empty()) name = "column_" + std::to_string(i + 1);
        if (taken.count(FoldCase(name)) != 0) {
            for (int suffix = 2;; ++suffix) {
                const std::string tail = "_" + std::to_string(suffix);
                std::string candidate = CutToChars(name, kMaxIdentifierChars - tail.size()) + tail;
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

}  // namespace jobber::mysql
