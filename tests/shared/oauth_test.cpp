#include <catch2/catch.hpp>

#include "oauth.h"
