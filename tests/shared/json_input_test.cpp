#include <catch2/catch.hpp>

#include "json_input.h"
