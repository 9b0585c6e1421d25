#include "jobber/app/application.hpp"

int main(int argc, char** argv) {
    return jobber::app::Main(argc, argv);
}
