#include "registration_form.h"

namespace perch {}
