#include <catch2/catch.hpp>

#include "percent_encoding.h"
