#include <catch2/catch.hpp>

#include "profile.h"
