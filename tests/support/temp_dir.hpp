// A directory of a test's own under the system temp dir, readable by other users (a server under test may run as
// `nobody`), removed with everything in it when the object goes. Header-only.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace jobber::testing {

class TempDir {
public:
    // "<temp>/jobber-<label>-XXXXXX".
    explicit TempDir(const std::string& label) {
        std::string pattern = (std::filesystem::temp_directory_path() / ("jobber-" + label + "-XXXXXX")).string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
        chmod(path_.c_str(), 0755);
    }
    ~TempDir() {
        std::error_code ignored;  // a leftover temp dir must not fail a test
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string Path(const std::string& file) const { return (path_ / file).string(); }

private:
    std::filesystem::path path_;
};

}  // namespace jobber::testing
