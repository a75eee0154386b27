//! What an application links: a JWKS, a policy and a verifier, and the reference tokens
//! verified into a static scratch. Its size, less the `empty` firmware's, is the verifier's.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    semihosting::process::exit(tollgate_firmware::footprint::run())
}
