#include "jobber/tasks/goyesql_parser.hpp"

#include <map>
#include <stdexcept>

#include "jobber/config/duration.hpp"
#include "jobber/tasks/goyesql_line.hpp"

namespace jobber::tasks {
namespace {

constexpr std::string_view kKnownTags = "db, queue, results, raw, timeout";

bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n';
}

std::string_view Trim(std::string_view text) {
    while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
    while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
    return text;
}

bool IsTaskNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

// Names of config instances (db, results), which share the config's instance-name rule.
bool IsInstanceNameChar(char c) {
    return IsTaskNameChar(c) && c != '.';
}

bool IsKnownTag(std::string_view key) {
    return key == "db" || key == "queue" || key == "results" || key == "raw" || key == "timeout";
}

// At most 80 bytes of user text in a message, so one hostile line does not become a megabyte of log.
std::string Quote(std::string_view text) {
    constexpr size_t kShown = 80;
    std::string quoted = "'";
    quoted.append(text.substr(0, kShown));
    quoted.append(text.size() > kShown ? "...'" : "'");
    return quoted;
}

bool IsLower(std::string_view text, std::string_view word) {
    if (text.size() != word.size()) return false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
        if (c != word[i]) return false;
    }
    return true;
}

class Parser {
public:
    explicit Parser(const std::string& file_name) : file_(file_name) {}

    ParsedTasks Run(std::string_view text) {
        if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
        int line_number = 0;
        size_t start = 0;
        while (true) {
            const size_t end = text.find('\n', start);
            std::string_view line =
                text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            HandleLine(line, ++line_number);
            if (end == std::string_view::npos) break;
            start = end + 1;
        }
        FinishTask();
        return std::move(result_);
    }

private:
    enum class State { kBeforeFirstTask, kHeader, kBody };

    [[noreturn]] void Fail(int line, const std::string& message) const {
        throw TaskFileError(file_ + ":" + std::to_string(line) + ": " + message);
    }

    [[noreturn]] void FailTask(int line, const std::string& message) const {
        Fail(line, "task '" + current_.name + "': " + message);
    }

    void Warn(int line, const std::string& message) { result_.warnings.push_back({file_, line, message}); }

    void HandleLine(std::string_view line, int line_number) {
        const GoyesqlLine parsed = ClassifyGoyesqlLine(line);
        if (parsed.kind == GoyesqlLineKind::kTag && parsed.key == "name") {
            FinishTask();
            StartTask(parsed.value, line_number);
            return;
        }
        switch (state_) {
            case State::kBeforeFirstTask:
                // Leading comments are file headers (licences, notes); even "-- note: x" is one of those.
                if (parsed.kind == GoyesqlLineKind::kSql) {
                    Fail(line_number, "SQL before the first '-- name:' tag; start each query with '-- name: <task>'");
                }
                return;
            case State::kHeader:
                if (parsed.kind == GoyesqlLineKind::kTag) {
                    HandleTag(parsed, line_number);
                } else if (parsed.kind == GoyesqlLineKind::kSql) {
                    state_ = State::kBody;
                    body_.push_back(line);
                }
                return;
            case State::kBody:
                if (parsed.kind == GoyesqlLineKind::kTag && IsKnownTag(parsed.key)) {
                    Warn(line_number, "task '" + current_.name + "': '-- " + std::string(parsed.key) +
                                          ":' after the first SQL line is kept as an SQL comment and not applied; "
                                          "move it above the query");
                }
                body_.push_back(line);
                return;
        }
    }

    void StartTask(std::string_view raw_name, int line_number) {
        const std::string_view name = Trim(raw_name);
        if (name.empty()) Fail(line_number, "'-- name:' has no task name");
        for (char c : name) {
            if (!IsTaskNameChar(c)) {
                Fail(line_number, "invalid task name " + Quote(name) + "; use only A-Z, a-z, 0-9, '_', '.' and '-'");
            }
        }
        const auto [previous, inserted] = first_lines_.emplace(std::string(name), line_number);
        if (!inserted) {
            Fail(line_number, "duplicate task '" + std::string(name) + "'; first defined at " + file_ + ":" +
                                  std::to_string(previous->second));
        }
        current_ = TaskDefinition{};
        current_.name = std::string(name);
        current_.file = file_;
        current_.line = line_number;
        tag_lines_.clear();
        body_.clear();
        state_ = State::kHeader;
    }

    void HandleTag(const GoyesqlLine& tag, int line_number) {
        const std::string key(tag.key);
        if (!IsKnownTag(tag.key)) {
            // An empty unknown tag ("-- TODO:") reads as prose, not as a misspelt tag.
            if (!tag.value.empty()) {
                Warn(line_number, "task '" + current_.name + "': unknown tag " + Quote(tag.key) +
                                      " ignored; known tags: " + std::string(kKnownTags));
            }
            return;
        }
        const auto [previous, inserted] = tag_lines_.emplace(key, line_number);
        if (!inserted) {
            FailTask(line_number,
                     "duplicate tag '" + key + "' (first at line " + std::to_string(previous->second) + ")");
        }
        if (tag.value.empty()) FailTask(line_number, "tag '" + key + "' has no value");
        if (key == "db") {
            current_.dbs = NameList(tag.value, key, line_number);
        } else if (key == "results") {
            current_.results = NameList(tag.value, key, line_number);
        } else if (key == "queue") {
            for (char c : tag.value) {
                if (IsSpace(c) || c == ',') {
                    FailTask(line_number, "queue " + Quote(tag.value) + " must be one queue name without spaces");
                }
            }
            current_.queue = std::string(tag.value);
        } else if (key == "raw") {
            if (IsLower(tag.value, "1") || IsLower(tag.value, "true") || IsLower(tag.value, "yes")) {
                current_.raw = true;
            } else if (IsLower(tag.value, "0") || IsLower(tag.value, "false") || IsLower(tag.value, "no")) {
                current_.raw = false;
            } else {
                FailTask(line_number, "raw must be 1, true, yes, 0, false or no, not " + Quote(tag.value));
            }
        } else if (key == "timeout") {
            try {
                current_.timeout = config::ParseDuration(tag.value);
            } catch (const std::invalid_argument& error) {
                FailTask(line_number, std::string("bad timeout: ") + error.what());
            }
            if (current_.timeout->count() == 0) {
                FailTask(line_number, "timeout must be greater than zero; leave the tag out for no timeout");
            }
        }
    }

    // "a, b,,c" -> {a, b, c}: items trimmed, empty ones skipped as goyesql users write trailing commas. Each item must
    // be a config instance name; a repeat is dropped with a warning since it would only skew the random pick.
    std::vector<std::string> NameList(std::string_view value, const std::string& key, int line_number) {
        std::vector<std::string> names;
        while (true) {
            const size_t comma = value.find(',');
            const std::string_view item = Trim(value.substr(0, comma));
            if (!item.empty()) {
                for (char c : item) {
                    if (!IsInstanceNameChar(c)) {
                        FailTask(line_number, key + " name " + Quote(item) +
                                                  " is not valid; use A-Z, a-z, 0-9, '_' and '-', and separate "
                                                  "names with ','");
                    }
                }
                bool repeated = false;
                for (const std::string& name : names) repeated = repeated || name == item;
                if (repeated) {
                    Warn(line_number, "task '" + current_.name + "': " + key + " '" + std::string(item) +
                                          "' is listed twice; the repeat is ignored");
                } else {
                    names.emplace_back(item);
                }
            }
            if (comma == std::string_view::npos) break;
            value.remove_prefix(comma + 1);
        }
        if (names.empty()) FailTask(line_number, "tag '" + key + "' lists no names");
        return names;
    }

    void FinishTask() {
        if (state_ == State::kBeforeFirstTask) return;
        std::string sql;
        for (size_t i = 0; i < body_.size(); ++i) {
            if (i != 0) sql += '\n';
            sql.append(body_[i]);
        }
        const std::string_view trimmed = Trim(sql);
        if (trimmed.empty()) {
            Fail(current_.line, "task '" + current_.name + "' has no SQL; write the query under its tags");
        }
        current_.sql = std::string(trimmed);
        result_.tasks.push_back(std::move(current_));
        current_ = TaskDefinition{};
        body_.clear();
        state_ = State::kBeforeFirstTask;
    }

    const std::string& file_;
    State state_ = State::kBeforeFirstTask;
    TaskDefinition current_;
    std::vector<std::string_view> body_;      // views into the caller's text, valid for the parse
    std::map<std::string, int> tag_lines_;    // tags of the current task, for duplicate checks
    std::map<std::string, int> first_lines_;  // task name -> line of its "-- name:" in this file
    ParsedTasks result_;
};

}  // namespace

ParsedTasks ParseGoyesql(std::string_view text, const std::string& file_name) {
    return Parser(file_name).Run(text);
}

}  // namespace jobber::tasks
