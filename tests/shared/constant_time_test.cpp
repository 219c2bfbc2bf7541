#include <catch2/catch.hpp>

#include "constant_time.h"
