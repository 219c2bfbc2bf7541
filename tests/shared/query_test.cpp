#include <catch2/catch.hpp>

#include "query.h"
