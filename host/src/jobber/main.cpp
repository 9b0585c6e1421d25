#include <iostream>

#include "jobber/app/version.hpp"

int main() {
    std::cout << jobber::app::VersionString() << "\n";
    return 0;
}
