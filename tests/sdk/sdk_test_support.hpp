// Helpers shared by the SDK tests: error expectations and release-call counting for Arrow structs.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "jobber/abi/arrow_c_abi.h"
#include "jobber/sdk/error.hpp"

namespace jobber::sdk::testing {

// Runs `fn` and expects a jobber::sdk::Error with `code` whose message contains every fragment.
template <class Fn>
void ExpectError(Fn&& fn, jobber_code code, std::initializer_list<std::string> fragments) {
    try {
        fn();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), code) << "message: " << e.what();
        for (const auto& fragment : fragments) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
                << "'" << fragment << "' not in: " << e.what();
        }
        return;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected jobber::sdk::Error, got std::exception: " << e.what();
        return;
    }
    ADD_FAILURE() << "expected jobber::sdk::Error(" << CodeName(code) << "), nothing was thrown";
}

// Wraps an array's release callback so that the test can count how often the producer's
// release ran. The wrapper travels with the struct when it is moved (private_data carries it).
struct ReleaseTracker {
    void (*release)(ArrowArray*);
    void* private_data;
    int* calls;
};

inline void TrackedRelease(ArrowArray* array) {
    auto* tracker = static_cast<ReleaseTracker*>(array->private_data);
    array->private_data = tracker->private_data;
    array->release = tracker->release;
    ++*tracker->calls;
    array->release(array);
    delete tracker;
}

inline void TrackRelease(ArrowArray* array, int* calls) {
    array->private_data = new ReleaseTracker{array->release, array->private_data, calls};
    array->release = &TrackedRelease;
}

}  // namespace jobber::sdk::testing
