// Writes JSON straight into a string, without building a document first. The job codec encodes a record or a
// message several times per job; through Poco::JSON's Object/Var tree that cost more CPU than the rest of the
// request handling (profiled under the issue #5 benchmark), and a flat record needs no tree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jobber::jobs {

class JsonWriter {
public:
    JsonWriter& BeginObject() { return Open('{'); }
    JsonWriter& EndObject() { return Close('}'); }
    JsonWriter& BeginArray() { return Open('['); }
    JsonWriter& EndArray() { return Close(']'); }
    // The key of the next value inside an object.
    JsonWriter& Key(std::string_view key);

    // Invalid UTF-8 is written as U+FFFD, so whatever a database put in an error message, the output parses.
    JsonWriter& String(std::string_view value);
    JsonWriter& Int(int64_t value);
    // Shortest form that reads back as the same double, always with a '.' or an exponent so that it stays a
    // double (2.0, not 2); a non-finite value, which JSON cannot hold, is written as null.
    JsonWriter& Double(double value);
    JsonWriter& Bool(bool value);
    JsonWriter& Null();

    // The text written so far; the writer is empty afterwards.
    std::string Take();

private:
    JsonWriter& Open(char bracket);
    JsonWriter& Close(char bracket);
    // A comma before every value but the first of its container (a key counts as its value's start).
    void BeforeValue();

    std::string out_;
    std::vector<bool> has_items_;  // per open container
    bool after_key_ = false;
};

}  // namespace jobber::jobs
