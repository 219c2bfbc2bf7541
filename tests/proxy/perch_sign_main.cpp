// perch-sign: the `perch-proxy sign` subcommand on its own, for oauthlib_check.py.
#include <iostream>

#include "sign_command.h"

int main() { return perch::run_sign_command(std::cin, std::cout, std::cerr); }
