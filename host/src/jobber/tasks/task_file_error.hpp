#pragma once

#include <stdexcept>

namespace jobber::tasks {

// A task file or directory the host cannot start with. what() is one line for the operator, "file:line: what is wrong
// and what to write instead", or names the directory when the problem is the directory itself.
class TaskFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace jobber::tasks
