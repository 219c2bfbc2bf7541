#include <catch2/catch.hpp>

#include "callback.h"
