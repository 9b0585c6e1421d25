#include "jobber/tasks/goyesql_line.hpp"

namespace jobber::tasks {
namespace {

bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n';
}
bool IsKeyStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsKeyChar(char c) {
    return IsKeyStart(c) || (c >= '0' && c <= '9') || c == '-';
}

std::string_view TrimLeft(std::string_view text) {
    while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
    return text;
}

std::string_view Trim(std::string_view text) {
    text = TrimLeft(text);
    while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
    return text;
}

}  // namespace

GoyesqlLine ClassifyGoyesqlLine(std::string_view line) {
    std::string_view rest = TrimLeft(line);
    if (rest.empty()) return {GoyesqlLineKind::kBlank, {}, {}};
    if (rest.substr(0, 2) != "--") return {GoyesqlLineKind::kSql, {}, {}};
    rest = TrimLeft(rest.substr(2));
    size_t key_end = 0;
    if (!rest.empty() && IsKeyStart(rest.front())) {
        key_end = 1;
        while (key_end < rest.size() && IsKeyChar(rest[key_end])) ++key_end;
    }
    if (key_end == 0) return {GoyesqlLineKind::kComment, {}, {}};
    const std::string_view key = rest.substr(0, key_end);
    rest = TrimLeft(rest.substr(key_end));
    if (rest.empty() || rest.front() != ':') return {GoyesqlLineKind::kComment, {}, {}};
    return {GoyesqlLineKind::kTag, key, Trim(rest.substr(1))};
}

}  // namespace jobber::tasks
