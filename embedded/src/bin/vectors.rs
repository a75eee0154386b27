//! Verifies every vector of tests/vectors this feature set covers, painting the stack and
//! counting instructions around each verification; exits 0 only if every verdict is expected.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    semihosting::process::exit(tollgate_firmware::suite::run())
}
