//! Key sets, policies and verifiers: opaque handles that live on the heap (`_new`) or in memory
//! the caller provides (`_init`), and are released by `_free` either way.

use core::ffi::c_void;
use std::alloc::{Layout, alloc, dealloc};

use tollgate::{KeySet, Policy, PolicyBuilder, Verifier};

use crate::boundary::{
    Region, apart, arg, arg_mut, caller_memory, clear_of, guard, infallible, out_region,
    raw_region, text, write_out,
};
use crate::status::tollgate_status;

/// Bytes of caller memory a key set needs (an upper bound that holds across versions).
pub const TOLLGATE_KEYSET_SIZE: usize = 32768;
/// Alignment of caller memory for a key set.
pub const TOLLGATE_KEYSET_ALIGN: usize = 8;
/// Bytes of caller memory a policy needs.
pub const TOLLGATE_POLICY_SIZE: usize = 8192;
/// Alignment of caller memory for a policy.
pub const TOLLGATE_POLICY_ALIGN: usize = 8;
/// Bytes of caller memory a verifier needs.
pub const TOLLGATE_VERIFIER_SIZE: usize = 40960;
/// Alignment of caller memory for a verifier.
pub const TOLLGATE_VERIFIER_ALIGN: usize = 8;

const _: () = {
    assert!(size_of::<tollgate_keyset>() <= TOLLGATE_KEYSET_SIZE);
    assert!(align_of::<tollgate_keyset>() <= TOLLGATE_KEYSET_ALIGN);
    assert!(size_of::<tollgate_policy>() <= TOLLGATE_POLICY_SIZE);
    assert!(align_of::<tollgate_policy>() <= TOLLGATE_POLICY_ALIGN);
    assert!(size_of::<tollgate_verifier>() <= TOLLGATE_VERIFIER_SIZE);
    assert!(align_of::<tollgate_verifier>() <= TOLLGATE_VERIFIER_ALIGN);
};

/// Who owns a handle's memory.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Home {
    Heap,
    Caller,
}

/// A set of verification keys, each bound to one algorithm. Built from JWKS documents.
pub struct tollgate_keyset {
    keys: KeySet,
    home: Home,
}

/// The claim policy a verifier enforces: issuer, audiences, type, scopes, claims, leeway.
pub struct tollgate_policy {
    policy: Policy,
    home: Home,
}

/// An immutable verifier: keys plus policy. Safe to use from many threads at once.
pub struct tollgate_verifier {
    pub(crate) verifier: Verifier,
    home: Home,
}

/// How many skipped keys a `tollgate_jwks_report` names (all of them are counted).
pub const TOLLGATE_JWKS_REPORT_MAX_SKIPS: usize = 8;
const _: () = assert!(TOLLGATE_JWKS_REPORT_MAX_SKIPS == tollgate::MAX_REPORTED_SKIPS);

/// A key of a JWKS that was skipped rather than loaded, and why.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct tollgate_skipped_key {
    /// The zero-based index of the key in `keys`.
    pub key_index: u16,
    /// Why: one of the `TOLLGATE_STATUS_JWKS_SKIP_*` statuses (120–128).
    pub reason: tollgate_status,
}

/// What a JWKS load did. A diagnostic, so it is written on failure too: on success the counts
/// (and `error_key_index` -1); on a JWKS error, `loaded` and `private_members_ignored` 0, the
/// keys skipped before the load stopped (for `no_usable_key`, every key) and the zero-based index
/// in `keys` of the offending entry (-1 when the error concerns the whole document).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct tollgate_jwks_report {
    /// Keys added to the set.
    pub loaded: u16,
    /// Keys skipped: types or algorithms not verified here, not meant for signatures, or
    /// malformed. The first `skipped_listed` of them are named in `skipped_keys`.
    pub skipped: u16,
    /// Keys that carried a private member (`d`); only their public part was kept. A gateway
    /// should warn: the issuer is publishing private key material.
    pub private_members_ignored: u16,
    /// On error, the offending entry of `keys`, or -1.
    pub error_key_index: i32,
    /// How many entries of `skipped_keys` are filled (at most
    /// `TOLLGATE_JWKS_REPORT_MAX_SKIPS`).
    pub skipped_listed: u16,
    /// The first skipped keys in document order, with their reasons.
    pub skipped_keys: [tollgate_skipped_key; TOLLGATE_JWKS_REPORT_MAX_SKIPS],
}

impl tollgate_jwks_report {
    fn of(
        loaded: u16,
        private_members_ignored: u16,
        error_key_index: i32,
        report: &tollgate::LoadReport,
    ) -> Self {
        let mut skipped_keys = [tollgate_skipped_key {
            key_index: 0,
            reason: tollgate_status::Ok,
        }; TOLLGATE_JWKS_REPORT_MAX_SKIPS];
        let mut skipped_listed = 0;
        for (slot, skip) in skipped_keys.iter_mut().zip(report.skipped_keys()) {
            *slot = tollgate_skipped_key {
                key_index: skip.key_index,
                reason: tollgate_status::from(skip.reason),
            };
            skipped_listed += 1;
        }
        tollgate_jwks_report {
            loaded,
            skipped: report.skipped,
            private_members_ignored,
            error_key_index,
            skipped_listed,
            skipped_keys,
        }
    }
}

/// Places `value` on the heap, or returns OutOfMemory without aborting.
fn heap<T>(value: T) -> Result<*mut T, tollgate_status> {
    let layout = Layout::new::<T>();
    // SAFETY: every handle type has a non-zero size.
    let ptr = unsafe { alloc(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(tollgate_status::OutOfMemory);
    }
    // SAFETY: freshly allocated for a `T`, so valid for writes and aligned.
    unsafe { ptr.write(value) };
    Ok(ptr)
}

/// Places `value` in checked caller memory.
fn in_caller_memory<T: Handle>(
    mem: *mut c_void,
    mem_len: usize,
    value: T,
) -> Result<*mut T, tollgate_status> {
    let ptr = caller_memory::<T>(mem.cast(), mem_len, T::SIZE)?;
    // SAFETY: `caller_memory` checked non-NULL, size and alignment; the caller hands the memory
    // over until `_free`. Its previous contents are not read or dropped.
    unsafe { ptr.write(value) };
    Ok(ptr)
}

/// Drops a handle and, when it is on the heap, frees its memory.
///
/// # Safety
/// `ptr` came from `heap` or `in_caller_memory` and is not used afterwards.
unsafe fn release<T>(ptr: *mut T, home: impl FnOnce(&T) -> Home) {
    // SAFETY: the caller guarantees `ptr` is a live handle.
    let on_heap = home(unsafe { &*ptr }) == Home::Heap;
    // SAFETY: live and owned by us from here; dropping zeroizes any secret it holds.
    unsafe { core::ptr::drop_in_place(ptr) };
    if on_heap {
        // SAFETY: allocated by `heap` with this very layout.
        unsafe { dealloc(ptr.cast(), Layout::new::<T>()) };
    }
}

/// Handles know where their memory came from, and how much caller memory they document.
trait Handle: Sized {
    const SIZE: usize;
    fn home(&self) -> Home;
}

impl Handle for tollgate_keyset {
    const SIZE: usize = TOLLGATE_KEYSET_SIZE;
    fn home(&self) -> Home {
        self.home
    }
}

impl Handle for tollgate_policy {
    const SIZE: usize = TOLLGATE_POLICY_SIZE;
    fn home(&self) -> Home {
        self.home
    }
}

impl Handle for tollgate_verifier {
    const SIZE: usize = TOLLGATE_VERIFIER_SIZE;
    fn home(&self) -> Home {
        self.home
    }
}

/// Builds a handle on the heap: `make` checks the inputs and gives its first value, cheap to
/// move; `fill` completes it where it lives (so nothing large crosses the stack). `inputs` are
/// the handles `make` and `fill` read, which `out` must not overlap.
fn new_handle<T>(
    out: *mut *mut T,
    inputs: &[Region],
    make: impl FnOnce(Home) -> Result<T, tollgate_status>,
    fill: impl FnOnce(&mut T),
) -> tollgate_status {
    guard(|| {
        if out.is_null() {
            return Err(tollgate_status::NullArgument);
        }
        clear_of(out_region(out), inputs)?;
        let handle = heap(make(Home::Heap)?)?;
        // SAFETY: `heap` just wrote a live handle there, which nothing else refers to yet.
        fill(unsafe { &mut *handle });
        // SAFETY: checked non-NULL above; the caller provides a writable pointer slot.
        unsafe { write_out(out, handle) }
    })
}

/// Builds a handle in caller memory, as `new_handle` does on the heap. Neither `out` nor the
/// `inputs` may overlap it: writing the handle would change them, or `*out` the handle.
fn init_handle<T: Handle>(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut T,
    inputs: &[Region],
    make: impl FnOnce(Home) -> Result<T, tollgate_status>,
    fill: impl FnOnce(&mut T),
) -> tollgate_status {
    guard(|| {
        if out.is_null() {
            return Err(tollgate_status::NullArgument);
        }
        // Checked before `make`, so bad memory is reported before anything is built.
        caller_memory::<T>(mem.cast(), mem_len, T::SIZE)?;
        let home = (mem.cast_const().cast(), T::SIZE);
        clear_of(home, &[out_region(out)])?;
        clear_of(home, inputs)?;
        clear_of(out_region(out), inputs)?;
        let handle = in_caller_memory(mem, mem_len, make(Home::Caller)?)?;
        // SAFETY: `in_caller_memory` just wrote a live handle there; the caller handed the
        // memory over and the overlap checks above keep it apart from every input.
        fill(unsafe { &mut *handle });
        // SAFETY: checked non-NULL above; the caller provides a writable pointer slot.
        unsafe { write_out(out, handle) }
    })
}

fn free_handle<T: Handle>(handle: *mut T) {
    infallible((), || {
        if !handle.is_null() {
            // SAFETY: the caller passes a handle from a constructor and never uses it again.
            unsafe { release(handle, T::home) };
        }
    })
}

fn empty_keyset(home: Home) -> Result<tollgate_keyset, tollgate_status> {
    Ok(tollgate_keyset {
        keys: KeySet::new(),
        home,
    })
}

fn default_policy(home: Home) -> Result<tollgate_policy, tollgate_status> {
    Ok(tollgate_policy {
        policy: Policy::default(),
        home,
    })
}

/// Creates an empty key set on the heap. Free it with `tollgate_keyset_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_keyset_new(out: *mut *mut tollgate_keyset) -> tollgate_status {
    new_handle(out, &[], empty_keyset, |_| ())
}

/// Creates an empty key set in caller memory `mem` of `mem_len` bytes (at least
/// `TOLLGATE_KEYSET_SIZE`, aligned to `TOLLGATE_KEYSET_ALIGN`); `*out` is `mem` itself. The
/// memory must stay untouched until `tollgate_keyset_free`, which wipes secrets and leaves the
/// memory to the caller.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_keyset_init(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut tollgate_keyset,
) -> tollgate_status {
    init_handle(mem, mem_len, out, &[], empty_keyset, |_| ())
}

/// Releases a key set from `tollgate_keyset_new` or `tollgate_keyset_init`: wipes HS256 secrets,
/// and frees the memory when it is on the heap. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_keyset_free(keys: *mut tollgate_keyset) {
    free_handle(keys)
}

/// Creates a policy on the heap with the safe defaults: `exp` required, no leeway, no audience
/// accepted. Free it with `tollgate_policy_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_new(out: *mut *mut tollgate_policy) -> tollgate_status {
    new_handle(out, &[], default_policy, |_| ())
}

/// Creates a default policy in caller memory `mem` of `mem_len` bytes (at least
/// `TOLLGATE_POLICY_SIZE`, aligned to `TOLLGATE_POLICY_ALIGN`); `*out` is `mem` itself.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_init(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut tollgate_policy,
) -> tollgate_status {
    init_handle(mem, mem_len, out, &[], default_policy, |_| ())
}

/// Releases a policy from `tollgate_policy_new` or `tollgate_policy_init`. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_free(policy: *mut tollgate_policy) {
    free_handle(policy)
}

/// Adds the usable keys of a JWKS document to `keys`, all or nothing: on error the set is as it
/// was. A key with `alg` is bound to exactly that algorithm; without, to its type's usual one
/// (`OKP` Ed25519: EdDSA, `oct`: HS256, `EC` P-256: ES256, P-384: ES384, `RSA`: RS256). Keys
/// this build cannot use (other types, curves or algorithms, malformed, too short) are skipped
/// and counted in the report.
/// `report` may be NULL; see `tollgate_jwks_report` for when it is written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_keyset_add_jwks(
    keys: *mut tollgate_keyset,
    jwks: *const u8,
    jwks_len: usize,
    report: *mut tollgate_jwks_report,
) -> tollgate_status {
    guard(|| {
        // Before any reference exists: the text is read while the set is changed, and the
        // report written after.
        apart(&[raw_region(keys), (jwks, jwks_len), out_region(report)])?;
        // SAFETY: the caller passes a live key set that no other thread uses during the call.
        let keys = unsafe { arg_mut(keys) }?;
        // SAFETY: the caller passes `jwks_len` readable bytes.
        let jwks = unsafe { crate::boundary::bytes(jwks, jwks_len) }?;
        let (result, diagnostic) = match keys.keys.add_jwks(jwks) {
            Ok(r) => (
                Ok(()),
                tollgate_jwks_report::of(r.loaded, r.private_members_ignored, -1, &r),
            ),
            Err(e) => (
                Err(tollgate_status::from(e.kind)),
                tollgate_jwks_report::of(0, 0, e.key_index.map_or(-1, i32::from), &e.report),
            ),
        };
        if !report.is_null() {
            // SAFETY: non-NULL; the caller provides a writable report.
            unsafe { report.write(diagnostic) };
        }
        result
    })
}

/// The `kid` of `keys[key_index]` in the JWKS text `jwks`, as written there: `*kid` points into
/// `jwks` at the JSON text between the quotes, escapes as they are (so any bytes a JSON string
/// holds: check them before a log line takes them). For naming the skipped keys of a
/// `tollgate_jwks_report` (pass the text that was loaded). `TOLLGATE_STATUS_NOT_FOUND` when
/// there is no such key or it has no string `kid`; nothing is written then. The
/// out-parameters may not overlap `jwks` or each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_jwks_kid(
    jwks: *const u8,
    jwks_len: usize,
    key_index: u16,
    kid: *mut *const u8,
    kid_len: *mut usize,
) -> tollgate_status {
    guard(|| {
        if kid.is_null() || kid_len.is_null() {
            return Err(tollgate_status::NullArgument);
        }
        apart(&[(jwks, jwks_len), out_region(kid), out_region(kid_len)])?;
        // SAFETY: the caller passes `jwks_len` readable bytes.
        let text = unsafe { crate::boundary::bytes(jwks, jwks_len) }?;
        let found = tollgate::jwk_kid(text, key_index).ok_or(tollgate_status::NotFound)?;
        // SAFETY: both checked non-NULL; the caller provides writable slots.
        unsafe {
            write_out(kid, found.as_ptr())?;
            write_out(kid_len, found.len())
        }
    })
}

/// The number of keys in `keys` (0 for NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_keyset_len(keys: *const tollgate_keyset) -> usize {
    infallible(0, || {
        // SAFETY: the caller passes NULL or a live key set.
        unsafe { arg(keys) }.map_or(0, |k| k.keys.len())
    })
}

/// Applies one builder step to a policy, keeping the policy unchanged when the step fails.
fn change_policy(
    policy: *mut tollgate_policy,
    step: impl FnOnce(PolicyBuilder) -> Result<PolicyBuilder, tollgate_status>,
) -> Result<(), tollgate_status> {
    // SAFETY: the caller passes a live policy that no other thread uses during the call.
    let handle = unsafe { arg_mut(policy) }?;
    let changed = step(handle.policy.clone().into_builder())?.build()?;
    handle.policy = changed;
    Ok(())
}

/// Applies a builder step that takes a string argument.
fn set_text(
    policy: *mut tollgate_policy,
    value: *const u8,
    value_len: usize,
    step: impl FnOnce(PolicyBuilder, &str) -> PolicyBuilder,
) -> tollgate_status {
    guard(|| {
        // The value is read while the policy is changed.
        apart(&[raw_region(policy.cast_const()), (value, value_len)])?;
        // SAFETY: the caller passes `value_len` readable bytes.
        let value = unsafe { text(value, value_len) }?;
        change_policy(policy, |b| Ok(step(b, value)))
    })
}

/// Requires `iss` to equal `issuer` exactly (UTF-8, at most 256 bytes).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_set_issuer(
    policy: *mut tollgate_policy,
    issuer: *const u8,
    issuer_len: usize,
) -> tollgate_status {
    set_text(policy, issuer, issuer_len, PolicyBuilder::issuer)
}

/// Accepts tokens whose `aud` names `audience` (UTF-8, at most 256 bytes). Repeatable, at most
/// 8: any one is enough. With none configured, a token that carries `aud` is rejected
/// (RFC 7519 §4.1.3).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_add_audience(
    policy: *mut tollgate_policy,
    audience: *const u8,
    audience_len: usize,
) -> tollgate_status {
    set_text(policy, audience, audience_len, PolicyBuilder::audience)
}

/// Requires the header `typ`, compared as a media type: case-insensitive, `application/`
/// optional (e.g. `at+jwt`, RFC 9068 §4).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_set_type(
    policy: *mut tollgate_policy,
    token_type: *const u8,
    token_type_len: usize,
) -> tollgate_status {
    set_text(
        policy,
        token_type,
        token_type_len,
        PolicyBuilder::token_type,
    )
}

/// Requires `scope` to contain this scope-token (RFC 6749 §3.3). Repeatable, at most 16: all
/// are required. A missing scope is `TOLLGATE_STATUS_INSUFFICIENT_SCOPE` (HTTP 403).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_add_scope(
    policy: *mut tollgate_policy,
    scope: *const u8,
    scope_len: usize,
) -> tollgate_status {
    set_text(policy, scope, scope_len, PolicyBuilder::scope)
}

/// Requires the claim `name` to be present and not `null`. Repeatable, at most 16.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_add_required_claim(
    policy: *mut tollgate_policy,
    name: *const u8,
    name_len: usize,
) -> tollgate_status {
    set_text(policy, name, name_len, PolicyBuilder::require_claim)
}

/// Most seconds of leeway a policy accepts.
pub const TOLLGATE_MAX_LEEWAY: u32 = 300;

const _: () = assert!(TOLLGATE_MAX_LEEWAY == tollgate::MAX_LEEWAY);

/// Seconds of clock skew tolerated on `exp`, `nbf` and `iat` (at most `TOLLGATE_MAX_LEEWAY`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_set_leeway(
    policy: *mut tollgate_policy,
    seconds: u32,
) -> tollgate_status {
    guard(|| change_policy(policy, |b| Ok(b.leeway(seconds))))
}

/// Whether tokens must carry `exp` (the default: true).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_policy_set_require_exp(
    policy: *mut tollgate_policy,
    required: bool,
) -> tollgate_status {
    guard(|| change_policy(policy, |b| Ok(b.require_exp(required))))
}

/// An empty verifier, once `keys` (not empty) and `policy` are checked; `fill_verifier` then
/// copies them in where the verifier lives. Built by value, a verifier with its copies crossed
/// the stack several times over (105 KiB on x86-64), too much for a small thread.
fn empty_verifier(
    keys: *const tollgate_keyset,
    policy: *const tollgate_policy,
    home: Home,
) -> Result<tollgate_verifier, tollgate_status> {
    // SAFETY: the caller passes live handles that nothing mutates during the call.
    let (keys, _) = unsafe { (arg(keys)?, arg(policy)?) };
    if keys.keys.is_empty() {
        return Err(tollgate_status::JwksNoUsableKey);
    }
    Ok(tollgate_verifier {
        verifier: Verifier::empty(),
        home,
    })
}

fn fill_verifier(
    keys: *const tollgate_keyset,
    policy: *const tollgate_policy,
) -> impl FnOnce(&mut tollgate_verifier) {
    move |placed| {
        // SAFETY: as in `empty_verifier`, which found both non-NULL (were either NULL, the
        // verifier would stay empty and reject every token).
        if let (Ok(keys), Ok(policy)) = unsafe { (arg(keys), arg(policy)) } {
            placed.verifier.assign(&keys.keys, &policy.policy);
        }
    }
}

/// Builds a verifier on the heap from copies of `keys` and `policy` (which stay the caller's to
/// free). The verifier is immutable: share it between threads freely. An empty key set is
/// refused (`TOLLGATE_STATUS_JWKS_NO_USABLE_KEY`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_verifier_new(
    keys: *const tollgate_keyset,
    policy: *const tollgate_policy,
    out: *mut *mut tollgate_verifier,
) -> tollgate_status {
    let inputs = [raw_region(keys), raw_region(policy)];
    new_handle(
        out,
        &inputs,
        |home| empty_verifier(keys, policy, home),
        fill_verifier(keys, policy),
    )
}

/// Builds a verifier in caller memory `mem` of `mem_len` bytes (at least
/// `TOLLGATE_VERIFIER_SIZE`, aligned to `TOLLGATE_VERIFIER_ALIGN`); `*out` is `mem` itself. For
/// targets without malloc. Release it with `tollgate_verifier_free`, which wipes the keys and
/// leaves the memory to the caller.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_verifier_init(
    mem: *mut c_void,
    mem_len: usize,
    keys: *const tollgate_keyset,
    policy: *const tollgate_policy,
    out: *mut *mut tollgate_verifier,
) -> tollgate_status {
    let inputs = [raw_region(keys), raw_region(policy)];
    init_handle(
        mem,
        mem_len,
        out,
        &inputs,
        |home| empty_verifier(keys, policy, home),
        fill_verifier(keys, policy),
    )
}

/// Releases a verifier from `tollgate_verifier_new` or `tollgate_verifier_init`; no thread may
/// be using it. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tollgate_verifier_free(verifier: *mut tollgate_verifier) {
    free_handle(verifier)
}
