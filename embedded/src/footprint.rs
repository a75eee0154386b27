//! The `footprint` firmware, what an application links, and the `empty` firmware it is
//! measured against: the same inputs, output, panic path and stack measurement, no verifier.

use core::hint::black_box;

use semihosting::println;

use crate::vectors::{self, REFERENCE};
use crate::{EXIT_MISMATCH, EXIT_OK, SCRATCH, VERIFIER, stack};

/// What an application links: load the JWKS and the policy once, verify tokens into a static
/// scratch, act on the verdict. Returns the exit status, after the peak stack of it all.
pub fn run() -> i32 {
    with_program_stack(application)
}

/// The footprint firmware without the verifier: the same inputs in flash, the same output,
/// panic path and stack measurement. Returns the exit status.
pub fn empty() -> i32 {
    with_program_stack(baseline)
}

/// Runs a whole program under [`stack::measure`] and prints its peak stack. The empty firmware
/// does the same, so the measuring code cancels out of the flash difference.
fn with_program_stack(program: fn() -> i32) -> i32 {
    let measured = stack::measure(program);
    println!("measure: program_stack={}", measured.bytes);
    if measured.overflowed {
        println!("STACK OVERFLOW: the program reached the end of the free stack");
        return EXIT_MISMATCH;
    }
    measured.value
}

fn application() -> i32 {
    let scratch = SCRATCH.take();
    let verifier = VERIFIER.take();
    let setup = vectors::load(
        verifier,
        black_box(&REFERENCE.key_set),
        black_box(&REFERENCE.policy),
    );
    if setup.is_err() {
        println!("footprint: setup failed");
        return EXIT_MISMATCH;
    }
    let mut status = EXIT_OK;
    for case in REFERENCE.cases {
        let verdict = verifier.verify(black_box(case.token), case.now, scratch);
        let name = vectors::verdict_name(verdict.map(|_| ()));
        println!("{name:<22} {}", case.name);
        if name != case.expect {
            status = EXIT_MISMATCH;
        }
    }
    status
}

fn baseline() -> i32 {
    let key_set = black_box(&REFERENCE.key_set);
    let mut bytes = key_set.jwks.len();
    for case in REFERENCE.cases {
        bytes += black_box(case.token).len() + case.name.len() + case.expect.len();
    }
    let policy = black_box(&REFERENCE.policy);
    if black_box(bytes) == 0 {
        panic!("no inputs: {}", policy.leeway);
    }
    println!("{:<22} {bytes} bytes of inputs", "empty");
    EXIT_OK
}
