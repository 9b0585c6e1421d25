#include "jobber/jobs/job_id.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace jobber::jobs {

namespace {
bool AllowedChars(std::string_view s, std::string_view extra, size_t max_len) {
    if (s.empty() || s.size() > max_len) return false;
    for (char ch : s) {
        const bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && extra.find(ch) == std::string_view::npos) return false;
    }
    return true;
}
}  // namespace

bool IsValidId(std::string_view id) {
    return AllowedChars(id, "_:-", 64);
}

bool IsValidQueueName(std::string_view name) {
    return AllowedChars(name, "_.:-", 128);
}

std::string GenerateId() {
    // A random (version 4) UUID from the kernel's CSPRNG in one getrandom call: IDs name result tables, so they must
    // not be guessable. (Poco's UUIDGenerator opened, read and closed /dev/urandom for every ID: three syscalls on
    // every POST.)
    uint8_t b[16];
    size_t got = 0;
    while (got < sizeof(b)) {
        const ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("getrandom failed: cannot generate an ID");
        }
        got += static_cast<size_t>(n);
    }
    b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    char text[37];
    std::snprintf(text, sizeof(text), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

}  // namespace jobber::jobs
