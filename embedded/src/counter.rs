//! Instructions executed, as the target can count them.
//!
//! Cortex-M (QEMU): QEMU has no cycle counter, but under `-icount shift=0` its virtual clock
//! advances one nanosecond per instruction, and SysTick counts that clock (25 MHz on MPS2).
//! [`Counter::new`] calibrates instructions per tick on a loop of known length, so a count is
//! exact to one tick (40 instructions there). Without `-icount` the clock is the host's and the
//! calibration says so. RISC-V reads `minstret`, the retired-instruction counter, which QEMU
//! also derives from `-icount`.

/// Iterations of the calibration loop; two instructions each.
#[cfg(target_arch = "arm")]
const CALIBRATION_LOOPS: u32 = 1_000_000;

/// An instruction counter.
pub struct Counter {
    #[cfg(target_arch = "arm")]
    syst: cortex_m::peripheral::SYST,
    instructions_per_tick: u32,
}

impl Counter {
    /// What counts.
    #[cfg(target_arch = "arm")]
    pub const SOURCE: &str = "SysTick under QEMU -icount shift=0 (calibrated)";
    /// What counts.
    #[cfg(target_arch = "riscv32")]
    pub const SOURCE: &str = "minstret";

    /// Starts the counter and calibrates it; `None` if no counter is available.
    #[cfg(target_arch = "arm")]
    pub fn new() -> Option<Self> {
        use cortex_m::peripheral::syst::SystClkSource;
        let mut syst = cortex_m::Peripherals::take()?.SYST;
        syst.disable_interrupt();
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(0x00FF_FFFF);
        syst.clear_current();
        syst.enable_counter();
        let mut counter = Counter {
            syst,
            instructions_per_tick: 1,
        };
        let ticks = counter.count(|| spin(CALIBRATION_LOOPS)).1?;
        let per_tick = (2 * u64::from(CALIBRATION_LOOPS) + ticks / 2) / ticks.max(1);
        counter.instructions_per_tick = u32::try_from(per_tick).ok()?;
        Some(counter)
    }

    /// Starts the counter; `minstret` counts instructions exactly.
    #[cfg(target_arch = "riscv32")]
    pub fn new() -> Option<Self> {
        Some(Counter {
            instructions_per_tick: 1,
        })
    }

    /// How many instructions one tick of the counter stands for.
    pub fn instructions_per_tick(&self) -> u32 {
        self.instructions_per_tick
    }

    /// Runs `f` and counts the instructions it executed; `None` if the counter wrapped.
    pub fn count<R>(&mut self, f: impl FnOnce() -> R) -> (R, Option<u64>) {
        let start = self.read();
        let value = f();
        let end = self.read();
        let ticks = self.elapsed(start, end);
        (
            value,
            ticks.map(|t| t * u64::from(self.instructions_per_tick)),
        )
    }

    #[cfg(target_arch = "arm")]
    fn read(&mut self) -> u64 {
        u64::from(cortex_m::peripheral::SYST::get_current())
    }

    #[cfg(target_arch = "arm")]
    fn elapsed(&mut self, start: u64, end: u64) -> Option<u64> {
        // SysTick counts down from its reload value; a wrap would hide 2^24 ticks.
        let wrapped = self.syst.has_wrapped();
        let ticks = start.wrapping_sub(end) & 0x00FF_FFFF;
        self.syst.clear_current();
        (!wrapped).then_some(ticks)
    }

    #[cfg(target_arch = "riscv32")]
    fn read(&mut self) -> u64 {
        riscv::register::minstret::read64()
    }

    #[cfg(target_arch = "riscv32")]
    fn elapsed(&mut self, start: u64, end: u64) -> Option<u64> {
        Some(end - start)
    }
}

/// Executes `2 * loops` instructions: a decrement and a branch per iteration.
#[cfg(target_arch = "arm")]
#[allow(unsafe_code)]
fn spin(loops: u32) {
    // SAFETY: a register-only loop; touches no memory and no flags the compiler relies on.
    unsafe {
        core::arch::asm!(
            "1:",
            "subs {n}, {n}, #1",
            "bne 1b",
            n = inout(reg) loops => _,
            options(nomem, nostack),
        );
    }
}
