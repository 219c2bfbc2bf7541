#include "provider/provider_result.h"

namespace perch {

ProviderFailure scrubbed(ProviderFailure failure, std::initializer_list<std::string_view> credentials) {
    for (std::string_view credential : credentials) {
        if (!credential.empty() && failure.message.find(credential) != std::string::npos) {
            failure.message = "Twitter's answer was unusable (its text is withheld: it repeats a credential)";
            break;
        }
    }
    return failure;
}

}  // namespace perch
