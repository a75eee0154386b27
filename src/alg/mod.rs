//! Signature algorithms, one module per family.

// Wired into the token pipeline once the algorithm interface lands; until then only the tests
// reach it.
#[cfg(feature = "rsa")]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod rsa;
