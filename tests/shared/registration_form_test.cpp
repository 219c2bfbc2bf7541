#include <catch2/catch.hpp>

#include "registration_form.h"
