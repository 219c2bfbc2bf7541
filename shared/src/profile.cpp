#include "profile.h"

namespace perch {}
