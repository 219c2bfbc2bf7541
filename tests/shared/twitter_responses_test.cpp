#include <catch2/catch.hpp>

#include "twitter_responses.h"
