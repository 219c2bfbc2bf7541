#include "twitter_responses.h"

namespace perch {}
