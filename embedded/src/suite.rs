//! The `vectors` firmware: every vector of the feature set verified, each verdict printed by
//! name with the stack and instructions its verification took, then the figures
//! scripts/embedded-measure reads (`measure:` lines) and a closing `passed, failed` line.

use core::hint::black_box;
use core::mem::size_of;

use semihosting::println;
use tollgate::{KeySet, Policy, SCRATCH_SIZE, Scratch, Verifier};

use crate::counter::Counter;
use crate::stack::{self, Measured};
use crate::vectors::{self, ALGORITHMS, CASES, Case, FEATURE_SET, KEY_SETS, POLICIES, REFERENCE};
use crate::{EXIT_MISMATCH, EXIT_OK, SCRATCH, VERIFIER};

/// Deepest stack and most instructions seen for one algorithm's verifications.
#[derive(Clone, Copy, Default)]
struct Peak {
    cases: u32,
    stack: usize,
    instructions: u64,
}

/// Verifies every vector, prints each verdict by name with its stack and instruction count,
/// then a summary the measurement script reads. Returns the exit status.
///
/// Given `mismatch=NAME` on its command line, it expects a verdict no token has for the case
/// `NAME`, and so must fail: the proof that a wrong verdict fails the run.
pub fn run() -> i32 {
    let args = semihosting::experimental::env::args::<256>().ok();
    let mismatch = args.as_ref().and_then(|args| {
        args.into_iter()
            .flatten()
            .find_map(|arg| arg.strip_prefix("mismatch="))
    });
    let scratch = SCRATCH.take();
    let verifier = VERIFIER.take();
    let mut counter = Counter::new();

    println!(
        "tollgate firmware: feature set {FEATURE_SET} ({}), {} vectors",
        Algorithms,
        CASES.len()
    );
    print_sizes();
    match &counter {
        Some(c) => println!(
            "instructions: {}, {} per tick",
            Counter::SOURCE,
            c.instructions_per_tick()
        ),
        None => println!("instructions: no counter available"),
    }

    if let Some(name) = mismatch {
        println!("expecting a wrong verdict for {name}, as asked");
        if !CASES.iter().any(|c| c.name == name) {
            println!("   no vector is named {name}");
            return EXIT_MISMATCH;
        }
    }
    let mut passed = 0u32;
    let mut mismatches = 0u32;
    let mut overflowed = false;
    let mut load_stack = 0usize;
    let mut peaks = [Peak::default(); ALGORITHMS.len() + 1];
    let mut loaded: Option<(usize, usize)> = None;
    let mut set_up = false;
    for case in &CASES {
        if loaded != Some((case.key_set, case.policy)) {
            let key_set = &KEY_SETS[case.key_set];
            let setup = stack::measure(|| vectors::load(verifier, key_set, &POLICIES[case.policy]));
            load_stack = load_stack.max(setup.bytes);
            overflowed |= setup.overflowed;
            set_up = setup.value.is_ok();
            match setup.value {
                Ok((keys, skipped)) => println!(
                    "-- {} ({keys} keys, {skipped} skipped) and policy {}: load took {} B of stack",
                    key_set.name, case.policy, setup.bytes
                ),
                Err(e) => {
                    println!("-- {}: setup failed: {e:?}", key_set.name);
                    mismatches += 1;
                }
            }
            loaded = Some((case.key_set, case.policy));
        }
        if !set_up {
            println!("{:<22} {}", "SKIPPED", case.name);
            mismatches += 1;
            continue;
        }

        let measured = measure_verify(verifier, case, scratch, counter.as_mut());
        let (verdict, instructions) = measured.value;
        overflowed |= measured.overflowed;
        let peak = &mut peaks[algorithm_index(case.alg)];
        peak.cases += 1;
        peak.stack = peak.stack.max(measured.bytes);
        peak.instructions = peak.instructions.max(instructions.unwrap_or(0));

        let name = vectors::verdict_name(verdict);
        let subject = scratch.claims().and_then(|c| c.sub());
        print_case(case, name, measured.bytes, instructions, subject);
        let expect = match mismatch {
            Some(wrong) if wrong == case.name => "no-such-verdict",
            _ => case.expect,
        };
        if name == expect {
            passed += 1;
        } else {
            println!("   MISMATCH {}: expected {expect}", case.name);
            mismatches += 1;
        }
    }

    if overflowed {
        println!("STACK OVERFLOW: a call reached the end of the free stack");
    }
    if !print_reference(verifier, scratch, counter.as_mut()) {
        mismatches += 1;
    }
    println!("measure: load_stack={load_stack}");
    for (i, peak) in peaks.iter().enumerate() {
        let alg = ALGORITHMS.get(i).copied().unwrap_or("other");
        println!(
            "measure: alg={alg} cases={} stack_max={} instructions_max={}",
            peak.cases, peak.stack, peak.instructions
        );
    }
    // Setup failures count as failed cases: their vectors were never verified.
    println!("firmware: {passed} passed, {mismatches} failed");
    if mismatches == 0 && !overflowed {
        EXIT_OK
    } else {
        EXIT_MISMATCH
    }
}

/// One verification, painted and counted; the closure is all that runs between the two.
fn measure_verify(
    verifier: &Verifier,
    case: &Case,
    scratch: &mut Scratch,
    counter: Option<&mut Counter>,
) -> Measured<(Result<(), tollgate::Error>, Option<u64>)> {
    let mut verify = || {
        verifier
            .verify(black_box(case.token), case.now, scratch)
            .map(|_| ())
    };
    match counter {
        Some(counter) => stack::measure(|| counter.count(&mut verify)),
        None => stack::measure(|| (verify(), None)),
    }
}

fn print_case(
    case: &Case,
    verdict: &str,
    stack: usize,
    instructions: Option<u64>,
    subject: Option<&str>,
) {
    // Claim values are attacker-chosen text: `{:?}` escapes control bytes on the way out.
    match (instructions, subject) {
        (Some(n), Some(sub)) => println!(
            "{verdict:<22} {:<6} {stack:>5} B {n:>9} instr  {}  sub={sub:?}",
            case.alg, case.name
        ),
        (Some(n), None) => println!(
            "{verdict:<22} {:<6} {stack:>5} B {n:>9} instr  {}",
            case.alg, case.name
        ),
        (None, _) => println!("{verdict:<22} {:<6} {stack:>5} B  {}", case.alg, case.name),
    }
}

/// Instructions and stack of each algorithm's reference token, as the footprint firmware
/// verifies it. Returns whether every reference token verified.
fn print_reference(
    verifier: &mut Verifier,
    scratch: &mut Scratch,
    mut counter: Option<&mut Counter>,
) -> bool {
    if let Err(e) = vectors::load(verifier, &REFERENCE.key_set, &REFERENCE.policy) {
        println!("reference: setup failed: {e:?}");
        return false;
    }
    let mut all_ok = true;
    for case in REFERENCE.cases {
        let measured = measure_verify(verifier, case, scratch, counter.as_deref_mut());
        let (verdict, instructions) = measured.value;
        all_ok &= verdict.is_ok();
        println!(
            "measure: reference alg={} name={} verdict={} stack={} instructions={}",
            case.alg,
            case.name,
            vectors::verdict_name(verdict),
            measured.bytes,
            instructions.unwrap_or(0)
        );
    }
    all_ok
}

fn print_sizes() {
    println!(
        "measure: sizes scratch={SCRATCH_SIZE} keyset={} policy={} verifier={} free_stack={}",
        size_of::<KeySet>(),
        size_of::<Policy>(),
        size_of::<Verifier>(),
        stack::free()
    );
}

fn algorithm_index(alg: &str) -> usize {
    ALGORITHMS
        .iter()
        .position(|a| *a == alg)
        .unwrap_or(ALGORITHMS.len())
}

/// The feature set's algorithms, space-separated.
struct Algorithms;

impl core::fmt::Display for Algorithms {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, alg) in ALGORITHMS.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(alg)?;
        }
        Ok(())
    }
}
