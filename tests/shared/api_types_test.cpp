#include <catch2/catch.hpp>

#include "api_types.h"
