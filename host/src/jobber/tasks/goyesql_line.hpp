#pragma once

#include <string_view>

namespace jobber::tasks {

enum class GoyesqlLineKind {
    kBlank,    // only whitespace
    kTag,      // "-- key: value"; value may be empty ("-- db:")
    kComment,  // any other line starting with "--"
    kSql,      // everything else
};

// One line of a goyesql file, classified as knadh/goyesql does, but with a stricter tag key (a word, so "-- a: b: c"
// has key "a" rather than goyesql's greedy "a: b"). Views point into the line passed in.
struct GoyesqlLine {
    GoyesqlLineKind kind = GoyesqlLineKind::kBlank;
    std::string_view key;    // kTag: [A-Za-z_][A-Za-z0-9_-]*
    std::string_view value;  // kTag: the text after ':', trimmed
};

// `line` has no line terminator. Runs in linear time and constant stack, whatever the input.
GoyesqlLine ClassifyGoyesqlLine(std::string_view line);

}  // namespace jobber::tasks
