//! Peak stack of a call, by stack painting: fill the free stack with a pattern, make the call,
//! then find the deepest word that no longer holds the pattern.
//!
//! The free stack runs from the end of the statics (the runtime's linker symbol) up to the
//! stack pointer. Nothing else uses it while we paint: the firmware enables no interrupts.
#![allow(unsafe_code)]

const PAINT: u32 = 0xCCCC_CCCC;

#[cfg(target_arch = "arm")]
unsafe extern "C" {
    /// cortex-m-rt: the lowest address the stack may grow down to.
    static _stack_end: u32;
}

#[cfg(target_arch = "riscv32")]
unsafe extern "C" {
    /// riscv-rt: the bottom of the `.stack` region.
    static __estack: u32;
}

fn stack_limit() -> usize {
    #[cfg(target_arch = "arm")]
    let limit = &raw const _stack_end;
    #[cfg(target_arch = "riscv32")]
    let limit = &raw const __estack;
    limit as usize
}

#[inline(always)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: copies the stack pointer into a register; reads and writes no memory.
    unsafe {
        #[cfg(target_arch = "arm")]
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
        #[cfg(target_arch = "riscv32")]
        core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// What a measured call returned, and the stack it took.
pub struct Measured<R> {
    /// The call's result.
    pub value: R,
    /// Bytes of stack below the caller's stack pointer that the call wrote.
    pub bytes: usize,
    /// Whether the call reached the end of the free stack: then `bytes` is a lower bound and
    /// the statics below it may have been overwritten.
    pub overflowed: bool,
}

/// Runs `f` and measures the deepest stack it wrote.
///
/// `f` runs in a frame of its own below this one ([`call`]), so everything it inlines is
/// counted; only the slot for its result lies in this frame.
#[inline(never)]
pub fn measure<R>(f: impl FnOnce() -> R) -> Measured<R> {
    let limit = stack_limit();
    let top = stack_pointer() & !3;
    let mut word = limit as *mut u32;
    while (word as usize) < top {
        // SAFETY: `word` is 4-aligned and in [limit, top): the free stack below this frame's
        // stack pointer, where no live object is and no interrupt runs. Volatile keeps the
        // stores, which no Rust code reads.
        unsafe {
            word.write_volatile(PAINT);
            word = word.add(1);
        }
    }
    let value = call(f);
    let mut word = limit as *const u32;
    // SAFETY: as above; the call has returned, so the region is free again and only read.
    while (word as usize) < top && unsafe { word.read_volatile() } == PAINT {
        // SAFETY: stays in [limit, top], checked by the loop condition before each read.
        word = unsafe { word.add(1) };
    }
    Measured {
        value,
        bytes: top - word as usize,
        overflowed: word as usize == limit,
    }
}

/// A call that is never inlined: its frame, and what `f` inlines into it, start below the
/// stack pointer [`measure`] painted from.
#[inline(never)]
fn call<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Bytes of free stack: from the end of the statics to the stack pointer of the caller.
pub fn free() -> usize {
    stack_pointer() - stack_limit()
}
