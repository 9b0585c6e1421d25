#include "jobber/app/version.hpp"

#include "jobber/abi/common.h"

namespace jobber::app {

std::string VersionString() {
    return std::string("sql-jobber ") + JOBBER_VERSION + " (plugin ABI " + std::to_string(JOBBER_ABI_MAJOR) + "." +
           std::to_string(JOBBER_ABI_MINOR) + ")";
}

}  // namespace jobber::app
