//! The `footprint` firmware without the verifier: the baseline its flash and RAM are
//! measured against.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    semihosting::process::exit(tollgate_firmware::footprint::empty())
}
