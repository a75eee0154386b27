// The header from C++: extern "C" linkage, and the enums and structs usable as written.
#include <cstdio>
#include <cstring>

#include <tollgate.h>

int main() {
    tollgate_policy *policy = nullptr;
    tollgate_status s = tollgate_policy_new(&policy);
    static const char scope[] = "items:read";
    s = s == TOLLGATE_STATUS_OK
            ? tollgate_policy_add_scope(policy, reinterpret_cast<const uint8_t *>(scope), sizeof scope - 1)
            : s;
    tollgate_policy_free(policy);
    tollgate_value value{};
    value.kind = TOLLGATE_JSON_KIND_NULL;
    bool ok = s == TOLLGATE_STATUS_OK && value.text == nullptr &&
              std::strcmp(tollgate_status_name(TOLLGATE_STATUS_ALG_NONE), "alg_none") == 0 &&
              tollgate_status_http_status(TOLLGATE_STATUS_INSUFFICIENT_SCOPE) == 403;
    std::printf("header_cpp: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
